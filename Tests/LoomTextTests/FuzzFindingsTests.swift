import Foundation
import XCTest
@testable import LoomText

/// Inputs found by tools/fuzz that once trapped or leaked; each must now give a clear error.
final class TextFuzzFindingsTests: XCTestCase {
    /// fuzz-tokenizer: an empty tokenizer.json leaked Foundation's read buffer; it must read as
    /// zero bytes and be refused as not JSON.
    func testEmptyTokenizerFileIsRefused() throws {
        let path = NSTemporaryDirectory() + "loom-fuzz-\(UUID().uuidString).json"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(try TextFile.readBytes(path), [])
        XCTAssertThrowsError(try TokenizerFile.load(path)) { error in
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
    }
}

extension TextFuzzFindingsTests {
    /// fuzz-arpa: a header declaring 826 million 2-grams made the reader reserve 8 GB before
    /// reading a single one.
    func testARPAHeaderWithAnImplausibleCountIsRefused() {
        let text = "\\data\\\nngram 1=2\nngram 2=826388818\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n\n\\2-grams:\n-0.5\t<s> </s>\n\n\\end\\\n"
        XCTAssertThrowsError(try ARPAFormat.read(text: text, unit: .word, name: "big.arpa")) { error in
            XCTAssertTrue("\(error)".hasPrefix("big.arpa:3: 'ngram 2=826388818' declares more 2-grams than the file has lines"), "\(error)")
        }
    }
}
