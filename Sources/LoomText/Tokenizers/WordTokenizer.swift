/// One id per word, with words found by ICU's word-break rules (`WordSegmenter`).
///
/// Id 0 is the unknown token, then special tokens, then words from most to least frequent.
/// White space is not kept: `decode` joins words with single spaces, leaving none before
/// closing punctuation or after opening brackets, so it restores readable text, not the
/// exact original.
public struct WordTokenizer: Tokenizer {
    static let fileType = "loom-word"

    public let unknownToken: String
    public let specialTokens: [String]
    public let vocabulary: [String]
    /// Fold case and compatibility forms (NFKC_Casefold) before splitting.
    public let lowercase: Bool
    public let segmenter: WordSegmenter
    private let idForWord: [String: Int]
    private let matcher: AddedTokenMatcher

    public init(words: [String], specialTokens: [String] = [], unknownToken: String = "<unk>",
                lowercase: Bool = false, segmenter: WordSegmenter = WordSegmenter()) throws {
        try self.init(vocabulary: [unknownToken] + specialTokens + words, specialTokens: specialTokens,
                      unknownToken: unknownToken, lowercase: lowercase, segmenter: segmenter, source: "vocabulary")
    }

    private init(vocabulary: [String], specialTokens: [String], unknownToken: String, lowercase: Bool,
                 segmenter: WordSegmenter, source: String) throws {
        var idForWord: [String: Int] = [:]
        for (id, token) in vocabulary.enumerated() {
            guard idForWord[token] == nil else {
                throw TokenizerError.malformedFile(path: source, reason: "vocab[\(id)] \(JSONText.quoted(token)) appears twice")
            }
            idForWord[token] = id
        }
        self.vocabulary = vocabulary
        self.specialTokens = specialTokens
        self.unknownToken = unknownToken
        self.lowercase = lowercase
        self.segmenter = segmenter
        self.idForWord = idForWord
        matcher = AddedTokenMatcher(specialTokens.map { AddedToken(id: idForWord[$0]!, content: $0) })
    }

    /// Keeps words seen at least `minCount` times, the most frequent first when `maxVocabSize`
    /// (which counts the unknown and special tokens) cuts the list.
    public static func train(_ text: String, maxVocabSize: Int? = nil, minCount: Int = 1,
                             specialTokens: [String] = [], unknownToken: String = "<unk>",
                             lowercase: Bool = false, segmenter: WordSegmenter = WordSegmenter(),
                             source: String = "corpus") throws -> WordTokenizer {
        let matcher = AddedTokenMatcher(specialTokens.enumerated().map { AddedToken(id: $0.offset, content: $0.element) })
        var counts: [String: Int] = [:]
        for piece in matcher.split(text) {
            guard case let .text(segment) = piece else { continue }
            for word in try words(segment, lowercase: lowercase, segmenter: segmenter) { counts[word, default: 0] += 1 }
        }
        if counts.isEmpty { throw TokenizerError.emptyCorpus(source: source) }
        let room = maxVocabSize.map { $0 - 1 - specialTokens.count }
        if let room, room < 1 {
            throw TokenizerError.invalidOption("vocab size \(maxVocabSize!) leaves no room beside the unknown and special tokens")
        }
        let reserved = Set([unknownToken] + specialTokens)
        let kept = mostFrequent(counts.filter { !reserved.contains($0.key) }, minCount: minCount, limit: room)
        return try WordTokenizer(words: kept, specialTokens: specialTokens, unknownToken: unknownToken,
                                 lowercase: lowercase, segmenter: segmenter)
    }

    private static func words(_ text: String, lowercase: Bool, segmenter: WordSegmenter) throws -> [String] {
        try segmenter.words(lowercase ? Normalizer.nfkcCasefold(text) : text)
    }

    public var vocabSize: Int { vocabulary.count }

    /// Throws only when ICU fails (for example on text past 2^31 UTF-16 units).
    public func encode(_ text: String) throws -> [Int] {
        var ids: [Int] = []
        for piece in matcher.split(text) {
            switch piece {
            case let .token(id): ids.append(id)
            case let .text(segment):
                for word in try Self.words(segment, lowercase: lowercase, segmenter: segmenter) {
                    ids.append(idForWord[word] ?? 0)
                }
            }
        }
        return ids
    }

    public func decode(_ ids: [Int]) throws -> String {
        var text = ""
        var previous = ""
        for (position, id) in ids.enumerated() {
            guard id >= 0 && id < vocabulary.count else {
                throw TokenizerError.idOutOfRange(id: id, position: position, vocabSize: vocabulary.count)
            }
            let word = vocabulary[id]
            if position > 0 && !Self.attachesLeft(word) && !Self.attachesRight(previous) { text += " " }
            text += word
            previous = word
        }
        return text
    }

    private static func attachesLeft(_ word: String) -> Bool {
        guard let first = word.unicodeScalars.first else { return false }
        return ".,;:!?)]}»”’…%".unicodeScalars.contains(first)
    }

    private static func attachesRight(_ word: String) -> Bool {
        guard let last = word.unicodeScalars.last else { return false }
        return "([{«“‘".unicodeScalars.contains(last)
    }

    public func save(to path: String) throws {
        let settings = ["lowercase": lowercase, "keep_numbers": segmenter.keepNumbers,
                        "keep_punctuation": segmenter.keepPunctuation]
        let file = VocabularyFile(type: Self.fileType, unknownToken: unknownToken, specialTokens: specialTokens,
                                  settings: settings, vocabulary: vocabulary)
        try writeAtomically(file.json(), to: path)
    }

    public static func load(from path: String) throws -> WordTokenizer {
        let file = try VocabularyFile.read(path, expectedType: fileType,
                                           settingNames: ["lowercase", "keep_numbers", "keep_punctuation"])
        let segmenter = WordSegmenter(keepNumbers: file.settings["keep_numbers"] ?? true,
                                      keepPunctuation: file.settings["keep_punctuation"] ?? true)
        return try WordTokenizer(vocabulary: file.vocabulary, specialTokens: file.specialTokens,
                                 unknownToken: file.unknownToken, lowercase: file.settings["lowercase"] ?? false,
                                 segmenter: segmenter, source: path)
    }
}
