import Foundation

/// German → English pairs from the FreeDict (Ding) dictionary in dictd format
/// (`dict-freedict-deu-eng`): the headword and its first English translation, one pair
/// per headword, with pronunciations, grammar tags and subject labels removed.
enum DictionaryCorpus {
    static let package = "dict-freedict-deu-eng"

    static func build(_ writer: CorpusWriter) throws {
        let indexURL = try DebianPackages.file(of: package, endingWith: "freedict-deu-eng.index")
        let dictionaryURL = try DebianPackages.file(of: package, endingWith: "freedict-deu-eng.dict.dz")
        let dictionary = [UInt8](try Gzip.readFile(dictionaryURL))
        let index = try readFileBytes(indexURL)

        var seen = Set<String>()
        var splits = SplitLines()
        for entry in try parseIndex(index, source: indexURL.path) {
            guard entry.offset + entry.length <= dictionary.count else {
                throw DataError("\(indexURL.path):\(entry.line): entry bytes \(entry.offset)..<\(entry.offset + entry.length) lie beyond the end of \(dictionaryURL.path) (\(dictionary.count) bytes)")
            }
            let bytes = dictionary[entry.offset ..< entry.offset + entry.length]
            guard let definition = String(validating: bytes, as: UTF8.self) else {
                let offset = firstInvalidUTF8Offset(bytes) ?? entry.offset
                throw DataError("\(dictionaryURL.path): invalid UTF-8 at byte offset \(offset) of the uncompressed text")
            }
            guard let pair = translationPair(definition), seen.insert(pair.german).inserted else { continue }
            splits.add(pair.german + "\t" + pair.english, key: pair.german)
        }
        try writer.writeSplits("deu-eng", extension: ".tsv", splits, package: package)
    }

    struct IndexEntry {
        var key: String
        var offset: Int
        var length: Int
        var line: Int
    }

    /// dictd index lines are `key<TAB>offset<TAB>length`, numbers in dictd's base 64.
    /// Database metadata (`00database...` keys) and keys that are empty after dictd's
    /// folding (pure punctuation) are skipped.
    static func parseIndex(_ data: Data, source: String) throws -> [IndexEntry] {
        guard let text = String(validating: data, as: UTF8.self) else {
            throw DataError("\(source): invalid UTF-8 at byte offset \(firstInvalidUTF8Offset(data) ?? 0)")
        }
        var entries: [IndexEntry] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 3, let offset = base64Number(fields[1]), let length = base64Number(fields[2]) else {
                throw DataError("\(source):\(index + 1): expected `headword<TAB>offset<TAB>length` with base-64 numbers")
            }
            let key = String(fields[0])
            if key.allSatisfy(\.isWhitespace) || key.hasPrefix("00database") || key.hasPrefix("00-database") {
                continue
            }
            entries.append(IndexEntry(key: key, offset: offset, length: length, line: index + 1))
        }
        return entries
    }

    /// dictd's base 64: digits `A-Z a-z 0-9 + /`, most significant first.
    static func base64Number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 10 else { return nil }
        var value = 0
        for byte in text.utf8 {
            let digit: Int
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): digit = Int(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): digit = Int(byte - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(byte - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): digit = 62
            case UInt8(ascii: "/"): digit = 63
            default: return nil
            }
            value = value * 64 + digit
        }
        return value
    }

    /// An entry reads `Headword /ipa/ <grammar>` on its first line and the English
    /// translations, comma-separated, on its second (`[subject] word <pos>, other <pos>`).
    /// Fragments marked with an ellipsis and entries without a translation give nil.
    static func translationPair(_ definition: String) -> (german: String, english: String)? {
        // Newlines are ASCII, so UTF-8 positions of them are valid String indices.
        let bytes = definition.utf8
        guard let firstNewline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let secondStart = bytes.index(after: firstNewline)
        let secondEnd = bytes[secondStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
        var headline = definition[..<firstNewline]
        if let cut = pronunciationStart(headline) ?? headline.firstIndex(of: "<") {
            headline = headline[..<cut]
        }
        let german = flattenedToOneLine(String(headline))
        let translations = trimmed(definition[secondStart..<secondEnd])
        for prefix in ["see:", "Note:", "Synonym", "\""] where translations.hasPrefix(prefix) { return nil }
        let items = topLevelItems(String(translations))
        guard var first = items.first else { return nil }
        // An abbreviation's pronunciation as the next item (`Summer TimeCEST,  /kˈɛst/`) means
        // the abbreviation was glued to the end of the translation.
        if !first.utf8.contains(UInt8(ascii: "<")) && items.count > 1 && trimmed(items[1]).hasPrefix("/") {
            guard let unglued = removingGluedAbbreviation(first) else { return nil }
            first = unglued
        }
        let english = flattenedToOneLine(removingMarkup(first))
        guard !german.isEmpty, !english.isEmpty,
              !hasEllipsis(german), !hasEllipsis(english),
              german.contains(where: \.isLetter), english.contains(where: \.isLetter)
        else { return nil }
        return (german, english)
    }

    /// `unified modeling languageUML` → `unified modeling language`; nil when the end does not
    /// look like that (an all-capitals tail right after a lower-case letter).
    private static func removingGluedAbbreviation(_ item: String) -> String? {
        let characters = Array(trimmed(item))
        var start = characters.count
        while start > 0 && (characters[start - 1].isUppercase || characters[start - 1].isNumber) { start -= 1 }
        guard start > 0, characters.count - start >= 2, characters[start - 1].isLowercase else { return nil }
        return String(characters[..<start])
    }

    /// Ding marks fragments of longer phrases with `…` (or `...`).
    private static func hasEllipsis(_ text: String) -> Bool {
        var dots = 0
        for byte in text.utf8 {
            dots = byte == UInt8(ascii: ".") ? dots + 1 : 0
            if dots == 3 { return true }
        }
        return text.unicodeScalars.contains("\u{2026}")
    }

    /// Where ` /ipa/` starts in a headline.
    private static func pronunciationStart(_ headline: Substring) -> Substring.Index? {
        var previous: Character = "x"
        for index in headline.indices {
            let character = headline[index]
            if character == "/" && previous == " " { return headline.index(before: index) }
            previous = character
        }
        return nil
    }

    private static func trimmed<Text: StringProtocol>(_ text: Text) -> Substring {
        let characters = Substring(text)
        guard let first = characters.firstIndex(where: { !$0.isWhitespace }),
              let last = characters.lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return characters[first...last]
    }

    /// Splits at commas that are not inside parentheses or brackets.
    private static func topLevelItems(_ text: String) -> [String] {
        var items: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            switch character {
            case "(", "[", "{": depth += 1
            case ")", "]", "}": depth = max(0, depth - 1)
            case "," where depth == 0:
                items.append(current)
                current = ""
                continue
            default: break
            }
            current.append(character)
        }
        items.append(current)
        return items.filter { !trimmed($0).isEmpty }
    }

    /// Cuts grammar tags (`<n>` and whatever follows them, such as an abbreviation and its
    /// pronunciation) and drops `[subject]` and `{reference}` spans.
    private static func removingMarkup(_ item: String) -> String {
        var text = item
        if let tag = text.firstIndex(of: "<") { text = String(text[..<tag]) }
        var result = ""
        var closing: Character?
        for character in text {
            if let close = closing {
                if character == close { closing = nil }
                continue
            }
            switch character {
            case "[": closing = "]"
            case "{": closing = "}"
            default: result.append(character)
            }
        }
        return result
    }
}
