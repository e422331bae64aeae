import Foundation

/// Fortune cookies from the `fortunes*` packages: English text for pretraining
/// (`fortunes-en.txt`), topic labels from the English file names (`topics/`) and
/// language labels across eight collections (`langid/`). Offensive collections
/// (`off/` folders) are left out.
enum FortuneCorpus {
    static let root = "/usr/share/games/fortunes/"
    static let minimumTopicSize = 50

    struct Collection {
        var package: String
        var language: String
        var required: Bool
        /// Legacy 8-bit encoding tried when a file is not valid UTF-8.
        var legacyEncoding: String.Encoding
    }

    static let collections = [
        Collection(package: "fortunes", language: "en", required: true, legacyEncoding: .isoLatin1),
        // fortunes-min holds a few English files (fortunes, literature, riddles); fortunes depends on it.
        Collection(package: "fortunes-min", language: "en", required: false, legacyEncoding: .isoLatin1),
        Collection(package: "fortunes-de", language: "de", required: true, legacyEncoding: .isoLatin1),
        Collection(package: "fortunes-es", language: "es", required: true, legacyEncoding: .isoLatin1),
        Collection(package: "fortunes-it", language: "it", required: true, legacyEncoding: .isoLatin1),
        Collection(package: "fortunes-br", language: "pt", required: true, legacyEncoding: .isoLatin1),
        Collection(package: "fortunes-pl", language: "pl", required: true, legacyEncoding: .isoLatin2),
        Collection(package: "fortunes-cs", language: "cs", required: true, legacyEncoding: .isoLatin2),
        Collection(package: "fortunes-ru", language: "ru", required: true, legacyEncoding: .windowsCP1251),
    ]

    /// Files that a collection ships but that are not in its language
    /// (fortunes-cs carries one Slovak file, also linked from the `sk/` folder).
    static let foreignFiles: Set<String> = ["cs/klasik-sk"]

    struct Fortune {
        var category: String
        var language: String
        var package: String
        /// Lines without trailing spaces; blank lines inside a fortune are dropped so that a
        /// blank line can separate fortunes.
        var text: String
        /// The text on one line, as the TSV files hold it.
        var flat: String
    }

    static func build(_ writer: CorpusWriter, log: (String) -> Void) throws {
        var fortunes: [Fortune] = []
        for collection in collections {
            guard DebianPackages.isInstalled(collection.package) else {
                if collection.required { throw DebianPackages.notInstalled(collection.package) }
                continue
            }
            for file in try fortuneFiles(collection) {
                fortunes += try read(file, collection: collection, log: log)
            }
        }
        let english = fortunes.filter { $0.language == "en" }
        guard !english.isEmpty else { throw DataError("fortunes: no English fortunes found under \(root)") }

        var seenEnglish = Set<String>()
        let englishText = english.filter { seenEnglish.insert($0.text).inserted }
            .map(\.text).joined(separator: "\n\n") + "\n"
        try writer.writeText("fortunes-en.txt", englishText, package: "fortunes")

        try writeTopics(english, writer, log: log)
        try writeLanguages(fortunes, writer)
    }

    private static func writeTopics(_ english: [Fortune], _ writer: CorpusWriter, log: (String) -> Void) throws {
        var seen = Set<String>()
        var perCategory: [String: [String]] = [:]
        var order: [String] = []
        for fortune in english {
            let text = fortune.flat
            guard !text.isEmpty, seen.insert(fortune.category + "\t" + text).inserted else { continue }
            if perCategory[fortune.category] == nil { order.append(fortune.category) }
            perCategory[fortune.category, default: []].append(text)
        }
        var splits = SplitLines()
        var dropped: [String] = []
        for category in order {
            let texts = perCategory[category] ?? []
            guard texts.count >= minimumTopicSize else {
                dropped.append("\(category) (\(texts.count))")
                continue
            }
            for text in texts { splits.add(category + "\t" + text, key: category + "\t" + text) }
        }
        if !dropped.isEmpty {
            log("  topics: dropped categories with fewer than \(minimumTopicSize) fortunes: \(dropped.joined(separator: ", "))")
        }
        try writer.writeSplits("topics", extension: ".tsv", splits, package: "fortunes")
    }

