import Foundation

/// Word → phones pairs from the CMU pronouncing dictionary as Festival ships it
/// (`festlex-cmu`), for grapheme-to-phoneme sequence-to-sequence models.
/// Festival lines look like `("aaberg" nil (((aa) 1) ((b er g) 0)))`: syllables in
/// parentheses, each with a stress digit; the output keeps the phones only.
enum PronunciationCorpus {
    static let package = "festlex-cmu"

    static func build(_ writer: CorpusWriter) throws {
        let url = try DebianPackages.file(of: package, endingWith: ".out")
        let entries = try parse(readFileBytes(url), source: url.path)
        var splits = SplitLines()
        for (word, phones) in entries {
            splits.add(word + "\t" + phones.joined(separator: " "), key: word)
        }
        try writer.writeSplits("cmudict", extension: ".tsv", splits, package: package)
    }

    /// Lower-case words made of letters (and apostrophes) with their first pronunciation, in file order.
    static func parse(_ data: Data, source: String) throws -> [(word: String, phones: [String])] {
        guard let text = String(validating: data, as: UTF8.self) else {
            throw DataError("\(source): invalid UTF-8 at byte offset \(firstInvalidUTF8Offset(data) ?? 0)")
        }
        var entries: [(word: String, phones: [String])] = []
        var seen = Set<String>()
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            // Non-entry lines (the `MNCL` header, comments, blanks) do not start with `("`.
            guard line.hasPrefix("(\"") else { continue }
            guard let entry = parseEntry(line) else {
                throw DataError("\(source):\(index + 1): expected `(\"word\" pos ((syllable stress) ...))`")
            }
            let word = entry.word.lowercased()
            guard isPlainWord(word), seen.insert(word).inserted else { continue }
            entries.append((word, entry.phones))
        }
        guard !entries.isEmpty else { throw DataError("\(source): no dictionary entries") }
        return entries
    }

    private static func parseEntry(_ line: Substring) -> (word: String, phones: [String])? {
        let afterQuote = line.index(line.startIndex, offsetBy: 2)
        guard let closing = line[afterQuote...].firstIndex(of: "\"") else { return nil }
        let word = String(line[afterQuote..<closing])
        let rest = line[line.index(after: closing)...]
        let tokens = rest.split(whereSeparator: { $0 == "(" || $0 == ")" || $0 == " " || $0 == "\t" })
        // tokens: part of speech, then phones interleaved with syllable stress digits.
        guard tokens.count >= 3 else { return nil }
        let phones = tokens.dropFirst().filter { !$0.allSatisfy(\.isNumber) }.map(String.init)
        guard !word.isEmpty, !phones.isEmpty, phones.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isLetter } })
        else { return nil }
        return (word, phones)
    }

    private static func isPlainWord(_ word: String) -> Bool {
        word.contains(where: \.isLetter) && word.allSatisfy { ($0.isASCII && $0.isLetter) || $0 == "'" }
    }
}
