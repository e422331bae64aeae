import XCTest
import Foundation
import LoomTensor
@testable import LoomNN

/// Reading PyTorch fixtures and comparing against them, llm.c style: each comparison
/// reports the largest difference it saw.
enum Fixture {
    static func load(_ name: String) throws -> SafeTensors {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"),
                                "fixture \(name) is missing")
        return try SafeTensors.read(url)
    }

    /// Integer targets are stored as float32 values.
    static func indices(_ t: Tensor) -> [Int32] { t.scalars.map { Int32($0.rounded()) } }
}

/// Largest |actual - expected| / max(1, |expected|): relative for large values, absolute
/// near zero, where a relative measure would magnify rounding.
func largestDifference(_ actual: Tensor, _ expected: Tensor) -> Float {
    precondition(actual.count == expected.count)
    var worst: Float = 0
    for i in 0..<actual.count {
        let e = expected.pointer[i]
        let d = Swift.abs(actual.pointer[i] - e) / Swift.max(1, Swift.abs(e))
        worst = Swift.max(worst, d.isNaN ? .infinity : d)
    }
    return worst
}

func assertMatches(_ actual: Tensor?, _ expected: Tensor?, _ label: String, tolerance: Float = 1e-5,
                   file: StaticString = #filePath, line: UInt = #line) {
    guard let actual, let expected else { return XCTFail("\(label): missing tensor", file: file, line: line) }
    XCTAssertEqual(actual.shape.reduce(1, *), expected.count, "\(label): element count", file: file, line: line)
    guard actual.count == expected.count else { return }
    let worst = largestDifference(actual, expected)
    print("parity \(label): largest difference \(worst)")
    XCTAssertLessThanOrEqual(worst, tolerance, "\(label): largest difference \(worst)", file: file, line: line)
}

func temporaryDirectory(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("loom-\(name)-\(UUID())")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
