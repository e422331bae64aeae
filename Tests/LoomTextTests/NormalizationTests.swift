import XCTest
@testable import LoomText

final class NormalizationTests: XCTestCase {
    /// String equality in Swift ignores normalization, so compare scalar by scalar.
    private func scalars(_ text: String) -> [UInt32] { text.unicodeScalars.map(\.value) }

    func testNFCComposesAndNFDDecomposes() throws {
        XCTAssertEqual(scalars(try Normalizer.nfc("e\u{301}")), [0xE9])
        XCTAssertEqual(scalars(try Normalizer.nfd("\u{E9}")), [0x65, 0x301])
        // Hangul syllables compose from jamo.
        XCTAssertEqual(scalars(try Normalizer.nfc("\u{1112}\u{1161}\u{11AB}")), [0xD55C])
        // NFC keeps compatibility characters.
        XCTAssertEqual(scalars(try Normalizer.nfc("\u{FB01}")), [0xFB01])
    }

    func testNFKCFoldsCompatibilityForms() throws {
        XCTAssertEqual(try Normalizer.nfkc("\u{FB01}le"), "file")
        XCTAssertEqual(scalars(try Normalizer.nfkc("\u{FF48}\u{FF45}\u{FF4C}\u{FF4C}\u{FF4F}")), scalars("hello"))
        XCTAssertEqual(scalars(try Normalizer.nfkc("x\u{B2}")), scalars("x2"))
        XCTAssertEqual(scalars(try Normalizer.nfkc("\u{2460}")), scalars("1"))
        XCTAssertEqual(scalars(try Normalizer.nfkd("\u{E9}")), [0x65, 0x301])
    }

    func testNFKCCasefoldFoldsCaseAndDropsIgnorables() throws {
        XCTAssertEqual(scalars(try Normalizer.nfkcCasefold("Stra\u{DF}e")), scalars("strasse"))
        XCTAssertEqual(scalars(try Normalizer.nfkcCasefold("\u{3A3}\u{391}\u{3A3}")), [0x3C3, 0x3B1, 0x3C3])
        XCTAssertEqual(scalars(try Normalizer.nfkcCasefold("\u{216B}")), scalars("xii"))
        // The soft hyphen is default-ignorable and disappears.
        XCTAssertEqual(scalars(try Normalizer.nfkcCasefold("Co\u{AD}op")), scalars("coop"))
    }

    func testEmptyAndLongText() throws {
        XCTAssertEqual(try Normalizer.nfc(""), "")
        // Decomposition more than doubles the length here, past the first buffer guess.
        let composed = String(repeating: "\u{1E69}", count: 5000)
        let decomposed = try Normalizer.nfd(composed)
        XCTAssertEqual(decomposed.unicodeScalars.count, 15000)
        XCTAssertEqual(scalars(try Normalizer.nfc(decomposed)), scalars(composed))
    }
}
