import ArgumentParser
import Foundation
import Loom

struct TFIDFCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tfidf",
        abstract: "TF-IDF search and linear text classifiers (scikit-learn's TfidfVectorizer definitions).",
        subcommands: [TFIDFIndexCommand.self, TFIDFSearchCommand.self, TFIDFClassifyTrainCommand.self, TFIDFClassifyCommand.self]
    )
}

extension TfidfVectorizer.DocumentFrequency: ExpressibleByArgument {
    /// "5" is a count of documents, "0.5" a fraction of them (as scikit-learn tells int from float).
    public init?(argument: String) {
        if argument.contains(".") || argument.contains("e") {
            guard let value = Double(argument), value >= 0, value <= 1 else { return nil }
            self = .fraction(value)
        } else {
            guard let value = Int(argument), value >= 0 else { return nil }
            self = .count(value)
        }
    }
}

/// The vectorizer's options as flags.
struct TFIDFVectorizerOptions: ParsableArguments {
    @Option(help: "Smallest n of the word n-grams used as terms.") var ngramMin = 1
    @Option(help: "Largest n of the word n-grams used as terms.") var ngramMax = 1
    @Option(help: "Drop terms in fewer documents than this (a count like 2, or a fraction like 0.01).")
    var minDf: TfidfVectorizer.DocumentFrequency = .count(1)
    @Option(help: "Drop terms in more documents than this (a count, or a fraction like 0.5).")
    var maxDf: TfidfVectorizer.DocumentFrequency = .fraction(1.0)
    @Option(help: "Keep only this many of the most frequent terms.") var maxFeatures: Int?
    @Flag(help: "Use 1 + ln(count) as the term frequency.") var sublinearTf = false
    @Flag(help: "Keep letter case (by default text is lower-cased).") var keepCase = false

    func validate() throws {
        guard ngramMin >= 1, ngramMax >= ngramMin else { throw ValidationError("need 1 <= --ngram-min <= --ngram-max") }
        if let maxFeatures, maxFeatures < 1 { throw ValidationError("--max-features must be at least 1") }
    }

    var options: TfidfVectorizer.Options {
        var options = TfidfVectorizer.Options()
        options.ngramRange = ngramMin...ngramMax
        options.minimumDocumentFrequency = minDf
        options.maximumDocumentFrequency = maxDf
        options.maximumFeatures = maxFeatures
        options.sublinearTermFrequency = sublinearTf
        options.lowercase = !keepCase
        return options
    }
}

struct TFIDFIndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index", abstract: "Build a TF-IDF index over a corpus, one document per line.")

    @Option(help: "The corpus, one document per line.") var corpus: String
    @Option(help: "Directory to write the index to.") var out: String
    @OptionGroup var vectorizer: TFIDFVectorizerOptions
    @Flag(help: "Replace an existing index.") var force = false
    @OptionGroup var common: TextCommonOptions

    func run() throws {
        try TextCommandOutput.run {
            try TextCommandOutput.checkWritable(out + "/matrix.safetensors", force: force)
            let start = Date()
            let documents = TextModelFiles.lines(try TextModelFiles.readText(corpus)).map(String.init)
            TextCommandOutput.progress("read \(documents.count) documents from \(corpus)")
            let fitStart = Date()
            let index = try TfidfIndex(documents: documents, options: vectorizer.options)
            let fitSeconds = Date().timeIntervalSince(fitStart)
            TextCommandOutput.progress("fit and transform: \(index.vectorizer.vocabulary.count) terms, \(index.matrix.nonzeroCount) nonzeros in \(String(format: "%.3f", fitSeconds)) s")
            try index.save(to: out)
            TextCommandOutput.progress("wrote \(out)")
            if common.json {
                TextCommandOutput.printJSON(["documents": documents.count, "terms": index.vectorizer.vocabulary.count,
                                             "nonzeros": index.matrix.nonzeroCount, "fit_transform_seconds": fitSeconds,
                                             "seconds": TextCommandOutput.seconds(since: start)])
            }
        }
    }
}

struct TFIDFSearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "The lines of an indexed corpus most similar (cosine) to a query.")

    @Option(help: "Index directory written by `loom tfidf index`.") var index: String
    @Option(help: "The query text.") var query: String
    @Option(help: "How many results.") var top = 10
    @OptionGroup var common: TextCommonOptions

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
    }

    func run() throws {
        try TextCommandOutput.run {
            let loaded = try TfidfIndex.load(from: index)
            let results = loaded.search(query, top: top)
            if common.json {
                TextCommandOutput.printJSON(["results": results.map { ["line": $0.line, "score": Double($0.score), "text": $0.text] }])
            } else {
                if results.isEmpty { TextCommandOutput.progress("no line shares a term with the query") }
                for result in results { print(String(format: "%6d  %.4f  ", result.line, Double(result.score)) + result.text) }
            }
        }
    }
}
