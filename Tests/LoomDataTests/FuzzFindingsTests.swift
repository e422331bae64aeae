import Foundation
import XCTest
@testable import LoomData

/// Inputs found by tools/fuzz that once trapped or leaked; each must now give a clear error.
final class DataFuzzFindingsTests: XCTestCase {
    /// fuzz-idx: sizes whose product passes Int.max trapped on overflow.
    func testIDXHeaderWhoseSizesOverflowIsRejected() throws {
        let directory = try makeTemporaryDirectory(self)
        let url = directory.appendingPathComponent("images-idx3-ubyte")
        let bytes: [UInt8] = [0, 0, 8, 3, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0] + (0..<19).map { UInt8($0) }
        try Data(bytes).write(to: url)
        XCTAssertThrowsError(try IDX.readImages(url)) { error in
            XCTAssertTrue("\(error)".contains("images-idx3-ubyte: header promises 16777216 images of 33554432×50331648 pixels"), "\(error)")
        }
    }

    /// fuzz-tokenizer (through the shared reader): an empty file reads as no bytes, and a
    /// directory says so, both without Foundation's reader (which leaked on empty files).
    func testEmptyFileAndDirectoryReadCleanly() throws {
        let directory = try makeTemporaryDirectory(self)
        let empty = directory.appendingPathComponent("empty-idx1-ubyte")
        try Data().write(to: empty)
        XCTAssertThrowsError(try IDX.readLabels(empty)) { error in
            XCTAssertTrue("\(error)".contains("empty-idx1-ubyte: truncated IDX header: 0 bytes"), "\(error)")
        }
        XCTAssertThrowsError(try TSV.read(directory)) { error in
            XCTAssertTrue("\(error)".hasSuffix("cannot read: is a directory"), "\(error)")
        }
    }
}
