import Foundation

/// The ARPA back-off language model format (as SRILM and KenLM write it):
///
///     \data\
///     ngram 1=<count>
///     ...
///     \1-grams:
///     <log10 p>\t<w1>\t<log10 back-off>
///     ...
///     \end\
///
/// Probabilities are written as the shortest decimal that reads back as the same Float, so a
/// model read back scores every sentence exactly as the model that was written.
public enum ARPAFormat {
    public static func write(_ model: KneserNeyModel) -> String {
        var out = ""
        write(model) { out += $0 }
        return out
    }

    public static func write(_ model: KneserNeyModel, to path: String) throws {
        try TextModelFiles.writeAtomically(to: path) { emit in
            var failure: Error?
            write(model) { piece in
                if failure == nil { do { try emit(piece) } catch { failure = error } }
            }
            if let failure { throw failure }
        }
    }

    /// Produces the ARPA text in pieces of about a megabyte, so large models never sit in memory twice.
    static func write(_ model: KneserNeyModel, emit: (String) -> Void) {
        var out = "\\data\\\n"
        for (k, table) in model.tables.enumerated() { out += "ngram \(k + 1)=\(table.count)\n" }
        let words = model.vocabulary.words
        for k in 0..<model.order {
            out += "\n\\\(k + 1)-grams:\n"
            let table = model.tables[k]
            let hasBackoff = k < model.order - 1
            for entry in 0..<table.count {
                out += "\(model.logProbabilities[k][entry])\t"
                var first = true
                for id in table.key(of: entry) {
                    if !first { out += " " }
                    out += words[Int(id)]
                    first = false
                }
                if hasBackoff { out += "\t\(model.logBackoffs[k][entry])" }
                out += "\n"
                if out.utf8.count >= 1 << 20 {
                    emit(out)
                    out.removeAll(keepingCapacity: true)
                }
            }
        }
        out += "\n\\end\\\n"
        emit(out)
    }

    public static func read(path: String, unit: NGramUnit) throws -> KneserNeyModel {
        try read(text: TextModelFiles.readText(path), unit: unit, name: path)
    }

