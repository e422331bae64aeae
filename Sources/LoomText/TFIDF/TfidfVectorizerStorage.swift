import Foundation

/// A fitted vectorizer in a directory: `vectorizer.json` (options), `vocabulary.txt` (one term per
/// line, in column order) and `vectorizer.safetensors` (the F64 idf vector).
extension TfidfVectorizer {
    public func save(to directory: String) throws {
        try TextModelFiles.makeDirectory(directory)
        var config: [String: Any] = [
            "lowercase": options.lowercase,
            "ngram_range": [options.ngramRange.lowerBound, options.ngramRange.upperBound],
            "sublinear_tf": options.sublinearTermFrequency,
            "token_pattern": "(?u)\\b\\w\\w+\\b",
            "norm": "l2",
            "terms": vocabulary.count,
        ]
        func encode(_ frequency: DocumentFrequency) -> Any {
            switch frequency {
            case .count(let n): return ["count": n]
            case .fraction(let f): return ["fraction": f]
            }
        }
        config["min_df"] = encode(options.minimumDocumentFrequency)
        config["max_df"] = encode(options.maximumDocumentFrequency)
        if let limit = options.maximumFeatures { config["max_features"] = limit }
        let json = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys, .prettyPrinted])
        try TextModelFiles.writeAtomically(json, to: directory + "/vectorizer.json")
        try TextModelFiles.writeAtomically(Data((vocabulary.joined(separator: "\n") + "\n").utf8), to: directory + "/vocabulary.txt")
        try FlatSafetensors.write([("idf", .init(shape: [inverseDocumentFrequency.count], values: .float64(inverseDocumentFrequency)))],
                                  metadata: ["format": "loom-tfidf"], to: directory + "/vectorizer.safetensors")
    }

    public static func load(from directory: String) throws -> TfidfVectorizer {
        let configPath = directory + "/vectorizer.json"
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw TextModelError("cannot read \(configPath)")
        }
        guard let config = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TextModelError("\(configPath): not a JSON object")
        }
        var options = Options()
        options.lowercase = config["lowercase"] as? Bool ?? true
        options.sublinearTermFrequency = config["sublinear_tf"] as? Bool ?? false
        if let range = config["ngram_range"] as? [Int] {
            guard range.count == 2, range[0] >= 1, range[1] >= range[0] else {
                throw TextModelError("\(configPath): bad ngram_range \(range)")
            }
            options.ngramRange = range[0]...range[1]
        }
        options.maximumFeatures = config["max_features"] as? Int
        func decode(_ value: Any?) -> DocumentFrequency? {
            guard let value = value as? [String: Any] else { return nil }
            if let n = value["count"] as? Int { return .count(n) }
            if let f = value["fraction"] as? Double { return .fraction(f) }
            return nil
        }
        options.minimumDocumentFrequency = decode(config["min_df"]) ?? .count(1)
        options.maximumDocumentFrequency = decode(config["max_df"]) ?? .fraction(1)
        let vocabularyPath = directory + "/vocabulary.txt"
        let vocabulary = TextModelFiles.lines(try TextModelFiles.readText(vocabularyPath)).map(String.init)
        guard !vocabulary.isEmpty else { throw TextModelError("\(vocabularyPath): empty vocabulary") }
        let tensorsPath = directory + "/vectorizer.safetensors"
        let idf = try FlatSafetensors.doubles(try FlatSafetensors.read(tensorsPath).tensors, "idf", count: vocabulary.count, file: tensorsPath)
        guard Set(vocabulary).count == vocabulary.count else { throw TextModelError("\(vocabularyPath): repeated terms") }
        return TfidfVectorizer(options: options, vocabulary: vocabulary, inverseDocumentFrequency: idf)
    }
}
