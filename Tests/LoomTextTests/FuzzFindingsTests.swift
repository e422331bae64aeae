import Foundation
import XCTest
@testable import LoomText

/// Inputs found by tools/fuzz that once trapped or leaked; each must now give a clear error.
final class FuzzFindingsTests: XCTestCase {
    /// fuzz-tokenizer: an empty tokenizer.json leaked Foundation's read buffer; it must read as
    /// zero bytes and be refused as not JSON.
    func testEmptyTokenizerFileIsRefused() throws {
        let path = NSTemporaryDirectory() + "loom-fuzz-\(UUID().uuidString).json"
        FileManager.default.createFile(atPath: path, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(try TextFile.readBytes(path), [])
        XCTAssertThrowsError(try TokenizerFile.load(path)) { error in
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
    }
}
