import Foundation
import LoomTensor

/// The scalar half of an optimizer's state, stored as JSON in the `__metadata__` of
/// `optimizer.safetensors` under `loom_optimizer`, so one file (written atomically) holds
/// the whole state.
public struct OptimizerScalars: Codable, Equatable {
    public var kind: String
    public var step: Int
    public var learningRate: Float
    /// Steps taken per parameter name (Adam's bias corrections depend on them).
    public var parameterSteps: [String: Int]

    enum CodingKeys: String, CodingKey {
        case kind, step, learningRate = "learning_rate", parameterSteps = "parameter_steps"
    }
}

extension Optimizer {
    static let metadataKey = "loom_optimizer"

    /// The state buffers as tensors named `<slot>.<parameter>` (`exp_avg.fc.weight`),
    /// copied so that later steps do not change them.
    public func stateTensors() -> [(String, Tensor)] {
        var result: [(String, Tensor)] = []
        for (index, (name, p)) in parameters.enumerated() {
            for (slot, storage) in zip(slotNames, slotStorage) {
                let t = Tensor(uninitializedShape: p.shape)
                t.pointer.update(from: storage.pointer + offsets[index], count: p.count)
                result.append(("\(slot).\(name)", t))
            }
        }
        return result
    }

    public var scalarState: OptimizerScalars {
        OptimizerScalars(kind: Self.kind, step: stepCount, learningRate: learningRate,
                         parameterSteps: Dictionary(uniqueKeysWithValues: zip(parameters.map(\.name), parameterSteps)))
    }

    /// Everything needed to continue training where this optimizer stands.
    public func exportState() -> SafeTensors {
        let json = try! JSONEncoder.compact.encode(scalarState)
        return SafeTensors(tensors: stateTensors(), metadata: [Self.metadataKey: String(decoding: json, as: UTF8.self)])
    }

    public func saveState(to url: URL) throws { try exportState().write(to: url) }

    public func loadState(from url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { throw LoomError("\(url.path): optimizer state file is missing") }
        try importState(try SafeTensors.read(url), file: url.path)
    }

    /// Restores state saved by `exportState()` from an optimizer of the same kind over
    /// parameters with the same names and shapes. Everything is checked before anything
    /// changes; a mismatch throws an error naming the file and the tensor.
    public func importState(_ saved: SafeTensors, file: String) throws {
        func fail(_ what: String) -> LoomError { LoomError("\(file): \(what)") }
        guard let text = saved.metadata[Self.metadataKey] else {
            throw fail("no optimizer scalars (metadata '\(Self.metadataKey)'): not an optimizer state file")
        }
        let scalars: OptimizerScalars
        do { scalars = try JSONDecoder().decode(OptimizerScalars.self, from: Data(text.utf8)) } catch {
            throw fail("optimizer scalars in metadata '\(Self.metadataKey)' are not valid: \(error)")
        }
        guard scalars.kind == Self.kind else {
            throw fail("optimizer state is for \(scalars.kind), but this optimizer is \(Self.kind)")
        }
        guard scalars.step >= 0, scalars.learningRate.isFinite else { throw fail("bad step \(scalars.step) or learning rate") }
        let names = Set(parameters.map(\.name))
        if let unknown = scalars.parameterSteps.keys.sorted().first(where: { !names.contains($0) }) {
            throw fail("optimizer state has steps for parameter '\(unknown)', which this model does not have")
        }
        var steps: [Int] = []
        for name in parameters.map(\.name) {
            guard let s = scalars.parameterSteps[name], s >= 0 else { throw fail("optimizer state has no step count for parameter '\(name)'") }
            steps.append(s)
        }
        var expected: [String: [Int]] = [:]
        for (name, p) in parameters {
            for slot in slotNames {
                let key = "\(slot).\(name)"
                expected[key] = p.shape
                guard let t = saved.tensors[key] else { throw fail("missing tensor '\(key)'") }
                guard t.shape == p.shape else {
                    throw fail("tensor '\(key)' has shape \(t.shape), but parameter '\(name)' has shape \(p.shape)")
                }
            }
        }
        if let unused = saved.names.first(where: { expected[$0] == nil }) {
            throw fail("unused tensor '\(unused)': no such state in \(Self.kind) (slots \(slotNames))")
        }
        for (index, (name, p)) in parameters.enumerated() {
            for (slot, storage) in zip(slotNames, slotStorage) {
                (storage.pointer + offsets[index]).update(from: saved.tensors["\(slot).\(name)"]!.pointer, count: p.count)
            }
        }
        stepCount = scalars.step
        learningRate = scalars.learningRate
        parameterSteps = steps
    }
}

extension JSONEncoder {
    /// Sorted keys and indentation: stable, diffable files.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return encoder
    }

    /// Sorted keys on one line, for values stored inside other files' metadata.
    static var compact: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
