/// The character classes GPT-2's pre-tokenizer pattern distinguishes: `\p{L}`, `\p{N}`, `\s`
/// and everything else.
enum ScalarClass {
    static let letter: UInt8 = 0
    static let number: UInt8 = 1
    static let whitespace: UInt8 = 2
    static let other: UInt8 = 3

    static func of(_ scalar: Unicode.Scalar) -> UInt8 {
        let properties = scalar.properties
        if properties.isWhitespace { return whitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return number
        default:
            return other
        }
    }
}

/// A lookup table of scalar classes for planes 0 and 1, built once, so the pre-tokenizer's
/// inner loop costs one load per scalar instead of a Unicode property query.
final class ScalarClassTable: @unchecked Sendable {
    static let shared = ScalarClassTable()

    /// Indexed by scalar value below `count`.
    let classes: UnsafeMutablePointer<UInt8>
    static let count = 0x20000

    private init() {
        classes = .allocate(capacity: Self.count)
        for value in 0..<UInt32(Self.count) {
            if let scalar = Unicode.Scalar(value) {
                classes[Int(value)] = ScalarClass.of(scalar)
            } else {
                classes[Int(value)] = ScalarClass.other
            }
        }
    }
}