    /// Parses ARPA text; any malformed line is an error naming `name` and the line number.
    public static func read(text: String, unit: NGramUnit, name: String = "ARPA") throws -> KneserNeyModel {
        let lines = TextModelFiles.lines(text)
        var lineNumber = 0
        func fail(_ what: String) -> TextModelError { TextModelError("\(name):\(lineNumber): \(what)") }
        func isBlank(_ line: Substring) -> Bool { line.allSatisfy { $0.isWhitespace } }
        // Header: skip to \data\, then "ngram k=count" lines.
        var index = 0
        while index < lines.count, lines[index].trimmingCharacters(in: .whitespaces) != "\\data\\" { index += 1 }
        guard index < lines.count else { lineNumber = 1; throw fail("no \\data\\ header") }
        index += 1
        var declared: [Int] = []
        while index < lines.count {
            lineNumber = index + 1
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            if line.isEmpty { index += 1; continue }
            guard line.hasPrefix("ngram ") else { break }
            let parts = line.dropFirst(6).split(separator: "=")
            guard parts.count == 2, let k = Int(parts[0].trimmingCharacters(in: .whitespaces)),
                  let count = Int(parts[1].trimmingCharacters(in: .whitespaces)), count >= 0 else {
                throw fail("malformed count line '\(line)'")
            }
            guard k == declared.count + 1 else { throw fail("expected ngram \(declared.count + 1)=, got '\(line)'") }
            // Each n-gram is a line, so a larger count is a corrupt header; tables are sized
            // from it, and must not be sized from a number the file cannot back.
            guard count <= lines.count else {
                throw fail("'\(line)' declares more \(k)-grams than the file has lines (\(lines.count))")
            }
            declared.append(count)
            index += 1
        }
        guard !declared.isEmpty else { throw fail("no 'ngram k=count' lines after \\data\\") }
        let order = declared.count
        var vocabulary = NGramVocabulary()
        var tables = (1...order).map { NGramTable(order: $0, expectedCount: max(16, declared[$0 - 1])) }
        var logProbabilities: [[Float]] = Array(repeating: [], count: order)
        var logBackoffs: [[Float]] = Array(repeating: [], count: order)
        var unigramWords: [(String, Float, Float)] = []
        for k in 1...order {
            while index < lines.count, isBlank(lines[index]) { index += 1 }
            lineNumber = index + 1
            guard index < lines.count, lines[index].trimmingCharacters(in: .whitespaces) == "\\\(k)-grams:" else {
                throw fail("expected \\\(k)-grams:")
            }
            index += 1
            var key = [Int32](repeating: 0, count: k)
            var seen = 0
            while index < lines.count, !isBlank(lines[index]), !lines[index].hasPrefix("\\") {
                lineNumber = index + 1
                let fields = lines[index].split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard fields.count == k + 1 || fields.count == k + 2 else {
                    throw fail("expected a log probability, \(k) token(s) and an optional back-off")
                }
                guard let logProbability = Float(fields[0]), logProbability.isFinite, logProbability <= 0 else {
                    throw fail("bad log probability '\(fields[0])'")
                }
                var backoff: Float = 0
                if fields.count == k + 2 {
                    guard let value = Float(fields[k + 1]), value.isFinite else { throw fail("bad back-off '\(fields[k + 1])'") }
                    backoff = value
                }
                if k == 1 {
                    unigramWords.append((String(fields[1]), logProbability, backoff))
                } else {
                    for i in 0..<k {
                        guard let id = vocabulary.id(of: String(fields[i + 1])) else {
                            throw fail("token '\(fields[i + 1])' is not among the 1-grams")
                        }
                        key[i] = id
                    }
                    let (_, inserted) = tables[k - 1].findOrInsert(key)
                    guard inserted else { throw fail("duplicate \(k)-gram") }
                    logProbabilities[k - 1].append(logProbability)
                    logBackoffs[k - 1].append(backoff)
                }
                seen += 1
                index += 1
            }
            guard seen == declared[k - 1] else {
                throw fail("the header declares \(declared[k - 1]) \(k)-grams but the section has \(seen)")
            }
            if k == 1 {
                // Unigram entry numbers must equal vocabulary ids, specials first.
                var probability = [Float](repeating: -100, count: 3)
                var backoffs = [Float](repeating: 0, count: 3)
                var seenSpecial = [false, false, false]
                for (word, p, b) in unigramWords {
                    let before = vocabulary.count
                    let id = Int(vocabulary.add(word))
                    if id < 3 {
                        guard !seenSpecial[id] else { throw fail("duplicate 1-gram '\(word)'") }
                        seenSpecial[id] = true
                        probability[id] = p
                        backoffs[id] = b
                    } else {
                        guard vocabulary.count > before else { throw fail("duplicate 1-gram '\(word)'") }
                        probability.append(p)
                        backoffs.append(b)
                    }
                }
                guard seenSpecial[1], seenSpecial[2] else { throw fail("the 1-grams must include <s> and </s>") }
                for id in 0..<vocabulary.count { _ = tables[0].findOrInsert([Int32(id)]) }
                logProbabilities[0] = probability
                logBackoffs[0] = backoffs
            }
        }
        while index < lines.count, isBlank(lines[index]) { index += 1 }
        lineNumber = index + 1
        guard index < lines.count, lines[index].trimmingCharacters(in: .whitespaces) == "\\end\\" else {
            throw fail("expected \\end\\")
        }
        return KneserNeyModel(order: order, unit: unit, vocabulary: vocabulary, tables: tables,
                              logProbabilities: logProbabilities, logBackoffs: logBackoffs)
    }

    /// Guesses the unit of an ARPA model: char when every ordinary token is one scalar or an escape
    /// and a space symbol is present.
    public static func guessUnit(_ model: KneserNeyModel) -> NGramUnit {
        var sawSpace = false
        for word in model.vocabulary.words.dropFirst(3) {
            if word == NGramUnit.spaceSymbol { sawSpace = true; continue }
            if word.unicodeScalars.count != 1, !(word.hasPrefix("<U+") && word.hasSuffix(">")) { return .word }
        }
        return sawSpace ? .char : .word
    }
}
