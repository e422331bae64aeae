import Foundation

/// A TF-IDF + linear text classifier. Saved as a directory: the vectorizer's files (see
/// `TfidfVectorizer.save`), `classifier.json` (kind, labels, C) and `model.safetensors`
/// (`weight` F32 of shape (classes, features) as PyTorch's Linear stores it, and `bias`).
public struct TextClassifier: Sendable {
    public enum Kind: String, CaseIterable, Sendable {
        /// Multinomial logistic regression, L2 penalty, L-BFGS.
        case logistic
        /// One-vs-rest linear SVM, squared hinge, L2 penalty, dual coordinate descent.
        case svm
    }

    public private(set) var kind: Kind
    public private(set) var vectorizer: TfidfVectorizer
    public private(set) var labels: [String]
    public private(set) var weights: LinearWeights
    /// scikit-learn's C: larger means less regularization.
    public private(set) var inverseRegularization: Double

    /// Fits the vectorizer and the classifier on `examples`. Labels are sorted, as scikit-learn's classes_.
    public static func train(examples: [LabelledText], kind: Kind, options: TfidfVectorizer.Options = .init(),
                             inverseRegularization: Double, seed: UInt64,
                             progress: ((String) -> Void)? = nil) throws -> TextClassifier {
        guard inverseRegularization > 0 else { throw TextModelError("C must be positive, got \(inverseRegularization)") }
        let labels = Array(Set(examples.map(\.label))).sorted()
        guard labels.count >= 2 else { throw TextModelError("training needs at least two labels, found \(labels.count)") }
        let labelIndex = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        var vectorizer = TfidfVectorizer(options: options)
        let features = try vectorizer.fitTransform(examples.map(\.text))
        progress?("\(examples.count) examples, \(labels.count) labels, \(vectorizer.vocabulary.count) terms")
        let targets = examples.map { labelIndex[$0.label]! }
        let weights: LinearWeights
        switch kind {
        case .logistic:
            weights = SoftmaxRegression.train(features: features, labels: targets, classCount: labels.count,
                                              inverseRegularization: inverseRegularization) { iteration, loss in
                if iteration % 10 == 0 { progress?("step \(iteration): train loss \(String(format: "%.5f", loss))") }
            }
        case .svm:
            weights = LinearSupportVectorMachine.train(features: features, labels: targets, classCount: labels.count,
                                                       regularization: inverseRegularization, seed: seed)
        }
        return TextClassifier(kind: kind, vectorizer: vectorizer, labels: labels, weights: weights,
                              inverseRegularization: inverseRegularization)
    }

    public func predict(_ texts: [String]) -> [String] {
        weights.predict(vectorizer.transform(texts)).map { labels[$0] }
    }

    /// The fraction of examples whose predicted label equals the given one.
    public func accuracy(on examples: [LabelledText]) -> Double {
        guard !examples.isEmpty else { return .nan }
        let predicted = predict(examples.map(\.text))
        return Double(zip(predicted, examples).filter { $0 == $1.label }.count) / Double(examples.count)
    }

    public func save(to directory: String) throws {
        try vectorizer.save(to: directory)
        let config: [String: Any] = ["model": kind.rawValue, "labels": labels, "C": inverseRegularization,
                                     "features": weights.featureCount, "format": "loom-text-classifier"]
        let json = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys, .prettyPrinted])
        try TextModelFiles.writeAtomically(json, to: directory + "/classifier.json")
        // Stored as (classes, features), the layout of a PyTorch Linear weight.
        var transposed = [Float](repeating: 0, count: weights.weights.count)
        for j in 0..<weights.featureCount {
            for c in 0..<weights.classCount { transposed[c * weights.featureCount + j] = weights.weights[j * weights.classCount + c] }
        }
        try FlatSafetensors.write([
            ("weight", .init(shape: [weights.classCount, weights.featureCount], values: .float32(transposed))),
            ("bias", .init(shape: [weights.classCount], values: .float32(weights.biases))),
        ], metadata: ["format": "loom-text-classifier"], to: directory + "/model.safetensors")
    }

    public static func load(from directory: String) throws -> TextClassifier {
        let configPath = directory + "/classifier.json"
        guard let data = FileManager.default.contents(atPath: configPath),
              let config = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TextModelError("cannot read \(configPath) as a JSON object")
        }
        guard let kindName = config["model"] as? String, let kind = Kind(rawValue: kindName) else {
            throw TextModelError("\(configPath): \"model\" must be one of \(Kind.allCases.map(\.rawValue))")
        }
        guard let labels = config["labels"] as? [String], labels.count >= 2 else {
            throw TextModelError("\(configPath): \"labels\" must list at least two labels")
        }
        let vectorizer = try TfidfVectorizer.load(from: directory)
        let features = vectorizer.vocabulary.count, classes = labels.count
        let path = directory + "/model.safetensors"
        let tensors = try FlatSafetensors.read(path).tensors
        let stored = try FlatSafetensors.floats(tensors, "weight", shape: [classes, features], file: path)
        let biases = try FlatSafetensors.floats(tensors, "bias", shape: [classes], file: path)
        var weights = [Float](repeating: 0, count: stored.count)
        for c in 0..<classes {
            for j in 0..<features { weights[j * classes + c] = stored[c * features + j] }
        }
        return TextClassifier(kind: kind, vectorizer: vectorizer, labels: labels,
                              weights: LinearWeights(featureCount: features, classCount: classes, weights: weights, biases: biases),
                              inverseRegularization: config["C"] as? Double ?? 1)
    }
}
