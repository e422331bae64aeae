import XCTest
@testable import LoomData

final class SplitTests: XCTestCase {
    func testFNV1aMatchesPublishedVectors() {
        XCTAssertEqual(fnv1a64("".utf8), 0xcbf2_9ce4_8422_2325)
        XCTAssertEqual(fnv1a64("a".utf8), 0xaf63_dc4c_8601_ec8c)
        XCTAssertEqual(fnv1a64("foobar".utf8), 0x85944171f73967e8)
    }

    func testSplitIsAFunctionOfTheKeyAlone() {
        let keys = (0..<1000).map { "Ge \($0)" }
        let first = keys.map(Split.of(key:))
        let second = keys.reversed().map(Split.of(key:)).reversed()
        XCTAssertEqual(first, Array(second))
        // Pinned so that a change of hash (which would reshuffle every corpus) fails here.
        XCTAssertEqual(Split.bucket(key: "a"), 96) // 0xaf63dc4c8601ec8c % 100
        XCTAssertEqual(Split.bucket(key: ""), 37) // 0xcbf29ce484222325 % 100
    }

    func testBucketBoundaries() {
        // Find keys landing in buckets 79, 80, 89 and 90 and check which side they fall on.
        var seen: [Int: String] = [:]
        var index = 0
        while seen.count < 4 {
            let key = "key-\(index)"
            let bucket = Split.bucket(key: key)
            if [79, 80, 89, 90].contains(bucket) && seen[bucket] == nil { seen[bucket] = key }
            index += 1
        }
        XCTAssertEqual(Split.of(key: seen[79]!), .train)
        XCTAssertEqual(Split.of(key: seen[80]!), .validation)
        XCTAssertEqual(Split.of(key: seen[89]!), .validation)
        XCTAssertEqual(Split.of(key: seen[90]!), .test)
    }

    func testProportionsAreEightyTenTen() {
        var counts: [Split: Int] = [:]
        let total = 100_000
        for index in 0..<total { counts[Split.of(key: "example \(index)"), default: 0] += 1 }
        XCTAssertEqual(Double(counts[.train, default: 0]) / Double(total), 0.8, accuracy: 0.01)
        XCTAssertEqual(Double(counts[.validation, default: 0]) / Double(total), 0.1, accuracy: 0.01)
        XCTAssertEqual(Double(counts[.test, default: 0]) / Double(total), 0.1, accuracy: 0.01)
    }

    func testFileStems() {
        XCTAssertEqual(Split.allCases.map(\.fileStem), ["train", "val", "test"])
    }
}
