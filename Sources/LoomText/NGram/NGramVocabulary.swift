import Foundation

/// How a line of text becomes n-gram tokens.
public enum NGramUnit: String, CaseIterable, Sendable {
    /// Tokens are the pieces between whitespace.
    case word
    /// Tokens are Unicode scalars (newlines end the line). A space becomes "▁" and any other
    /// whitespace scalar becomes "<U+XXXX>", because ARPA files separate tokens with whitespace.
    case char

    public static let spaceSymbol = "\u{2581}"

    /// The tokens of one line, in the spelling the model and ARPA file use.
    public func tokens(of line: Substring) -> [String] {
        switch self {
        case .word:
            return line.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        case .char:
            return line.unicodeScalars.map { scalar -> String in
                if scalar == " " { return NGramUnit.spaceSymbol }
                if scalar.properties.isWhitespace { return String(format: "<U+%04X>", scalar.value) }
                return String(scalar)
            }
        }
    }

    /// Joins sampled tokens back into text.
    public func join(_ tokens: [String]) -> String {
        switch self {
        case .word: return tokens.joined(separator: " ")
        case .char:
            return tokens.map { token -> String in
                if token == NGramUnit.spaceSymbol { return " " }
                if token.hasPrefix("<U+"), token.hasSuffix(">"),
                   let value = UInt32(token.dropFirst(3).dropLast(), radix: 16), let scalar = Unicode.Scalar(value) {
                    return String(scalar)
                }
                return token
            }.joined()
        }
    }
}

/// Token strings and their ids. Ids 0, 1, 2 are always <unk>, <s>, </s> (KenLM's order);
/// other tokens follow in order of first appearance.
public struct NGramVocabulary: Sendable {
    public static let unknown: Int32 = 0
    public static let sentenceStart: Int32 = 1
    public static let sentenceEnd: Int32 = 2
    public static let specialSpellings = ["<unk>", "<s>", "</s>"]

    public private(set) var words: [String] = []
    private var index: [String: Int32] = [:]

    public init() {
        for word in NGramVocabulary.specialSpellings { _ = add(word) }
    }

    public var count: Int { words.count }

    public func id(of word: String) -> Int32? { index[word] }

    /// The id of `word`, adding it when new.
    public mutating func add(_ word: String) -> Int32 {
        if let id = index[word] { return id }
        let id = Int32(words.count)
        words.append(word)
        index[word] = id
        return id
    }
}
