import Foundation
import LoomTensor

/// A model's hyperparameters, saved as `config.json` beside its weights. `kind` names the
/// architecture ("gpt", "char-lstm", ...) so that loading the wrong model says so.
public protocol ModelConfiguration: Codable {
    static var kind: String { get }
}

/// A checkpoint directory (DESIGN.md §4):
///
///     config.json            {"kind": ..., "loom_version": ..., hyperparameters...}
///     model.safetensors      weights and buffers by PyTorch-style name
///     optimizer.safetensors  optimizer moments, with step and learning rate in its metadata
///     trainer.json           step, generator states, data position, best validation loss
///
/// A save replaces the whole directory at once (`AtomicDirectory`): a crash or `kill -9`
/// at any moment leaves the previous complete checkpoint or the new one, never new weights
/// beside old optimizer state. Files a save does not write (metrics, plots, `best/`) are
/// carried over. `config.json` is still written last within the new version.
public enum Checkpoint {
    public static let loomVersion = LoomVersion.string
    public static let configFile = "config.json"
    public static let modelFile = "model.safetensors"
    public static let optimizerFile = "optimizer.safetensors"
    public static let trainerFile = "trainer.json"

    /// Saves the checkpoint; `alongside` writes further files (a tokenizer, vocabularies)
    /// into the new version before it replaces the old one. Write them with `AtomicFile`.
    public static func save<Config: ModelConfiguration>(
        module: Module, config: Config, to directory: URL,
        optimizer: Optimizer? = nil, trainerState: TrainerState? = nil,
        alongside: (URL) throws -> Void = { _ in }
    ) throws {
        try AtomicDirectory.replace(directory) { staging in
            try alongside(staging)
            let weights = SafeTensors(tensors: module.stateDict(), metadata: ["format": "pt", "kind": Config.kind])
            try weights.write(to: staging.appendingPathComponent(modelFile))
            // Without optimizer or trainer state, a carried-over one from an older save would
            // pair new weights with old moments; such a checkpoint is simply not resumable.
            if let optimizer {
                try optimizer.saveState(to: staging.appendingPathComponent(optimizerFile))
            } else {
                unlink(staging.appendingPathComponent(optimizerFile).path)
            }
            if let trainerState {
                let data = try JSONEncoder.sorted.encode(trainerState)
                try AtomicFile.write(data, to: staging.appendingPathComponent(trainerFile))
            } else {
                unlink(staging.appendingPathComponent(trainerFile).path)
            }
            try AtomicFile.write(try configData(config), to: staging.appendingPathComponent(configFile))
        }
    }

    /// Whether `directory` holds a checkpoint (a config.json), after repairing what an
    /// interrupted save may have left beside it.
    public static func exists(in directory: URL) -> Bool {
        AtomicDirectory.recover(directory)
        return FileManager.default.fileExists(atPath: directory.appendingPathComponent(configFile).path)
    }

    /// The config's own fields plus `kind` and `loom_version`, in one flat object.
    static func configData<Config: ModelConfiguration>(_ config: Config) throws -> Data {
        let encoded = try JSONEncoder().encode(config)
        guard var object = try JSONSerialization.jsonObject(with: encoded) as? [String: Any] else {
            preconditionFailure("\(Config.self) must encode as a JSON object")
        }
        precondition(object["kind"] == nil && object["loom_version"] == nil, "\(Config.self) may not use the keys kind or loom_version")
        object["kind"] = Config.kind
        object["loom_version"] = loomVersion
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
    }

    /// The model kind recorded in a checkpoint's config.json.
    public static func kind(in directory: URL) throws -> String {
        let (object, path) = try configObject(in: directory)
        guard let kind = object["kind"] as? String else { throw LoomError("\(path): no \"kind\" string naming the model") }
        return kind
    }

    /// The hyperparameters, after checking that the checkpoint holds this kind of model.
    public static func readConfig<Config: ModelConfiguration>(_ type: Config.Type, from directory: URL) throws -> Config {
        let (object, path) = try configObject(in: directory)
        let kind = object["kind"] as? String ?? "(none)"
        guard kind == Config.kind else {
            throw LoomError("\(path): checkpoint holds a '\(kind)' model, not a '\(Config.kind)' model")
        }
        return try decode(Config.self, from: try readFile(path), file: path)
    }

    /// Loads model.safetensors into `module` (strict by default; see `Module.load(stateDict:)`).
    public static func loadModel(into module: Module, from directory: URL, strict: Bool = true) throws {
        let path = directory.appendingPathComponent(modelFile)
        try requireFile(path)
        try module.load(stateDict: try SafeTensors.read(path).tensors, strict: strict, file: path.path)
    }

    public static func loadOptimizer(_ optimizer: Optimizer, from directory: URL) throws {
        try optimizer.loadState(from: directory.appendingPathComponent(optimizerFile))
    }

    public static func readTrainerState(from directory: URL) throws -> TrainerState {
        let path = directory.appendingPathComponent(trainerFile).path
        return try decode(TrainerState.self, from: try readFile(path), file: path)
    }

    /// Whether the directory holds what resuming needs (optimizer and trainer state).
    public static func canResume(from directory: URL) -> Bool {
        [optimizerFile, trainerFile].allSatisfy {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
        }
    }

    private static func requireFile(_ url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { throw LoomError("\(url.path): file is missing") }
    }

    private static func readFile(_ path: String) throws -> Data {
        try requireFile(URL(fileURLWithPath: path))
        do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw LoomError("cannot read \(path): \(error.localizedDescription)")
        }
    }

    private static func configObject(in directory: URL) throws -> ([String: Any], String) {
        AtomicDirectory.recover(directory)
        let path = directory.appendingPathComponent(configFile).path
        let data = try readFile(path)
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw LoomError("\(path): not a JSON object")
        }
        if let written = object["loom_version"] as? String, isNewer(written, than: loomVersion) {
            throw LoomError("\(path): the checkpoint was written by Loom \(written), newer than this Loom \(loomVersion); "
                            + "its format may hold what this version cannot read. Use Loom \(written) or later")
        }
        return (object, path)
    }

    /// Whether version `a` ("1.2.0") has a greater major or minor number than `b`; patch
    /// releases keep the checkpoint format.
    static func isNewer(_ a: String, than b: String) -> Bool {
        func parts(_ v: String) -> [Int] { v.split(separator: ".").prefix(2).map { Int($0.prefix(while: \.isNumber)) ?? 0 } }
        let x = parts(a) + [0, 0], y = parts(b) + [0, 0]
        return (x[0], x[1]) > (y[0], y[1])
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: data) } catch let error as DecodingError {
            throw LoomError("\(file): \(describe(error))")
        } catch {
            throw LoomError("\(file): \(error)")
        }
    }

    /// A decoding error as "field 'a.b': what went wrong".
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String { keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field '\(path(context.codingPath + [key]))'"
        case .typeMismatch(let type, let context):
            return "field '\(path(context.codingPath))' is not a \(type)"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' is null, expected \(type)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "field '\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
