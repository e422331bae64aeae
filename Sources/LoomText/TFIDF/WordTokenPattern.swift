/// scikit-learn's default text analyzer, by hand: `str.lower()`, then every match of
/// `(?u)\b\w\w+\b`, i.e. every maximal run of two or more word characters.
///
/// A word character is what Python's `re` calls `\w` for str patterns: a letter (Lu Ll Lt Lm Lo),
/// a character with a numeric value (Nd Nl No), or "_". Combining marks are not word characters,
/// exactly as in Python. Lower-casing uses the full Unicode mapping, as `str.lower()` does; the one
/// difference is Greek final sigma, which Python maps by context and this maps to σ always.
struct WordTokenPattern {
    var lowercase: Bool
    /// One scalar of a lower-case mapping: its UTF-8 bytes packed little-end first, and its flag.
    struct Piece {
        var utf8: UInt32
        var length: Int
        var isWord: Bool
    }
    /// Non-ASCII scalars seen so far and the pieces they lower-case to.
    private var cache: [UInt32: [Piece]] = [:]
    private static let asciiWord: [Bool] = (0..<128).map { byte in
        let c = UInt8(byte)
        return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
    }

    init(lowercase: Bool = true) { self.lowercase = lowercase }

    static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return scalar == "_" || scalar.properties.numericType != nil
        }
    }

    private mutating func mapped(_ scalar: Unicode.Scalar) -> [Piece] {
        if let known = cache[scalar.value] { return known }
        let lowered = lowercase ? Array(scalar.properties.lowercaseMapping.unicodeScalars) : [scalar]
        let result = lowered.map { piece -> Piece in
            let bytes = Array(String(piece).utf8)
            let packed = bytes.enumerated().reduce(UInt32(0)) { $0 | (UInt32($1.element) << (8 * UInt32($1.offset))) }
            return Piece(utf8: packed, length: bytes.count, isWord: WordTokenPattern.isWordCharacter(piece))
        }
        cache[scalar.value] = result
        return result
    }

    /// Appends each token's bytes to `arena` and its end offset to `ends` (the token starts where
    /// the previous one ended, or at the arena length on entry). `bytes` must be valid UTF-8.
    mutating func tokenize(_ bytes: UnsafeBufferPointer<UInt8>, arena: inout [UInt8], ends: inout [Int]) {
        var tokenStart = arena.count
        var scalarsInToken = 0
        @inline(__always) func finish() {
            if scalarsInToken >= 2 {
                ends.append(arena.count)
                tokenStart = arena.count
            } else {
                arena.removeSubrange(tokenStart...)
            }
            scalarsInToken = 0
        }
        var i = 0
        let n = bytes.count
        while i < n {
            let byte = bytes[i]
            if byte < 0x80 {
                if WordTokenPattern.asciiWord[Int(byte)] {
                    arena.append(lowercase && byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
                    scalarsInToken += 1
                } else if scalarsInToken > 0 {
                    finish()
                }
                i += 1
                continue
            }
            // Decode one multi-byte scalar.
            var value: UInt32
            var length: Int
            if byte >= 0xF0 { value = UInt32(byte & 0x07); length = 4 } else if byte >= 0xE0 { value = UInt32(byte & 0x0F); length = 3 } else { value = UInt32(byte & 0x1F); length = 2 }
            length = min(length, n - i)
            for k in 1..<length { value = (value << 6) | UInt32(bytes[i + k] & 0x3F) }
            i += length
            guard let scalar = Unicode.Scalar(value) else { continue }
            for piece in mapped(scalar) {
                if piece.isWord {
                    for k in 0..<piece.length { arena.append(UInt8(truncatingIfNeeded: piece.utf8 >> (8 * UInt32(k)))) }
                    scalarsInToken += 1
                } else if scalarsInToken > 0 {
                    finish()
                }
            }
        }
        if scalarsInToken > 0 { finish() }
    }
}
