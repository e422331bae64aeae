import Foundation
import XCTest
@testable import LoomText

final class LinearClassifierTests: XCTestCase {
    private let training: [LabelledText] = {
        let groups = [
            "sport": ["goal", "match", "team", "score", "coach", "league"],
            "food": ["bread", "cheese", "soup", "bake", "recipe", "spice"],
            "music": ["guitar", "melody", "drums", "concert", "chord", "song"],
        ]
        var generator = TextModelGenerator(seed: 1)
        var examples: [LabelledText] = []
        for _ in 0..<40 {
            for (label, words) in groups.sorted(by: { $0.key < $1.key }) {
                // Shared filler words carry no signal; only the group words separate the classes.
                let text = (0..<5).map { _ in words[generator.nextIndex(below: words.count)] } + ["the", "and", "today"]
                examples.append(LabelledText(label: label, text: text.shuffled(using: &generator).joined(separator: " ")))
            }
        }
        return examples
    }()
    private let heldOut = [
        LabelledText(label: "sport", text: "the coach and the team"),
        LabelledText(label: "food", text: "a recipe for soup with cheese"),
        LabelledText(label: "music", text: "today the concert had drums"),
    ]

    func testLimitedMemoryBFGSFindsQuadraticMinimum() {
        // f(x) = Σ_i (i + 1)(x_i - i)², minimum at x_i = i.
        var x = [Double](repeating: 0, count: 20)
        let outcome = LimitedMemoryBFGS().minimize(&x) { x, gradient in
            var value = 0.0
            for i in 0..<x.count {
                value += Double(i + 1) * (x[i] - Double(i)) * (x[i] - Double(i))
                gradient[i] = 2 * Double(i + 1) * (x[i] - Double(i))
            }
            return value
        }
        for i in 0..<x.count { XCTAssertEqual(x[i], Double(i), accuracy: 1e-3) }
        XCTAssertLessThan(outcome.value, 1e-6)
    }

    func testLogisticRegressionLearnsSeparableSet() throws {
        let classifier = try TextClassifier.train(examples: training, kind: .logistic, inverseRegularization: 100, seed: 0)
        XCTAssertEqual(classifier.labels, ["food", "music", "sport"])
        XCTAssertEqual(classifier.accuracy(on: training), 1)
        XCTAssertEqual(classifier.predict(heldOut.map(\.text)), heldOut.map(\.label))
    }

    func testSupportVectorMachineLearnsSeparableSet() throws {
        let classifier = try TextClassifier.train(examples: training, kind: .svm, inverseRegularization: 1, seed: 3)
        XCTAssertEqual(classifier.accuracy(on: training), 1)
        XCTAssertEqual(classifier.predict(heldOut.map(\.text)), heldOut.map(\.label))
        // One-vs-rest margins: a training row of its own class scores at least about +1.
        let features = classifier.vectorizer.transform([training[0].text])
        let label = classifier.labels.firstIndex(of: training[0].label)!
        var score = classifier.weights.biases[label]
        for (column, value) in features.row(0) { score += value * classifier.weights.weights[column * 3 + label] }
        XCTAssertGreaterThan(score, 0.9)
    }

    func testSavedClassifierPredictsTheSame() throws {
        let classifier = try TextClassifier.train(examples: training, kind: .logistic, inverseRegularization: 10, seed: 0)
        let directory = NSTemporaryDirectory() + "loom-classifier-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try classifier.save(to: directory)
        let loaded = try TextClassifier.load(from: directory)
        XCTAssertEqual(loaded.weights, classifier.weights)
        XCTAssertEqual(loaded.vectorizer.vocabulary, classifier.vectorizer.vocabulary)
        XCTAssertEqual(loaded.vectorizer.inverseDocumentFrequency, classifier.vectorizer.inverseDocumentFrequency)
        XCTAssertEqual(loaded.predict(heldOut.map(\.text)), classifier.predict(heldOut.map(\.text)))
    }

    func testTSVWithoutTabNamesTheLine() throws {
        let path = NSTemporaryDirectory() + "loom-bad-\(getpid()).tsv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "a\tfine line\n\nno tab here\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LabelledText.read(path: path)) { error in
            XCTAssertEqual("\(error)", "\(path):3: expected label<TAB>text, found no tab")
        }
    }
}
