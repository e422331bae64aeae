import XCTest
@testable import LoomData

/// The corpus parsers on small inputs shaped like the Debian packages' files.
final class CorpusParserTests: XCTestCase {
    func testBibleLinesGiveBookChapterVerseAndText() throws {
        let output = "Ge1:1 In the beginning God created the heaven and the earth.\n1Sm3:10 And the LORD came,  and stood.\n\nRev22:21 The grace of our Lord Jesus Christ be with you all. Amen.\n"
        let verses = try BibleCorpus.parse(Data(output.utf8), source: "bible")
        XCTAssertEqual(verses, [
            .init(book: "Ge", chapter: 1, verse: 1, text: "In the beginning God created the heaven and the earth."),
            .init(book: "1Sm", chapter: 3, verse: 10, text: "And the LORD came, and stood."),
            .init(book: "Rev", chapter: 22, verse: 21, text: "The grace of our Lord Jesus Christ be with you all. Amen."),
        ])
        assertDataError(try BibleCorpus.parse(Data("Ge1:1 ok\nnot a verse\n".utf8), source: "bible output"),
                        mentions: ["bible output", "line 2", "not a verse"])
        assertDataError(try BibleCorpus.parse(Data([0x47, 0x65, 0xFF]), source: "bible output"),
                        mentions: ["invalid UTF-8", "byte offset 2"])
    }

    func testFortunesSplitOnPercentLinesAndLoseControlCharacters() {
        let collection = FortuneCorpus.collections[0]
        let text = "First fortune\n\n  -- Someone\n%\n\n%\nCalm down, it's *____\u{8}\u{8}\u{8}\u{8}only* ones and zeroes.\u{1B}\r\n%\nLast one   \n"
        let fortunes = FortuneCorpus.parse(text, category: "computers", collection: collection)
        XCTAssertEqual(fortunes.map(\.text), [
            "First fortune\n  -- Someone",
            "Calm down, it's *only* ones and zeroes.",
            "Last one",
        ])
        XCTAssertEqual(Set(fortunes.map(\.category)), ["computers"])
        XCTAssertEqual(flattenedToOneLine(fortunes[0].text), "First fortune -- Someone")
    }

    func testFortuneFilesInALegacyEncodingAreConverted() throws {
        let directory = try makeTemporaryDirectory(self)
        let url = directory.appendingPathComponent("gruesse")
        try Data([0x47, 0x72, 0xFC, 0xDF, 0x65, 0x0A, 0x25, 0x0A, 0x54, 0x73, 0x63, 0x68, 0xFC, 0x73, 0x73, 0x0A]).write(to: url)
        let german = try XCTUnwrap(FortuneCorpus.collections.first { $0.language == "de" })
        var messages: [String] = []
        let fortunes = try FortuneCorpus.read(url, collection: german) { messages.append($0) }
        XCTAssertEqual(fortunes.map(\.text), ["Grüße", "Tschüss"])
        XCTAssertEqual(messages.count, 1)
        XCTAssertTrue(messages[0].contains("not UTF-8"))
    }

    func testFlatteningCollapsesWhitespaceAndDropsControls() {
        XCTAssertEqual(flattenedToOneLine("  a\tb\n\n c\u{7}d\u{FEFF}  "), "a b cd")
        XCTAssertEqual(flattenedToOneLine("Привет,\u{00A0} мир"), "Привет, мир")
    }

    func testFestivalLexiconEntries() throws {
        let lexicon = """
        MNCL
        ("a" dt (((ax) 0)))
        ("a" n (((ey) 1)))
        ("aaberg" nil (((aa) 1) ((b er g) 0)))
        ("AWOL" n (((ey) 1) ((w ao l) 0)))
        ("b.c." n (((b iy) 1) ((s iy) 1)))
        ("o'clock" nil (((ax) 0) ((k l aa k) 1)))
        """
        let entries = try PronunciationCorpus.parse(Data(lexicon.utf8), source: "cmu.out")
        XCTAssertEqual(entries.map(\.word), ["a", "aaberg", "awol", "o'clock"])
        XCTAssertEqual(entries.map { $0.phones.joined(separator: " ") }, ["ax", "aa b er g", "ey w ao l", "ax k l aa k"])
        assertDataError(try PronunciationCorpus.parse(Data("(\"word\" nil (((AA1) 1)))\n".utf8), source: "cmu.out"),
                        mentions: ["cmu.out:1"])
    }

    func testDictdBase64Numbers() {
        XCTAssertEqual(DictionaryCorpus.base64Number("B"), 1)
        XCTAssertEqual(DictionaryCorpus.base64Number("BA"), 64)
        XCTAssertEqual(DictionaryCorpus.base64Number("B0"), 64 + 52)
        XCTAssertEqual(DictionaryCorpus.base64Number("/"), 63)
        XCTAssertNil(DictionaryCorpus.base64Number("A-"))
        XCTAssertNil(DictionaryCorpus.base64Number(""))
    }

    func testDictdIndexSkipsMetadataAndReportsBadLines() throws {
        let index = "\tGHAt\tB0\n00databaseinfo\tc\t5S\nab\tDVwcs\tBN\n"
        let entries = try DictionaryCorpus.parseIndex(Data(index.utf8), source: "deu-eng.index")
        XCTAssertEqual(entries.map(\.key), ["ab"])
        XCTAssertEqual(entries.map(\.line), [3])
        assertDataError(try DictionaryCorpus.parseIndex(Data("ab\tDV\nx\t!\tB\n".utf8), source: "deu-eng.index"),
                        mentions: ["deu-eng.index:1"])
    }

    func testDingEntriesGiveHeadwordAndFirstTranslation() {
        func pair(_ definition: String) -> String? {
            DictionaryCorpus.translationPair(definition).map { "\($0.german) | \($0.english)" }
        }
        XCTAssertEqual(pair("Grellheit /ɡɾˈɛlhaɪt/ <fem, n, sg>\ngarishness <n>\n"), "Grellheit | garishness")
        XCTAssertEqual(pair("kauzig /kˈaʊtsɪç/ <adj>\ndotty <adj> [Br.]  [coll.]\n   Synonym: {schrullig}\n"), "kauzig | dotty")
        XCTAssertEqual(pair("Marke /mˈaɾkə/ <fem, n, sg>\n [econ.] make <n>\n         Note: of a product\n"), "Marke | make")
        XCTAssertEqual(pair("Vorsitzende /fˈoː/ <fem, n, sg>\nchairman <n>chm.,  /tsˌeː/ , chairwoman <n>\n"), "Vorsitzende | chairman")
        XCTAssertEqual(pair("mitteleuropäische Sommerzeit /mˌɪ/ (MESZ /mˈɛsts/)\nCentral European Summer TimeCEST,  /kˈɛst/\n"),
                       "mitteleuropäische Sommerzeit | Central European Summer Time")
        XCTAssertEqual(pair("Vater (von)\nfather (of), dad\n"), "Vater (von) | father (of)")
        XCTAssertNil(pair("… ab /ˈap/\nexit … <sg>, exeunt … <pl>\n"))
        XCTAssertNil(pair("Stichwort\n see: {Schlagwort}\n"))
        XCTAssertNil(pair("nur eine Zeile"))
    }

    func testMissingPackageErrorSaysHowToInstall() {
        assertDataError(try DebianPackages.files(of: "loom-no-such-package"),
                        mentions: ["loom-no-such-package is not installed", "tools/setup", "apt-get install loom-no-such-package"])
        XCTAssertEqual(DebianPackages.notInstalled("bible-kjv").message,
                       "bible-kjv is not installed: run tools/setup or apt-get install bible-kjv")
    }
}
