import Foundation

/// One example of a two-column TSV file: `label<TAB>text` for classification,
/// `source<TAB>target` for sequence-to-sequence pairs.
public struct TSVRow: Equatable, Sendable {
    public var first: String
    public var second: String
    /// 1-based line number in the file, for error messages further down the line.
    public var line: Int

    public init(first: String, second: String, line: Int) {
        self.first = first
        self.second = second
        self.line = line
    }
}

/// Reader for two-column TSV files. Blank lines are skipped and a trailing `\r` is dropped;
/// everything else must be exactly two non-empty UTF-8 fields separated by one tab.
public enum TSV {
    public static func read(_ url: URL) throws -> [TSVRow] {
        try parse(readFileBytes(url), source: url.path)
    }

    /// Parses TSV bytes; `source` names them in error messages.
    public static func parse(_ data: Data, source: String) throws -> [TSVRow] {
        let bytes = [UInt8](data)
        var rows: [TSVRow] = []
        var lineStart = 0
        var lineNumber = 0
        while lineStart < bytes.count {
            lineNumber += 1
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            var contentEnd = lineEnd
            if contentEnd > lineStart && bytes[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            if contentEnd > lineStart {
                rows.append(try parseLine(bytes, lineStart ..< contentEnd, lineNumber: lineNumber, source: source))
            }
            lineStart = lineEnd + 1
        }
        return rows
    }

    /// Writes rows as `first<TAB>second` lines. Fields must not hold tabs or newlines.
    public static func format(_ rows: [(String, String)]) -> String {
        var text = ""
        for (first, second) in rows {
            text += first
            text += "\t"
            text += second
            text += "\n"
        }
        return text
    }

    private static func parseLine(_ bytes: [UInt8], _ range: Range<Int>, lineNumber: Int, source: String) throws -> TSVRow {
        let location = "\(source):\(lineNumber)"
        if let offset = firstInvalidUTF8Offset(bytes[range]) {
            throw DataError("\(location): invalid UTF-8 at byte offset \(offset) of the file")
        }
        let tabs = bytes[range].indices.filter { bytes[$0] == UInt8(ascii: "\t") }
        guard let tab = tabs.first else {
            throw DataError("\(location): missing tab: expected `first<TAB>second`")
        }
        guard tabs.count == 1 else {
            throw DataError("\(location): \(tabs.count) tabs: expected exactly 2 tab-separated fields")
        }
        let first = String(decoding: bytes[range.lowerBound ..< tab], as: UTF8.self)
        let second = String(decoding: bytes[(tab + 1) ..< range.upperBound], as: UTF8.self)
        if first.isEmpty { throw DataError("\(location): empty first field (before the tab)") }
        if second.isEmpty { throw DataError("\(location): empty second field (after the tab)") }
        return TSVRow(first: first, second: second, line: lineNumber)
    }
}

/// The index of the first byte that does not begin a well-formed UTF-8 sequence
/// (overlong forms, surrogates and values above U+10FFFF are ill-formed), or nil.
public func firstInvalidUTF8Offset<Bytes: Collection>(_ bytes: Bytes) -> Bytes.Index?
where Bytes.Element == UInt8 {
    var index = bytes.startIndex
    while index != bytes.endIndex {
        let lead = bytes[index]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        switch lead {
        case 0x00...0x7F: length = 1
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return index
        }
        var next = bytes.index(after: index)
        for position in 1..<length {
            guard next != bytes.endIndex else { return index }
            let byte = bytes[next]
            let (minimum, maximum) = position == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
            guard byte >= minimum && byte <= maximum else { return index }
            next = bytes.index(after: next)
        }
        index = next
    }
    return nil
}
