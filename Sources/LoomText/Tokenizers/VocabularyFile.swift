/// The JSON file Loom writes for its character and word tokenizers:
///
///     {
///       "type": "loom-char",               // or "loom-word"
///       "version": 1,
///       "unknown_token": "<unk>",          // always id 0
///       "special_tokens": ["<|endoftext|>"],  // matched in raw text before splitting
///       "settings": {"lowercase": false},  // tokenizer-specific, see each type
///       "vocab": ["<unk>", "<|endoftext|>", "a", ...]  // the token of each id, in id order
///     }
struct VocabularyFile {
    var type: String
    var unknownToken: String
    var specialTokens: [String]
    var settings: [String: Bool]
    var vocabulary: [String]

    func json() -> String {
        let settingsText = settings.keys.sorted().map { "\(JSONText.quoted($0)): \(settings[$0]!)" }.joined(separator: ", ")
        return """
        {
          "type": \(JSONText.quoted(type)),
          "version": 1,
          "unknown_token": \(JSONText.quoted(unknownToken)),
          "special_tokens": [\(specialTokens.map(JSONText.quoted).joined(separator: ", "))],
          "settings": {\(settingsText)},
          "vocab": \(JSONText.array(vocabulary.map(JSONText.quoted), indent: "  "))
        }

        """
    }

    /// Reads and checks a file: the type, the version, unique tokens, the unknown token at id 0
    /// and every special token present.
    static func read(_ path: String, expectedType: String, settingNames: [String]) throws -> VocabularyFile {
        let file = try JSONFields.parseFile(path)
        let type = try file.string("type")
        guard type == expectedType else {
            throw TokenizerError.malformedFile(path: path, reason: "type is '\(type)', expected '\(expectedType)'")
        }
        let version = try file.int("version")
        guard version == 1 else { throw TokenizerError.unsupported(path: path, feature: "version \(version)") }
        let unknown = try file.string("unknown_token")
        let specials = try file.stringArray("special_tokens")
        let vocabulary = try file.stringArray("vocab")
        var settings: [String: Bool] = [:]
        if let settingsFields = try file.optionalFields("settings") {
            for name in settingNames { settings[name] = try settingsFields.bool(name, default: false) }
        }
        guard vocabulary.first == unknown else {
            throw TokenizerError.malformedFile(path: path, reason: "vocab[0] must be the unknown token \(JSONText.quoted(unknown))")
        }
        var seen = Set<String>()
        for (index, token) in vocabulary.enumerated() where !seen.insert(token).inserted {
            throw TokenizerError.malformedFile(path: path, reason: "vocab[\(index)] \(JSONText.quoted(token)) appears twice")
        }
        for special in specials where !seen.contains(special) {
            throw TokenizerError.malformedFile(path: path, reason: "special token \(JSONText.quoted(special)) is not in vocab")
        }
        return VocabularyFile(type: type, unknownToken: unknown, specialTokens: specials, settings: settings,
                              vocabulary: vocabulary)
    }
}

/// Ranks tokens by count (highest first, ties by UTF-8 bytes) and keeps those a vocabulary has
/// room for.
func mostFrequent(_ counts: [String: Int], minCount: Int, limit: Int?) -> [String] {
    let ranked = counts.filter { $0.value >= minCount }.sorted { left, right in
        left.value != right.value ? left.value > right.value : left.key.utf8.lexicographicallyPrecedes(right.key.utf8)
    }
    let kept = limit.map { ranked.prefix(max(0, $0)) } ?? ranked[...]
    return kept.map(\.key)
}
