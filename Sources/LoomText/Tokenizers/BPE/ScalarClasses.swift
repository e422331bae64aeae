import CLoomICU

/// The character classes GPT-2's pre-tokenizer pattern distinguishes: `\p{L}`, `\p{N}`, `\s`
/// and everything else. They come from ICU, whose Unicode version (15.0 in ICU 72) matches the
/// Oniguruma engine Hugging Face runs the pattern with more closely than Swift's own tables.
enum ScalarClass {
    static let letter = UInt8(LOOM_SCALAR_LETTER)
    static let number = UInt8(LOOM_SCALAR_NUMBER)
    static let whitespace = UInt8(LOOM_SCALAR_WHITESPACE)
    static let other = UInt8(LOOM_SCALAR_OTHER)

    static func of(_ value: UInt32) -> UInt8 {
        loom_icu_scalar_class(Int32(bitPattern: value))
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
        loom_icu_scalar_classes(classes, Int32(Self.count))
    }
}
