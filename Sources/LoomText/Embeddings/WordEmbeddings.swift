import Foundation

/// Word vectors with their vocabulary. Saved as a directory: `embeddings.safetensors` (tensor
/// `embeddings`, F32, shape (words, dimension), row i for word i), `vocab.txt` (`word count` per
/// line, in row order) and `config.json` (the training options).
public struct WordEmbeddings: Sendable {
    public let words: [String]
    public let counts: [Int]
    public let dimension: Int
    /// (words, dimension), row-major.
    public let vectors: [Float]
    public var config: [String: Any] { configStorage.value }
    private let index: [String: Int]
    private let configStorage: UncheckedConfig

    private struct UncheckedConfig: @unchecked Sendable { var value: [String: Any] }

    public init(words: [String], counts: [Int], dimension: Int, vectors: [Float], config: [String: Any] = [:]) {
        precondition(words.count == counts.count && vectors.count == words.count * dimension)
        self.words = words
        self.counts = counts
        self.dimension = dimension
        self.vectors = vectors
        index = Dictionary(words.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        configStorage = UncheckedConfig(value: config)
    }

    public func id(of word: String) -> Int? { index[word] }

    public func vector(of word: String) -> ArraySlice<Float>? {
        guard let id = index[word] else { return nil }
        return vectors[(id * dimension)..<((id + 1) * dimension)]
    }

    public func cosine(_ a: String, _ b: String) -> Float? {
        guard let x = vector(of: a), let y = vector(of: b) else { return nil }
        var dot: Float = 0, xx: Float = 0, yy: Float = 0
        for (p, q) in zip(x, y) { dot += p * q; xx += p * p; yy += q * q }
        return xx > 0 && yy > 0 ? dot / (xx.squareRoot() * yy.squareRoot()) : 0
    }

    /// The `top` words with the highest cosine similarity to `word` (itself left out).
    public func neighbors(of word: String, top: Int) throws -> [(word: String, similarity: Float)] {
        guard let target = index[word] else { throw TextModelError("'\(word)' is not in the vocabulary") }
        var norms = [Float](repeating: 0, count: words.count)
        var similarities = [Float](repeating: 0, count: words.count)
        vectors.withUnsafeBufferPointer { v in
            for w in 0..<words.count {
                var sum: Float = 0
                for d in 0..<dimension { sum += v[w * dimension + d] * v[w * dimension + d] }
                norms[w] = sum.squareRoot()
            }
            for w in 0..<words.count {
                var dot: Float = 0
                for d in 0..<dimension { dot += v[w * dimension + d] * v[target * dimension + d] }
                let scale = norms[w] * norms[target]
                similarities[w] = scale > 0 ? dot / scale : 0
            }
        }
        let ranked = (0..<words.count).filter { $0 != target }
            .sorted { similarities[$0] != similarities[$1] ? similarities[$0] > similarities[$1] : $0 < $1 }
        return ranked.prefix(top).map { (words[$0], similarities[$0]) }
    }

    public func save(to directory: String) throws {
        try TextModelFiles.makeDirectory(directory)
        try FlatSafetensors.write([("embeddings", .init(shape: [words.count, dimension], values: .float32(vectors)))],
                                  metadata: ["format": "loom-word2vec"], to: directory + "/embeddings.safetensors")
        let vocabulary = zip(words, counts).map { "\($0) \($1)" }.joined(separator: "\n") + "\n"
        try TextModelFiles.writeAtomically(Data(vocabulary.utf8), to: directory + "/vocab.txt")
        var config = self.config
        config["dimension"] = dimension
        config["words"] = words.count
        let json = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys, .prettyPrinted])
        try TextModelFiles.writeAtomically(json, to: directory + "/config.json")
    }

    public static func load(from directory: String) throws -> WordEmbeddings {
        let vocabularyPath = directory + "/vocab.txt"
        var words: [String] = [], counts: [Int] = []
        for (number, line) in TextModelFiles.lines(try TextModelFiles.readText(vocabularyPath)).enumerated() {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let count = Int(parts[1]) else {
                throw TextModelError("\(vocabularyPath):\(number + 1): expected 'word count'")
            }
            words.append(String(parts[0]))
            counts.append(count)
        }
        guard !words.isEmpty else { throw TextModelError("\(vocabularyPath): empty vocabulary") }
        let path = directory + "/embeddings.safetensors"
        let tensors = try FlatSafetensors.read(path).tensors
        guard let shape = tensors["embeddings"]?.shape, shape.count == 2, shape[0] == words.count, shape[1] > 0 else {
            throw TextModelError("\(path): expected tensor 'embeddings' of shape (\(words.count), dimension)")
        }
        let vectors = try FlatSafetensors.floats(tensors, "embeddings", shape: shape, file: path)
        var config: [String: Any] = [:]
        if let data = FileManager.default.contents(atPath: directory + "/config.json"),
           let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] { config = json }
        return WordEmbeddings(words: words, counts: counts, dimension: shape[1], vectors: vectors, config: config)
    }
}
