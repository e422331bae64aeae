import Foundation
import XCTest
@testable import LoomText

final class TFIDFTests: XCTestCase {
    private func loadFixture() throws -> [String: Any] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "tfidf", withExtension: "json", subdirectory: "Fixtures"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    private func options(_ json: [String: Any]) -> TfidfVectorizer.Options {
        var options = TfidfVectorizer.Options()
        func frequency(_ value: Any) -> TfidfVectorizer.DocumentFrequency {
            if let n = value as? Int, !(value is Double && "\(value)".contains(".")) { return .count(n) }
            return .fraction((value as? Double) ?? 1)
        }
        if let range = json["ngram_range"] as? [Int] { options.ngramRange = range[0]...range[1] }
        if let sublinear = json["sublinear_tf"] as? Bool { options.sublinearTermFrequency = sublinear }
        if let lowercase = json["lowercase"] as? Bool { options.lowercase = lowercase }
        if let value = json["min_df"] { options.minimumDocumentFrequency = frequency(value) }
        if let value = json["max_df"] { options.maximumDocumentFrequency = frequency(value) }
        if let value = json["max_features"] as? Int { options.maximumFeatures = value }
        return options
    }

    private func assertClose(_ actual: [[Float]], _ expected: [[Double]], _ message: String) {
        XCTAssertEqual(actual.count, expected.count, message)
        var largest = 0.0
        for (a, e) in zip(actual, expected) {
            XCTAssertEqual(a.count, e.count, message)
            for (x, y) in zip(a, e) { largest = max(largest, abs(Double(x) - y)) }
        }
        XCTAssertLessThan(largest, 1e-6, "\(message): largest difference \(largest)")
    }

    func testMatchesScikitLearnFixture() throws {
        let fixture = try loadFixture()
        let documents = try XCTUnwrap(fixture["documents"] as? [String])
        let cases = try XCTUnwrap(fixture["cases"] as? [String: [String: Any]])
        XCTAssertEqual(cases.count, 5)
        for (name, expected) in cases.sorted(by: { $0.key < $1.key }) {
            var vectorizer = TfidfVectorizer(options: options(expected["options"] as? [String: Any] ?? [:]))
            let matrix = try vectorizer.fitTransform(documents)
            XCTAssertEqual(vectorizer.vocabulary, expected["vocabulary"] as? [String], name)
            let idf = try XCTUnwrap(expected["idf"] as? [Double])
            for (a, b) in zip(vectorizer.inverseDocumentFrequency, idf) { XCTAssertEqual(a, b, accuracy: 1e-12, name) }
            assertClose(matrix.dense(), try XCTUnwrap(expected["matrix"] as? [[Double]]), name)
            let queries = vectorizer.transform(["the light of God and the earth", "Größe café мир"])
            assertClose(queries.dense(), try XCTUnwrap(expected["query"] as? [[Double]]), "\(name) transform")
        }
    }

    func testTokenPatternEdgeCases() {
        var pattern = WordTokenPattern()
        func tokens(_ text: String) -> [String] {
            var arena: [UInt8] = [], ends: [Int] = []
            var text = text
            text.withUTF8 { pattern.tokenize($0, arena: &arena, ends: &ends) }
            var start = 0
            return ends.map { end in defer { start = end }; return String(decoding: arena[start..<end], as: UTF8.self) }
        }
        XCTAssertEqual(tokens("A bc DEF a1 _x -- é"), ["bc", "def", "a1", "_x"])
        XCTAssertEqual(tokens("ÉCOLE naïve"), ["école", "naïve"])
        // A combining mark is not a word character, so it splits the run as Python's re does.
        XCTAssertEqual(tokens("cafe\u{301}s"), ["cafe"])
        XCTAssertEqual(tokens("ПРИВЕТ мир"), ["привет", "мир"])
    }

    func testRowsAreUnitLengthWithSortedColumns() throws {
        var vectorizer = TfidfVectorizer()
        let matrix = try vectorizer.fitTransform(["bb aa cc aa", "cc cc dd", "", "ee"])
        XCTAssertEqual(vectorizer.vocabulary, ["aa", "bb", "cc", "dd", "ee"])
        for r in [0, 1, 3] {
            let row = matrix.row(r)
            XCTAssertEqual(row.map(\.value).reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-6)
            XCTAssertEqual(row.map(\.column), row.map(\.column).sorted())
        }
        XCTAssertTrue(matrix.row(2).isEmpty)
        var empty = TfidfVectorizer()
        XCTAssertThrowsError(try empty.fitTransform(["a", "!"]))
    }
}

final class TFIDFIndexTests: XCTestCase {
    func testSearchRanksByCosineAndSurvivesSaving() throws {
        let documents = ["the cat sat on the mat", "", "dogs chase cats", "the cat and the dog", "nothing shared here"]
        let index = try TfidfIndex(documents: documents)
        let results = index.search("cat mat", top: 10)
        XCTAssertEqual(results.map(\.line), [1, 4])
        XCTAssertEqual(results[0].text, documents[0])
        // The score is the dot product of two unit rows.
        let query = index.vectorizer.transform(["cat mat"]).dense()[0]
        let row = index.matrix.dense()[0]
        XCTAssertEqual(results[0].score, zip(query, row).map(*).reduce(0, +), accuracy: 1e-6)
        let directory = NSTemporaryDirectory() + "loom-index-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try index.save(to: directory)
        let loaded = try TfidfIndex.load(from: directory)
        XCTAssertEqual(loaded.documents, documents)
        XCTAssertEqual(loaded.matrix, index.matrix)
        XCTAssertEqual(loaded.search("cat mat", top: 1), Array(results.prefix(1)))
    }
}
