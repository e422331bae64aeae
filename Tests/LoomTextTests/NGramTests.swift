import XCTest
@testable import LoomText

final class NGramTests: XCTestCase {
    private func probability(_ model: KneserNeyModel, _ word: String, after history: [String]) -> Double {
        let ids = history.map { model.vocabulary.id(of: $0)! }
        return pow(10, Double(model.logProbability(of: model.vocabulary.id(of: word)!, after: ids)))
    }

    private func randomCorpus(seed: UInt64, sentences: Int) -> [Substring] {
        var generator = TextModelGenerator(seed: seed)
        let words = ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "away"]
        return (0..<sentences).map { _ in
            // A skewed choice so that counts of 1, 2, 3 and 4 all occur and discounts use the formula.
            let length = 1 + generator.nextIndex(below: 7)
            let line = (0..<length).map { _ -> String in
                let u = generator.nextUnit()
                return words[min(words.count - 1, Int(u * u * Double(words.count)))]
            }.joined(separator: " ")
            return Substring(line)
        }
    }

    func testBigramProbabilitiesMatchHandComputation() throws {
        let model = try KneserNeyModel.train(lines: ["a b", "a c", "b a b"], order: 2, unit: .word)
        // Counts of counts are too sparse here, so every order uses the fallback discounts.
        XCTAssertEqual(model.discounts, [[0.5, 1.0, 1.5], [0.5, 1.0, 1.5]])
        // Continuation counts: a 2 (<s>, b), b 2 (a, <s>), c 1 (a), </s> 2 (b, c); total 7,
        // discounted mass 3.5, so γ = 0.5 spread uniformly over 5 tokens (<unk> </s> a b c).
        let pa = 1.0 / 7 + 0.1, pb = 1.0 / 7 + 0.1, pc = 0.5 / 7 + 0.1, pEnd = 1.0 / 7 + 0.1
        XCTAssertEqual(probability(model, "a", after: []), pa, accuracy: 1e-6)
        XCTAssertEqual(probability(model, "c", after: []), pc, accuracy: 1e-6)
        XCTAssertEqual(probability(model, "<unk>", after: []), 0.1, accuracy: 1e-6)
        XCTAssertEqual(probability(model, "</s>", after: []), pEnd, accuracy: 1e-6)
        // After "a": a b 2, a c 1; total 3, mass D2 + D1 = 1.5, γ(a) = 0.5.
        XCTAssertEqual(probability(model, "b", after: ["a"]), 1.0 / 3 + 0.5 * pb, accuracy: 1e-6)
        XCTAssertEqual(probability(model, "c", after: ["a"]), 0.5 / 3 + 0.5 * pc, accuracy: 1e-6)
        XCTAssertEqual(probability(model, "a", after: ["a"]), 0.5 * pa, accuracy: 1e-6)
        // After <s>: <s> a 2, <s> b 1.
        XCTAssertEqual(probability(model, "a", after: ["<s>"]), 1.0 / 3 + 0.5 * pa, accuracy: 1e-6)
        // After c: c </s> 1; total 1, γ(c) = 0.5.
        XCTAssertEqual(probability(model, "</s>", after: ["c"]), 0.5 + 0.5 * pEnd, accuracy: 1e-6)
        XCTAssertEqual(probability(model, "a", after: ["c"]), 0.5 * pa, accuracy: 1e-6)
    }

    func testTrigramUsesContinuationCountsForBigrams() throws {
        let model = try KneserNeyModel.train(lines: ["x a b", "y a b", "a b"], order: 3, unit: .word)
        // "a b" follows x, y and <s>: its bigram continuation count is 3, while the raw count of
        // the <s>-initial bigram "<s> a" stays 1.
        let counts = KneserNeyModel.countAdjusted(
            stream: [1, 3, 4, 5, 2, 1, 6, 4, 5, 2, 1, 4, 5, 2], starts: [0, 5, 10, 14], order: 3, vocabularySize: 7)
        let ab = counts.tables[1].find([4, 5])
        XCTAssertEqual(counts.counts[1][ab], 3)
        XCTAssertEqual(counts.counts[1][counts.tables[1].find([1, 4])], 1)
        XCTAssertEqual(counts.counts[0][5], 1, "b only ever follows a")
        // Trigrams: <s> x a, x a b, a b </s>, <s> y a, y a b, <s> a b. Bigrams: 3 starting with <s> + x a, a b, b </s>, y a.
        XCTAssertEqual(model.ngramCounts, [7, 7, 6])
    }

    func testDiscountsFollowChenAndGoodman() {
        // n1 = 4, n2 = 2, n3 = 1, n4 = 1: Y = 0.5, D1 = 0.5, D2 = 1.25, D3+ = 1.
        let d = KneserNeyModel.discounts(counts: [1, 1, 1, 1, 2, 2, 3, 4, 9], skip: nil)
        XCTAssertEqual(d[0], 0.5, accuracy: 1e-12)
        XCTAssertEqual(d[1], 1.25, accuracy: 1e-12)
        XCTAssertEqual(d[2], 1.0, accuracy: 1e-12)
    }

    func testEveryContextSumsToOne() throws {
        for order in [2, 3, 4] {
            let model = try KneserNeyModel.train(lines: randomCorpus(seed: 7, sentences: 300), order: order, unit: .word)
            XCTAssertTrue(model.discounts.dropFirst().allSatisfy { $0 != [0.5, 1.0, 1.5] }, "formula discounts expected")
            let contexts: [[String]] = [[], ["<s>"], ["the"], ["<s>", "the"], ["cat", "sat"], ["away", "away"],
                                        ["<unk>", "dog"], ["on", "a", "mat"]]
            for context in contexts {
                var total = 0.0
                for word in model.vocabulary.words where word != "<s>" { total += probability(model, word, after: context) }
                XCTAssertEqual(total, 1, accuracy: 1e-5, "order \(order) context \(context)")
            }
        }
    }

    func testCharModelSumsToOne() throws {
        let model = try KneserNeyModel.train(lines: ["hello world", "help the whale"], order: 5, unit: .char)
        XCTAssertNotNil(model.vocabulary.id(of: NGramUnit.spaceSymbol))
        var total = 0.0
        for word in model.vocabulary.words where word != "<s>" { total += probability(model, word, after: ["h", "e", "l", "p"]) }
        XCTAssertEqual(total, 1, accuracy: 1e-5)
        XCTAssertEqual(NGramUnit.char.join(NGramUnit.char.tokens(of: "a b\tc")), "a b\tc")
    }

    func testARPARoundTripGivesIdenticalScores() throws {
        let lines = randomCorpus(seed: 3, sentences: 200)
        let model = try KneserNeyModel.train(lines: lines, order: 3, unit: .word)
        let text = ARPAFormat.write(model)
        let reread = try ARPAFormat.read(text: text, unit: .word)
        XCTAssertEqual(reread.ngramCounts, model.ngramCounts)
        XCTAssertEqual(ARPAFormat.write(reread), text)
        let heldOut: [Substring] = ["the cat ran away", "a zebra sat on the mat", "dog dog dog"]
        let before = model.evaluate(lines: heldOut), after = reread.evaluate(lines: heldOut)
        XCTAssertEqual(before.logProbability, after.logProbability)
        XCTAssertEqual(before.outOfVocabulary, 1)
        XCTAssertEqual(before.tokens, 4 + 1 + 6 + 1 + 3 + 1)
        XCTAssertEqual(model.generate(count: 3, seed: 5), reread.generate(count: 3, seed: 5))
    }

    func testMalformedARPANamesTheLine() {
        let text = "\\data\\\nngram 1=3\n\n\\1-grams:\n-1.0\t<s>\n-0.5\t</s>\nnot-a-number\tx\n\n\\end\\\n"
        XCTAssertThrowsError(try ARPAFormat.read(text: text, unit: .word, name: "m.arpa")) { error in
            XCTAssertTrue("\(error)".hasPrefix("m.arpa:7:"), "\(error)")
        }
        let wrongCount = "\\data\\\nngram 1=4\n\n\\1-grams:\n-1.0\t<s>\n-0.5\t</s>\n-0.3\tx\n\n\\end\\\n"
        XCTAssertThrowsError(try ARPAFormat.read(text: wrongCount, unit: .word)) { error in
            XCTAssertTrue("\(error)".contains("declares 4"), "\(error)")
        }
    }

    func testSamplingIsSeededAndEndsSentences() throws {
        let model = try KneserNeyModel.train(lines: randomCorpus(seed: 11, sentences: 100), order: 3, unit: .word)
        let first = model.generate(count: 5, seed: 42)
        XCTAssertEqual(first, model.generate(count: 5, seed: 42))
        XCTAssertNotEqual(first, model.generate(count: 5, seed: 43))
        let known = Set(model.vocabulary.words)
        for sentence in first { XCTAssertTrue(sentence.split(separator: " ").allSatisfy { known.contains(String($0)) }) }
    }
}
