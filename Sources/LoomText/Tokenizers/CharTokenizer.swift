/// One id per Unicode scalar, as character-level language models use.
///
/// Id 0 is the unknown token, which stands for scalars the training text did not hold (or that
/// fell below the cut) and decodes to U+FFFD. Special tokens follow, then the scalars in code
/// point order.
public struct CharTokenizer: Tokenizer {
    static let fileType = "loom-char"

    public let unknownToken: String
    public let specialTokens: [String]
    /// The token of each id.
    public let vocabulary: [String]
    private let idForScalar: [UInt32: Int]
    private let matcher: AddedTokenMatcher

    public init(scalars: [Unicode.Scalar], specialTokens: [String] = [], unknownToken: String = "<unk>") throws {
        let sortedScalars = Set(scalars).sorted { $0.value < $1.value }
        try self.init(vocabulary: [unknownToken] + specialTokens + sortedScalars.map { String($0) },
                      specialTokens: specialTokens, unknownToken: unknownToken, source: "vocabulary")
    }

    private init(vocabulary: [String], specialTokens: [String], unknownToken: String, source: String) throws {
        var seen = Set<String>()
        for (id, token) in vocabulary.enumerated() where !seen.insert(token).inserted {
            throw TokenizerError.malformedFile(path: source, reason: "vocab[\(id)] \(JSONText.quoted(token)) appears twice")
        }
        var idForScalar: [UInt32: Int] = [:]
        let specialSet = Set(specialTokens)
        for (id, token) in vocabulary.enumerated().dropFirst() where !specialSet.contains(token) {
            let scalars = token.unicodeScalars
            guard scalars.count == 1, let scalar = scalars.first else {
                throw TokenizerError.malformedFile(path: source, reason: "vocab[\(id)] \(JSONText.quoted(token)) is not one scalar")
            }
            idForScalar[scalar.value] = id
        }
        self.vocabulary = vocabulary
        self.specialTokens = specialTokens
        self.unknownToken = unknownToken
        self.idForScalar = idForScalar
        let ids = Dictionary(vocabulary.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { first, _ in first })
        matcher = AddedTokenMatcher(specialTokens.map { AddedToken(id: ids[$0]!, content: $0) })
    }

    /// Keeps the scalars seen at least `minCount` times, the most frequent first when
    /// `maxVocabSize` (which counts the unknown and special tokens) cuts the list.
    public static func train(_ text: String, maxVocabSize: Int? = nil, minCount: Int = 1,
                             specialTokens: [String] = [], unknownToken: String = "<unk>",
                             source: String = "corpus") throws -> CharTokenizer {
        let matcher = AddedTokenMatcher(specialTokens.enumerated().map { AddedToken(id: $0.offset, content: $0.element) })
        var counts: [UInt32: Int] = [:]
        for piece in matcher.split(text) {
            guard case let .text(segment) = piece else { continue }
            for scalar in segment.unicodeScalars { counts[scalar.value, default: 0] += 1 }
        }
        if counts.isEmpty { throw TokenizerError.emptyCorpus(source: source) }
        let room = maxVocabSize.map { $0 - 1 - specialTokens.count }
        if let room, room < 1 {
            throw TokenizerError.invalidOption("vocab size \(maxVocabSize!) leaves no room beside the unknown and special tokens")
        }
        let named = Dictionary(uniqueKeysWithValues: counts.map { (String(Unicode.Scalar($0.key)!), $0.value) })
        let kept = mostFrequent(named, minCount: minCount, limit: room).map { $0.unicodeScalars.first! }
        return try CharTokenizer(scalars: kept, specialTokens: specialTokens, unknownToken: unknownToken)
    }

    public var vocabSize: Int { vocabulary.count }

    public func encode(_ text: String) -> [Int] {
        var ids: [Int] = []
        ids.reserveCapacity(text.utf8.count)
        for piece in matcher.split(text) {
            switch piece {
            case let .token(id): ids.append(id)
            case let .text(segment):
                for scalar in segment.unicodeScalars { ids.append(idForScalar[scalar.value] ?? 0) }
            }
        }
        return ids
    }

    public func decode(_ ids: [Int]) throws -> String {
        var text = ""
        for (position, id) in ids.enumerated() {
            guard id >= 0 && id < vocabulary.count else {
                throw TokenizerError.idOutOfRange(id: id, position: position, vocabSize: vocabulary.count)
            }
            text += id == 0 ? "\u{FFFD}" : vocabulary[id]
        }
        return text
    }

    public func save(to path: String) throws {
        let file = VocabularyFile(type: Self.fileType, unknownToken: unknownToken, specialTokens: specialTokens,
                                  settings: [:], vocabulary: vocabulary)
        try writeAtomically(file.json(), to: path)
    }

    public static func load(from path: String) throws -> CharTokenizer {
        let file = try VocabularyFile.read(path, expectedType: fileType, settingNames: [])
        return try CharTokenizer(vocabulary: file.vocabulary, specialTokens: file.specialTokens,
                                 unknownToken: file.unknownToken, source: path)
    }
}
