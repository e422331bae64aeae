import Foundation

/// GPT-2's original files: `vocab.json` (token -> id) and `merges.txt` (one "a b" merge a line,
/// after an optional "#version" line).
extension BPETokenizer {
    public static func loadGPT2(vocabularyPath: String, mergesPath: String) throws -> BPETokenizer {
        let vocabularyFields = try JSONFields.parseFile(vocabularyPath)
        var vocabulary: [String: Int] = [:]
        for (token, value) in vocabularyFields.object {
            guard let id = JSONFields.integer(value) else {
                throw vocabularyFields.fail(token, "expected an integer id")
            }
            vocabulary[token] = id
        }
        let text = try TextFile.read(mergesPath)
        var merges: [(String, String)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if trimmed.isEmpty || (index == 0 && trimmed.hasPrefix("#version")) { continue }
            let parts = trimmed.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw TokenizerError.malformedFile(path: mergesPath,
                                                   reason: "line \(index + 1): expected two tokens separated by one space")
            }
            merges.append((String(parts[0]), String(parts[1])))
        }
        // GPT-2 marks document ends with this token, which its vocabulary holds as a plain entry.
        let endOfText = "<|endoftext|>"
        let added = vocabulary[endOfText].map { [AddedToken(id: $0, content: endOfText)] } ?? []
        return try BPETokenizer(vocabulary: vocabulary, merges: merges, addedTokens: added,
                                source: "\(vocabularyPath) with \(mergesPath)")
    }
}
