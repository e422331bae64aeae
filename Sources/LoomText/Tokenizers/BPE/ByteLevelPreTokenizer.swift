/// GPT-2's pre-tokenizer, written out by hand instead of run through a regex engine.
///
/// GPT-2 splits text with the pattern
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
/// Every scalar is a letter, a number, white space or other, so the matches tile the text and
/// each piece can be found by looking at its first one or two scalars:
/// - an apostrophe followed by s, t, m, d, re, ve or ll is a piece of its own;
/// - a run of letters, numbers or others, optionally led by one U+0020 space;
/// - a run of white space, less its last scalar when a non-space follows it (that scalar then
///   leads the next piece if it is U+0020, or stands alone otherwise).
/// The input must be valid UTF-8, and ranges must start and end on scalar boundaries.
struct ByteLevelPreTokenizer {
    let base: UnsafePointer<UInt8>
    let end: Int
    /// False when `end` is a split made for parallel work; such a split always sits just after a
    /// newline and before a non-space, so the white space before it behaves as if that non-space
    /// followed.
    let endsText: Bool
    private let classes: UnsafeMutablePointer<UInt8>

    init(base: UnsafePointer<UInt8>, end: Int, endsText: Bool = true) {
        self.base = base
        self.end = end
        self.endsText = endsText
        self.classes = ScalarClassTable.shared.classes
    }

    /// Calls `body(start, end)` for each piece of `start..<self.end`, in order.
    @inline(__always)
    func forEachPiece(from start: Int, _ body: (Int, Int) -> Void) {
        var position = start
        while position < end {
            let pieceEnd = endOfPiece(at: position)
            body(position, pieceEnd)
            position = pieceEnd
        }
    }

    /// The class of the scalar at `position` and its length in bytes.
    @inline(__always)
    func scalarClass(at position: Int) -> (UInt8, Int) {
        let lead = base[position]
        if lead < 0x80 { return (classes[Int(lead)], 1) }
        var value: UInt32
        let length: Int
        if lead < 0xE0 {
            value = UInt32(lead & 0x1F) << 6 | UInt32(base[position + 1] & 0x3F)
            length = 2
        } else if lead < 0xF0 {
            value = UInt32(lead & 0x0F) << 12 | UInt32(base[position + 1] & 0x3F) << 6
            value |= UInt32(base[position + 2] & 0x3F)
            length = 3
        } else {
            value = UInt32(lead & 0x07) << 18 | UInt32(base[position + 1] & 0x3F) << 12
            value |= UInt32(base[position + 2] & 0x3F) << 6 | UInt32(base[position + 3] & 0x3F)
            length = 4
        }
        if value < UInt32(ScalarClassTable.count) { return (classes[Int(value)], length) }
        return (ScalarClass.of(value), length)
    }

    @inline(__always)
    func endOfPiece(at position: Int) -> Int {
        let lead = base[position]
        if lead == 0x27, let length = contractionLength(at: position) { return position + length }
        var (kind, length) = scalarClass(at: position)
        var runStart = position
        if lead == 0x20 && position + 1 < end {
            let (nextKind, nextLength) = scalarClass(at: position + 1)
            if nextKind != ScalarClass.whitespace {
                kind = nextKind
                length = nextLength
                runStart = position + 1
            }
        }
        if kind == ScalarClass.whitespace { return endOfWhitespace(at: position) }
        var cursor = runStart + length
        while cursor < end {
            // Plain ASCII letters are by far the most common case.
            let byte = base[cursor]
            if byte < 0x80 {
                if classes[Int(byte)] != kind { break }
                cursor += 1
                continue
            }
            let (nextKind, nextLength) = scalarClass(at: cursor)
            if nextKind != kind { break }
            cursor += nextLength
        }
        return cursor
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d`, which the pattern tries before anything else.
    @inline(__always)
    private func contractionLength(at position: Int) -> Int? {
        guard position + 1 < end else { return nil }
        switch base[position + 1] {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
            return 2
        case UInt8(ascii: "r"), UInt8(ascii: "v"):
            return position + 2 < end && base[position + 2] == UInt8(ascii: "e") ? 3 : nil
        case UInt8(ascii: "l"):
            return position + 2 < end && base[position + 2] == UInt8(ascii: "l") ? 3 : nil
        default:
            return nil
        }
    }

    /// `\s+(?!\S)|\s+`: the white-space run, less its last scalar when something follows.
    private func endOfWhitespace(at position: Int) -> Int {
        var cursor = position
        var lastStart = position
        var scalars = 0
        while cursor < end {
            let (kind, length) = scalarClass(at: cursor)
            if kind != ScalarClass.whitespace { break }
            lastStart = cursor
            cursor += length
            scalars += 1
        }
        if (cursor == end && endsText) || scalars == 1 { return cursor }
        return lastStart
    }
}
