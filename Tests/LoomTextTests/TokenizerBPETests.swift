import XCTest
@testable import LoomText

final class TokenizerBPETests: XCTestCase {
    /// Pre-tokenizer pieces shown as byte-level strings, as Hugging Face's `pre_tokenize_str` shows them.
    private func pieces(_ text: String) -> [String] {
        var text = text
        return text.withUTF8 { buffer in
            var result: [String] = []
            guard let base = buffer.baseAddress else { return result }
            ByteLevelPreTokenizer(base: base, end: buffer.count).forEachPiece(from: 0) { start, end in
                result.append(ByteLevelAlphabet.string(for: UnsafeBufferPointer(rebasing: buffer[start..<end])))
            }
            return result
        }
    }

    func testPreTokenizerMatchesGPT2Pattern() {
        // Expected pieces come from tokenizers' ByteLevel(add_prefix_space=False).pre_tokenize_str.
        XCTAssertEqual(pieces("Hello  world"), ["Hello", "Ġ", "Ġworld"])
        XCTAssertEqual(pieces("it's 'S don't"), ["it", "'s", "Ġ'", "S", "Ġdon", "'t"])
        XCTAssertEqual(pieces("a \n\nb"), ["a", "ĠĊ", "Ċ", "b"])
        XCTAssertEqual(pieces("x  \ny"), ["x", "ĠĠ", "Ċ", "y"])
        XCTAssertEqual(pieces("end   "), ["end", "ĠĠĠ"])
        XCTAssertEqual(pieces(" \u{3000}a"), ["Ġ", "ãĢĢ", "a"])
        XCTAssertEqual(pieces("n1 22 !!a"), ["n", "1", "Ġ22", "Ġ!!", "a"])
        XCTAssertEqual(pieces("?'re"), ["?'", "re"])
        XCTAssertEqual(pieces("a\u{A0}b"), ["a", "Âł", "b"])
    }

    func testByteAlphabetIsGPT2Map() {
        XCTAssertEqual(ByteLevelAlphabet.string(for: Array(" \n\t".utf8)), "ĠĊĉ")
        XCTAssertEqual(ByteLevelAlphabet.string(for: Array("Az~".utf8)), "Az~")
        XCTAssertEqual(ByteLevelAlphabet.bytes(for: "ĠĊ"), [0x20, 0x0A])
        XCTAssertEqual(Set(ByteLevelAlphabet.scalarForByte).count, 256)
        XCTAssertEqual(ByteLevelAlphabet.bytesInScalarOrder.first, UInt8(ascii: "!"))
    }

    private let multilingual = """
        In the beginning God created the heaven and the earth. Grüße aus Zürich! Ça va très bien.
        Быстрая коричневая лиса — γρήγορη αλεπού. 敏捷的棕色狐狸跳过了懒狗。東京に行きます。
        الثعلب البني السريع. तेज़ भूरी लोमड़ी। 빠른 갈색 여우. Emoji 😀👍🏽👨‍👩‍👧‍👦🇫🇷❤️🦙 and e\u{301} vs é.
        \tTabs,   spaces  \r\n and <|endoftext|> specials; it's they've 1,000.50 x² ﬁ \u{0}\u{7F}
        """

    func testRoundTripMultilingualAndEmoji() throws {
        let tokenizer = try BPETrainer(vocabSize: 400, specialTokens: ["<|endoftext|>"]).train(multilingual)
        for text in [multilingual, "", " ", "🦙", "\u{10FFFF}\u{E000}", String(repeating: "ab ", count: 2000)] {
            let ids = tokenizer.encode(text)
            XCTAssertEqual(Array(try tokenizer.decode(ids).utf8), Array(text.utf8))
        }
        XCTAssertEqual(tokenizer.encode("<|endoftext|>"), [0])
    }

