import Foundation
import LoomCore

/// Turns text into integer ids and back.
///
/// Implementations: `CharTokenizer` (one id per Unicode scalar), `WordTokenizer` (one id per ICU
/// word) and `BPETokenizer` (byte-level BPE as in GPT-2, saved as a Hugging Face
/// `tokenizer.json`). `TokenizerFile.load` opens any file these write.
public protocol Tokenizer: Sendable {
    /// One more than the largest id `encode` can return.
    var vocabSize: Int { get }
    func encode(_ text: String) throws -> [Int]
    /// Throws `TokenizerError.idOutOfRange` for an id this tokenizer does not know.
    func decode(_ ids: [Int]) throws -> String
    /// Writes the tokenizer atomically: a crash mid-save leaves any previous file whole.
    func save(to path: String) throws
    static func load(from path: String) throws -> Self
}

public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// The file cannot be parsed or holds values that do not fit together.
    case malformedFile(path: String, reason: String)
    /// The file is well formed but uses a feature Loom does not implement.
    case unsupported(path: String, feature: String)
    case idOutOfRange(id: Int, position: Int, vocabSize: Int)
    case emptyCorpus(source: String)
    case invalidOption(String)

    public var description: String {
        switch self {
        case let .malformedFile(path, reason):
            return "malformed tokenizer file \(path): \(reason)"
        case let .unsupported(path, feature):
            return "unsupported tokenizer file \(path): \(feature)"
        case let .idOutOfRange(id, position, vocabSize):
            return "token id \(id) at position \(position) is outside the vocabulary (0..<\(vocabSize))"
        case let .emptyCorpus(source):
            return "the corpus \(source) holds no text to train on"
        case let .invalidOption(message):
            return message
        }
    }
}

/// Opens a tokenizer file of any kind Loom writes or reads.
public enum TokenizerFile {
    /// Accepts a Loom char/word JSON, a Hugging Face `tokenizer.json` (byte-level BPE), a GPT-2
    /// `vocab.json` with `merges.txt` beside it, or a directory holding either of the latter two.
    public static func load(_ path: String) throws -> any Tokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TextFileError(path: path, reason: "no such file")
        }
        if isDirectory.boolValue {
            let tokenizerJSON = (path as NSString).appendingPathComponent("tokenizer.json")
            if FileManager.default.fileExists(atPath: tokenizerJSON) { return try load(tokenizerJSON) }
            let vocabulary = (path as NSString).appendingPathComponent("vocab.json")
            let merges = (path as NSString).appendingPathComponent("merges.txt")
            guard FileManager.default.fileExists(atPath: vocabulary), FileManager.default.fileExists(atPath: merges) else {
                throw TextFileError(path: path, reason: "the directory holds neither tokenizer.json nor vocab.json with merges.txt")
            }
            return try BPETokenizer.loadGPT2(vocabularyPath: vocabulary, mergesPath: merges)
        }
        let object = try JSONFields.parseFile(path)
        if object.has("model") { return try BPETokenizer.load(from: path) }
        switch try object.string("type") {
        case CharTokenizer.fileType: return try CharTokenizer.load(from: path)
        case WordTokenizer.fileType: return try WordTokenizer.load(from: path)
        case let other:
            // A GPT-2 vocab.json is a flat token-to-id object with merges.txt beside it.
            let merges = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("merges.txt")
            if FileManager.default.fileExists(atPath: merges) {
                return try BPETokenizer.loadGPT2(vocabularyPath: path, mergesPath: merges)
            }
            throw TokenizerError.unsupported(path: path, feature: "tokenizer type '\(other)'")
        }
    }
}

/// Writes `contents` to `path` through a flushed temporary file in the same directory and a
/// rename, so a tokenizer inside a checkpoint is never half written.
func writeAtomically(_ contents: String, to path: String) throws {
    try AtomicFile.write(contents, to: URL(fileURLWithPath: path))
}
