import ArgumentParser
import Foundation
import Loom

struct Seq2SeqEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score a trained encoder-decoder on a pair TSV.",
        discussion: """
        token_error_rate is the edit distance over reference tokens (phone error rate for phone \
        targets, character error rate for character targets); sequence_error_rate is the share \
        of outputs that differ from their reference (word error rate for G2P); bleu is corpus \
        BLEU-4 (0-100, sacreBLEU-style, on phones or on punctuation-split words).
        """)

    @Option(help: "Checkpoint directory (OUT or OUT/best of `seq2seq train`).") var checkpoint: String
    @Option(help: "Pairs to score, `source<TAB>target` per line.") var input: String
    @Option(help: "Beam width; 1 is greedy decoding.") var beam = 5
    @Option(help: "Score only the first N pairs.") var limit: Int?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard beam >= 1 else { throw ValidationError("--beam must be at least 1, got \(beam)") }
        if let limit { guard limit > 0 else { throw ValidationError("--limit must be positive") } }
    }

    func run() throws {
        let started = Date()
        let (model, vocabularies) = try loadSeq2SeqModel(from: URL(fileURLWithPath: checkpoint))
        var rows = try Seq2SeqDataset.read(input)
        if let limit { rows = Array(rows.prefix(limit)) }
        let sources = rows.map { vocabularies.source.encode($0.first) }
        let progress = ProgressBar(total: rows.count, label: "eval")
        var translations: [Translation] = []
        let chunk = 512
        for start in stride(from: 0, to: sources.count, by: chunk) {
            translations += Seq2SeqTranslator(model: model, beamWidth: beam).translate(Array(sources[start..<min(start + chunk, sources.count)]))
            progress.update(translations.count)
        }
        var rates = ErrorRates()
        var bleu = CorpusBLEU()
        let phones = vocabularies.target.unit == .spaceSeparated
        for (row, t) in zip(rows, translations) {
            let hypothesis = vocabularies.target.tokenStrings(t.tokens)
            let reference = vocabularies.target.unit.tokens(row.second)
            rates.add(hypothesis: hypothesis, reference: reference)
            let text = vocabularies.target.unit.join(hypothesis)
            bleu.add(hypothesis: phones ? hypothesis : CorpusBLEU.tokenize(text),
                     reference: phones ? reference : CorpusBLEU.tokenize(row.second))
        }
        let seconds = Date().timeIntervalSince(started)
        print(String(format: "token error rate %.4f, sequence error rate %.4f, BLEU %.2f over %d pairs (beam %d, %.0f s)",
                     rates.tokenErrorRate, rates.sequenceErrorRate, bleu.score, rows.count, beam, seconds))
        if common.json {
            Output.json(["token_error_rate": rates.tokenErrorRate, "sequence_error_rate": rates.sequenceErrorRate,
                         "bleu": bleu.score, "examples": rows.count, "beam": beam, "seconds": seconds])
        }
    }
}
