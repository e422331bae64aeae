/// A token matched in the raw text before pre-tokenization, such as `<|endoftext|>`.
/// The fields follow Hugging Face's `added_tokens` entries.
public struct AddedToken: Sendable, Equatable {
    public var id: Int
    public var content: String
    /// Special tokens mark structure (document ends, padding) rather than text.
    public var special: Bool
    /// Match only when not inside a word.
    public var singleWord: Bool
    /// Also swallow the white space on the left / right of a match.
    public var leftStrip: Bool
    public var rightStrip: Bool
    public var normalized: Bool

    public init(id: Int, content: String, special: Bool = true, singleWord: Bool = false,
                leftStrip: Bool = false, rightStrip: Bool = false, normalized: Bool = false) {
        self.id = id
        self.content = content
        self.special = special
        self.singleWord = singleWord
        self.leftStrip = leftStrip
        self.rightStrip = rightStrip
        self.normalized = normalized
    }
}

/// Finds added tokens in UTF-8 text: the leftmost match, and the longest token at that place.
import Foundation

struct AddedTokenMatcher: Sendable {
    struct Match {
        /// The bytes the match covers, including any stripped white space.
        var start: Int
        var end: Int
        var id: Int
    }

    private let tokens: [AddedToken]
    private let contents: [[UInt8]]
    /// For each first byte, the tokens starting with it, longest first.
    private let candidatesByFirstByte: [[Int]]
    let maximumLength: Int
    /// The first byte shared by all tokens, when they share one, so the scan can use memchr.
    private let commonFirstByte: Int32?

    init(_ tokens: [AddedToken]) {
        self.tokens = tokens
        let contents = tokens.map { Array($0.content.utf8) }
        self.contents = contents
        var candidates = [[Int]](repeating: [], count: 256)
        for (index, bytes) in contents.enumerated() where !bytes.isEmpty {
            candidates[Int(bytes[0])].append(index)
        }
        candidatesByFirstByte = candidates.map { list in
            list.sorted { contents[$0].count > contents[$1].count }
        }
        maximumLength = contents.map(\.count).max() ?? 0
        let firstBytes = Set(contents.compactMap(\.first))
        commonFirstByte = firstBytes.count == 1 ? Int32(firstBytes.first!) : nil
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// The first match within `start..<end`, or nil.
    func firstMatch(in base: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Match? {
        if tokens.isEmpty { return nil }
        var position = start
        while position < end {
            if let byte = commonFirstByte {
                guard let found = memchr(base + position, byte, end - position) else { return nil }
                position = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
            }
            let candidates = candidatesByFirstByte[Int(base[position])]
            if !candidates.isEmpty {
                for index in candidates where matches(index, base, position, start, end) {
                    return widen(Match(start: position, end: position + contents[index].count, id: tokens[index].id),
                                 token: tokens[index], base: base, start: start, end: end)
                }
            }
            position += 1
        }
        return nil
    }

    /// Whether any token occurrence covers or touches the byte boundary at `position`, so that
    /// splitting the text there could change which tokens match or what they strip.
    func touchesBoundary(_ base: UnsafePointer<UInt8>, at position: Int, start: Int, end: Int) -> Bool {
        if tokens.isEmpty { return false }
        var candidateStart = max(start, position - maximumLength)
        while candidateStart <= position && candidateStart < end {
            for index in candidatesByFirstByte[Int(base[candidateStart])]
            where candidateStart + contents[index].count >= position && matchesBytes(index, base, candidateStart, end) {
                return true
            }
            candidateStart += 1
        }
        return false
    }

    @inline(__always)
    private func matchesBytes(_ index: Int, _ base: UnsafePointer<UInt8>, _ position: Int, _ end: Int) -> Bool {
        let bytes = contents[index]
        guard position + bytes.count <= end else { return false }
        for offset in 1..<bytes.count where base[position + offset] != bytes[offset] { return false }
        return true
    }

    private func matches(_ index: Int, _ base: UnsafePointer<UInt8>, _ position: Int, _ start: Int, _ end: Int) -> Bool {
        guard matchesBytes(index, base, position, end) else { return false }
        guard tokens[index].singleWord else { return true }
        let tokenEnd = position + contents[index].count
        if position > start, isWordScalar(endingAt: position, base, start) { return false }
        if tokenEnd < end, isWordScalar(startingAt: tokenEnd, base, end) { return false }
        return true
    }

    private func widen(_ match: Match, token: AddedToken, base: UnsafePointer<UInt8>, start: Int, end: Int) -> Match {
        var result = match
        if token.leftStrip {
            while result.start > start, let length = whitespaceLength(endingAt: result.start, base, start) {
                result.start -= length
            }
        }
        if token.rightStrip {
            let tokenizer = ByteLevelPreTokenizer(base: base, end: end)
            while result.end < end {
                let (kind, length) = tokenizer.scalarClass(at: result.end)
                if kind != ScalarClass.whitespace { break }
                result.end += length
            }
        }
        return result
    }

    private func scalarStart(endingAt position: Int, _ base: UnsafePointer<UInt8>, _ start: Int) -> Int {
        var cursor = position - 1
        while cursor > start && base[cursor] & 0xC0 == 0x80 { cursor -= 1 }
        return cursor
    }

    private func whitespaceLength(endingAt position: Int, _ base: UnsafePointer<UInt8>, _ start: Int) -> Int? {
        let scalarStart = scalarStart(endingAt: position, base, start)
        let (kind, _) = ByteLevelPreTokenizer(base: base, end: position).scalarClass(at: scalarStart)
        return kind == ScalarClass.whitespace ? position - scalarStart : nil
    }

    private func isWordScalar(endingAt position: Int, _ base: UnsafePointer<UInt8>, _ start: Int) -> Bool {
        isWordScalar(startingAt: scalarStart(endingAt: position, base, start), base, position)
    }

    private func isWordScalar(startingAt position: Int, _ base: UnsafePointer<UInt8>, _ end: Int) -> Bool {
        if base[position] == UInt8(ascii: "_") { return true }
        let (kind, _) = ByteLevelPreTokenizer(base: base, end: end).scalarClass(at: position)
        return kind == ScalarClass.letter || kind == ScalarClass.number
    }
}

/// A stretch of text between added tokens, or one added token.
enum AddedTokenPiece {
    case text(String)
    case token(Int)
}

extension AddedTokenMatcher {
    /// Splits `text` around the added tokens it contains.
    func split(_ text: String) -> [AddedTokenPiece] {
        if isEmpty { return text.isEmpty ? [] : [.text(text)] }
        var text = text
        return text.withUTF8 { buffer -> [AddedTokenPiece] in
            guard let base = buffer.baseAddress else { return [] }
            var pieces: [AddedTokenPiece] = []
            var position = 0
            while position < buffer.count {
                let match = firstMatch(in: base, from: position, to: buffer.count)
                let segmentEnd = match?.start ?? buffer.count
                if segmentEnd > position {
                    pieces.append(.text(String(decoding: UnsafeBufferPointer(rebasing: buffer[position..<segmentEnd]), as: UTF8.self)))
                }
                guard let match else { break }
                pieces.append(.token(match.id))
                position = match.end
            }
            return pieces
        }
    }
}