    func testRoundTripRandomScalars() throws {
        let tokenizer = try BPETrainer(vocabSize: 300).train(multilingual)
        var generator = SplitMix(seed: 7)
        let ranges: [ClosedRange<UInt32>] = [0...0x7F, 0x80...0x7FF, 0x800...0xD7FF, 0xE000...0xFFFF, 0x10000...0x10FFFF]
        for _ in 0..<200 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int(generator.next() % 40) {
                let range = ranges[Int(generator.next() % UInt64(ranges.count))]
                let value = range.lowerBound + UInt32(generator.next() % UInt64(range.count))
                scalars.append(Unicode.Scalar(value)!)
            }
            let text = String(scalars)
            XCTAssertEqual(Array(try tokenizer.decode(tokenizer.encode(text)).utf8), Array(text.utf8))
        }
    }

    func testParallelEncodingMatchesSerial() throws {
        var tokenizer = try BPETrainer(vocabSize: 500).train(multilingual)
        let long = String(repeating: multilingual + "\n  indented line\nnext<|endoftext|>\n", count: 800)
        tokenizer.threads = 1
        let serial = tokenizer.encode(long)
        tokenizer.threads = 3
        var buffer = long
        let splits = buffer.withUTF8 { tokenizer.splitPoints($0.baseAddress!, $0.count) }
        XCTAssertEqual(splits.count, 4)
        XCTAssertEqual(tokenizer.encode(long), serial)
    }

    func testParallelWordCountingMatchesSerial() throws {
        let corpus = String(repeating: multilingual + "\n<|endoftext|>\n  indented\nplain line\n", count: 500)
        let serial = try BPETrainer(vocabSize: 700, threads: 1).train(corpus)
        let parallel = try BPETrainer(vocabSize: 700, threads: 2).train(corpus)
        XCTAssertEqual(parallel.merges, serial.merges)
        XCTAssertGreaterThan(serial.merges.count, 300)
        var buffer = corpus
        XCTAssertEqual(buffer.withUTF8 { parallel.splitPoints($0.baseAddress!, $0.count) }.count, 3)
    }

    func testHeapMergeAgreesWithScan() throws {
        let tokenizer = try BPETrainer(vocabSize: 600).train(multilingual + String(repeating: "abcab aaaa ", count: 50))
        var scan = BPEWordMerger(table: tokenizer.model.mergeTable)
        var heap = BPEWordMerger(table: tokenizer.model.mergeTable, scanLimit: 0)
        defer { scan.release(); heap.release() }
        var generator = SplitMix(seed: 11)
        let alphabet = Array(multilingual.utf8) + Array("aaaaabcab".utf8)
        for length in 1..<120 {
            let bytes = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            let ids = bytes.map { tokenizer.model.idForByte[Int($0)] }
            var fromScan: [Int32] = [], fromHeap: [Int32] = []
            ids.withUnsafeBufferPointer { buffer in
                scan.merge(buffer.baseAddress!, buffer.count, into: &fromScan)
                heap.merge(buffer.baseAddress!, buffer.count, into: &fromHeap)
            }
            XCTAssertEqual(fromScan, fromHeap, "length \(length)")
            XCTAssertEqual(try tokenizer.decodeBytes(fromHeap.map(Int.init)), bytes)
        }
        // A pre-token longer than the scan limit goes through the heap inside encode too.
        let long = String(repeating: "abcab", count: 60)
        XCTAssertEqual(Array(try tokenizer.decode(tokenizer.encode(long)).utf8), Array(long.utf8))
    }

    func testDecodeRejectsUnknownIDs() throws {
        let tokenizer = try BPETrainer(vocabSize: 260).train("hello hello")
        XCTAssertThrowsError(try tokenizer.decode([1, 999])) { error in
            XCTAssertEqual(error as? TokenizerError, .idOutOfRange(id: 999, position: 1, vocabSize: tokenizer.vocabSize))
        }
        XCTAssertThrowsError(try tokenizer.decode([-1]))
    }

    func testTrainerRejectsBadSettings() {
        XCTAssertThrowsError(try BPETrainer(vocabSize: 100).train("abc"))
        XCTAssertThrowsError(try BPETrainer(vocabSize: 300).train("")) { error in
            XCTAssertEqual(error as? TokenizerError, .emptyCorpus(source: "corpus"))
        }
    }
}

/// A tiny seeded generator so test inputs are the same on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
