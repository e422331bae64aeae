import Foundation
import LoomCore

/// How a side of a pair TSV is cut into tokens: one token per character, or tokens
/// separated by spaces (phone sequences such as `HH AH0 L OW1`).
public enum TokenUnit: String, Codable, Sendable {
    case characters
    case spaceSeparated = "space-separated"

    public func tokens(_ text: String) -> [String] {
        switch self {
        case .characters: return text.map { String($0) }
        case .spaceSeparated: return text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        }
    }

    public func join(_ tokens: [String]) -> String {
        tokens.joined(separator: self == .characters ? "" : " ")
    }
}

/// A token list with the four special tokens first: `<pad>` (0), `<s>` (1), `</s>` (2)
/// and `<unk>` (3). Tokens seen in training follow in order of first appearance.
public struct Seq2SeqVocabulary: Codable, Equatable, Sendable {
    public static let padding = 0, start = 1, end = 2, unknown = 3
    public static let specials = ["<pad>", "<s>", "</s>", "<unk>"]

    public let unit: TokenUnit
    public private(set) var tokens: [String]
    private var index: [String: Int]

    public init(unit: TokenUnit, tokens learned: [String] = []) {
        self.unit = unit
        tokens = Self.specials
        index = [:]
        for (i, t) in tokens.enumerated() { index[t] = i }
        for t in learned where index[t] == nil {
            index[t] = tokens.count
            tokens.append(t)
        }
    }

    /// The vocabulary of every token in `texts`.
    public static func build(_ texts: [String], unit: TokenUnit) -> Seq2SeqVocabulary {
        var vocabulary = Seq2SeqVocabulary(unit: unit)
        for text in texts {
            for t in unit.tokens(text) where vocabulary.index[t] == nil {
                vocabulary.index[t] = vocabulary.tokens.count
                vocabulary.tokens.append(t)
            }
        }
        return vocabulary
    }

    public var count: Int { tokens.count }

    /// Token ids of `text`, unknown tokens as `<unk>`, with no start or end marker.
    public func encode(_ text: String) -> [Int32] {
        unit.tokens(text).map { Int32(index[$0] ?? Self.unknown) }
    }

    /// The text of `ids`, stopping at `</s>` and leaving out padding and `<s>`.
    public func decode(_ ids: [Int]) -> String {
        unit.join(tokenStrings(ids))
    }

    /// The tokens of `ids` up to the first `</s>`, without padding or `<s>`.
    public func tokenStrings(_ ids: [Int]) -> [String] {
        var result: [String] = []
        for id in ids {
            if id == Self.end { break }
            if id == Self.padding || id == Self.start { continue }
            result.append(id >= 0 && id < tokens.count ? tokens[id] : Self.specials[Self.unknown])
        }
        return result
    }

    enum CodingKeys: String, CodingKey { case unit, tokens }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let unit = try c.decode(TokenUnit.self, forKey: .unit)
        let saved = try c.decode([String].self, forKey: .tokens)
        guard Array(saved.prefix(4)) == Self.specials else {
            throw DecodingError.dataCorruptedError(forKey: .tokens, in: c, debugDescription: "a vocabulary starts with \(Self.specials)")
        }
        guard Set(saved).count == saved.count else {
            throw DecodingError.dataCorruptedError(forKey: .tokens, in: c, debugDescription: "a vocabulary lists each token once")
        }
        self.init(unit: unit, tokens: Array(saved.dropFirst(4)))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(unit, forKey: .unit)
        try c.encode(tokens, forKey: .tokens)
    }
}

/// The source and target vocabularies of a model, saved as `tokenizer.json` in its checkpoint.
public struct Seq2SeqVocabularies: Codable, Equatable, Sendable {
    public var source: Seq2SeqVocabulary
    public var target: Seq2SeqVocabulary

    public init(source: Seq2SeqVocabulary, target: Seq2SeqVocabulary) {
        self.source = source
        self.target = target
    }

    public static let file = "tokenizer.json"

    public func save(to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: directory.appendingPathComponent(Self.file))
    }

    public static func load(from directory: URL) throws -> Seq2SeqVocabularies {
        let url = directory.appendingPathComponent(file)
        guard let data = try? Data(contentsOf: url) else { throw LoomError("\(url.path): cannot read the vocabularies") }
        do { return try JSONDecoder().decode(Seq2SeqVocabularies.self, from: data) } catch {
            throw LoomError("\(url.path): not a seq2seq vocabulary file (\(error))")
        }
    }
}