    private static func writeLanguages(_ fortunes: [Fortune], _ writer: CorpusWriter) throws {
        var seen = Set<String>()
        var splits = SplitLines()
        // Pictures made of characters say nothing about a language.
        for fortune in fortunes where !fortune.category.contains("asciiart") && !fortune.category.contains("ascii-art") {
            let text = fortune.flat
            let line = fortune.language + "\t" + text
            guard !text.isEmpty, seen.insert(line).inserted else { continue }
            splits.add(line, key: line)
        }
        let packages = collections.map(\.package).filter { $0 != "fortunes-min" }.joined(separator: ", ")
        try writer.writeSplits("langid", extension: ".tsv", splits, package: packages)
    }

    /// The fortune text files of a package: regular files under the fortunes folder, no index
    /// (`.dat`) files, no `.u8` links, nothing in an `off/` folder. English files live at the
    /// top level; the other languages in their own subfolders.
    static func fortuneFiles(_ collection: Collection) throws -> [URL] {
        var result: [URL] = []
        for path in try DebianPackages.files(of: collection.package) where path.hasPrefix(root) {
            let relative = String(path.dropFirst(root.count))
            let components = relative.split(separator: "/")
            guard !relative.hasSuffix(".dat"), !relative.hasSuffix(".u8"), !components.contains("off"),
                  !foreignFiles.contains(relative) else { continue }
            if collection.language == "en" && components.count != 1 { continue }
            guard isRegularFile(path) else { continue }
            result.append(URL(fileURLWithPath: path))
        }
        return result.sorted { $0.path < $1.path }
    }

    private static func isRegularFile(_ path: String) -> Bool {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return false }
        return attributes[.type] as? FileAttributeType == .typeRegular
    }

    /// Reads one fortune file: fortunes separated by lines holding only `%`.
    static func read(_ url: URL, collection: Collection, log: (String) -> Void) throws -> [Fortune] {
        let data = try readFileBytes(url)
        let text: String
        if let utf8 = String(validating: data, as: UTF8.self) {
            text = utf8
        } else if let legacy = String(data: data, encoding: collection.legacyEncoding) {
            log("  \(url.path): not UTF-8, read as \(collection.legacyEncoding)")
            text = legacy
        } else {
            let offset = firstInvalidUTF8Offset(data) ?? 0
            throw DataError("\(url.path): neither UTF-8 (invalid byte at offset \(offset)) nor \(collection.legacyEncoding)")
        }
        return parse(text, category: url.lastPathComponent, collection: collection)
    }

    static func parse(_ text: String, category: String, collection: Collection) -> [Fortune] {
        var fortunes: [Fortune] = []
        var lines: [String] = []
        func finish() {
            if !lines.isEmpty {
                fortunes.append(Fortune(category: category, language: collection.language,
                                        package: collection.package, text: lines.joined(separator: "\n"),
                                        flat: flattenedToOneLine(lines.joined(separator: " "))))
            }
            lines.removeAll()
        }
        // Splitting bytes is far cheaper than splitting Characters; `\r` goes with the controls.
        for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            let line = cleanLine(Substring(rawLine))
            if line == "%" || line == "%%" {
                finish()
            } else if !line.isEmpty {
                lines.append(line)
            }
        }
        finish()
        return fortunes
    }

    /// Resolves backspace overstrikes and drops other control characters except tabs,
    /// and trailing whitespace.
    private static func cleanLine(_ line: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(line.utf8.count)
        var lengths: [Int] = [] // UTF-8 length of each kept scalar, to undo one on backspace
        for scalar in line.unicodeScalars {
            if scalar == "\u{8}" {
                // Old fortunes underline by overstriking ("_\bI"); keep the character typed last.
                if let last = lengths.popLast() { bytes.removeLast(last) }
            } else if scalar == "\t" || !isControl(scalar) {
                let before = bytes.count
                appendUTF8(scalar, to: &bytes)
                lengths.append(bytes.count - before)
            }
        }
        var cleaned = String(decoding: bytes, as: UTF8.self)
        while let last = cleaned.unicodeScalars.last, isWhitespace(last) { cleaned.unicodeScalars.removeLast() }
        return cleaned
    }
}
