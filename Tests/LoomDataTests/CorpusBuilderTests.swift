import XCTest
@testable import LoomData

/// Builds the corpora from the Debian packages installed on this machine (skipped when they
/// are not) and checks the files against what those packages are known to hold.
final class CorpusBuilderTests: XCTestCase {
    private static var built: (directory: URL, report: CorpusReport)?

    private func corpora() throws -> (directory: URL, report: CorpusReport) {
        let packages = CorpusPart.allCases.flatMap(\.packages)
        let missing = packages.filter { !DebianPackages.isInstalled($0) }
        try XCTSkipUnless(missing.isEmpty, "corpus packages not installed: \(missing.joined(separator: " "))")
        if let built = Self.built { return built }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("LoomCorpora-\(UUID().uuidString)")
        let report = try CorpusBuilder.build(into: directory)
        Self.built = (directory, report)
        return (directory, report)
    }

    override class func tearDown() {
        if let directory = built?.directory { try? FileManager.default.removeItem(at: directory) }
        built = nil
        super.tearDown()
    }

    private func lines(_ directory: URL, _ path: String) throws -> [String] {
        let text = try String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    func testReportListsEveryFileWithItsLineCount() throws {
        let (directory, report) = try corpora()
        let expected = ["kjv.txt", "fortunes-en.txt"]
            + ["kjv", "topics", "langid", "cmudict", "deu-eng"].flatMap { stem in
                ["train", "val", "test"].map { "\(stem)/\($0).\(stem == "kjv" ? "txt" : "tsv")" }
            }
            + FashionMNIST.fileNames.map { "fashion-mnist/\($0)" }
        XCTAssertEqual(Set(report.files.map(\.path)), Set(expected))
        for file in report.files where file.unit == "lines" {
            XCTAssertEqual(try lines(directory, file.path).count, file.count, file.path)
        }
    }

    func testKingJamesBibleHasEveryVerseAndWholeChaptersPerSplit() throws {
        let (directory, report) = try corpora()
        let verses = try lines(directory, "kjv.txt")
        XCTAssertEqual(verses.count, 31_102)
        XCTAssertEqual(verses.first, "In the beginning God created the heaven and the earth.")
        XCTAssertEqual(verses.last, "The grace of our Lord Jesus Christ be with you all. Amen.")
        let splitCounts = ["train", "val", "test"].map { report.file("kjv/\($0).txt")?.count ?? 0 }
        XCTAssertEqual(splitCounts.reduce(0, +), 31_102)
        XCTAssertEqual(Double(splitCounts[0]) / 31_102, 0.8, accuracy: 0.05)

        // Genesis 1 goes where the key "Ge 1" sends it, first verse to last.
        let genesisOne = try lines(directory, "kjv/\(Split.of(key: "Ge 1").fileStem).txt")
        XCTAssertEqual(genesisOne.first, verses[0])
        XCTAssertEqual(Array(genesisOne.prefix(31)), Array(verses.prefix(31)))
        for other in Split.allCases where other != Split.of(key: "Ge 1") {
            XCTAssertFalse(try lines(directory, "kjv/\(other.fileStem).txt").contains(verses[0]))
        }
    }

    func testFortuneCorporaHaveTopicsAndEightLanguages() throws {
        let (directory, _) = try corpora()
        let english = try String(contentsOf: directory.appendingPathComponent("fortunes-en.txt"), encoding: .utf8)
        let paragraphs = english.components(separatedBy: "\n\n")
        XCTAssertGreaterThan(paragraphs.count, 10_000)
        XCTAssertFalse(english.unicodeScalars.contains { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" })

        var topicCounts: [String: Int] = [:]
        var languages = Set<String>()
        for split in Split.allCases {
            for row in try TSV.read(directory.appendingPathComponent("topics/\(split.fileStem).tsv")) {
                topicCounts[row.first, default: 0] += 1
            }
            for row in try TSV.read(directory.appendingPathComponent("langid/\(split.fileStem).tsv")) {
                languages.insert(row.first)
            }
        }
        XCTAssertGreaterThanOrEqual(topicCounts.count, 20)
        XCTAssertGreaterThanOrEqual(topicCounts.values.min() ?? 0, FortuneCorpus.minimumTopicSize)
        XCTAssertNotNil(topicCounts["computers"])
        XCTAssertNil(topicCounts["ascii-art"], "ascii-art has fewer than 50 fortunes")
        XCTAssertEqual(languages, ["en", "de", "es", "it", "pt", "pl", "cs", "ru"])
    }

    func testPronunciationsAndTranslations() throws {
        let (directory, report) = try corpora()
        var cmudict: [String: String] = [:]
        var german = Set<String>()
        var translations = 0
        for split in Split.allCases {
            for row in try TSV.read(directory.appendingPathComponent("cmudict/\(split.fileStem).tsv")) {
                XCTAssertNil(cmudict[row.first], "\(row.first) twice")
                cmudict[row.first] = row.second
                XCTAssertEqual(Split.of(key: row.first), split)
            }
            for row in try TSV.read(directory.appendingPathComponent("deu-eng/\(split.fileStem).tsv")) {
                XCTAssertTrue(german.insert(row.first).inserted, "\(row.first) twice")
                XCTAssertEqual(Split.of(key: row.first), split)
                translations += 1
            }
        }
        XCTAssertGreaterThan(cmudict.count, 100_000)
        XCTAssertEqual(cmudict["aaberg"], "aa b er g")
        XCTAssertEqual(cmudict["aardvark"], "aa r d v aa r k")
        XCTAssertFalse(cmudict.values.contains { $0.contains(where: \.isNumber) })
        XCTAssertGreaterThan(translations, 300_000)
        XCTAssertTrue(german.contains("Grellheit"))
        XCTAssertEqual(report.file("deu-eng/train.tsv")?.package, "dict-freedict-deu-eng")
    }

    func testFashionMNISTIsCopiedWhole() throws {
        let (directory, report) = try corpora()
        XCTAssertEqual(report.file("fashion-mnist/train-images-idx3-ubyte.gz")?.count, 60_000)
        XCTAssertEqual(report.file("fashion-mnist/t10k-labels-idx1-ubyte.gz")?.count, 10_000)
        let train = try FashionMNIST.load(directory: directory.appendingPathComponent("fashion-mnist"), split: .train)
        XCTAssertEqual([train.count, train.rows, train.cols], [60_000, 28, 28])
        var perClass = [Int](repeating: 0, count: 10)
        for label in train.labels { perClass[Int(label)] += 1 }
        XCTAssertEqual(perClass, [Int](repeating: 6_000, count: 10))
    }

    func testSecondBuildLeavesFilesUnchanged() throws {
        let (directory, first) = try corpora()
        let again = try CorpusBuilder.build(into: directory, parts: [.kjv, .cmudict, .fashionMNIST])
        XCTAssertEqual(again.files.filter(\.written).map(\.path), [])
        for file in again.files {
            XCTAssertEqual(first.file(file.path)?.count, file.count, file.path)
        }
    }
}
