import ArgumentParser
import Foundation
import Loom

extension CorpusPart: ExpressibleByArgument {}

struct CorporaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpora",
        abstract: "Build or verify the corpora from installed Debian packages.",
        discussion: """
        Reads bible-kjv, fortunes*, festlex-cmu, dict-freedict-deu-eng and dataset-fashion-mnist \
        (install them with tools/setup) and writes text, TSV and IDX files with fixed \
        train/val/test splits. Files that already hold the same content are left untouched, \
        so running it again verifies an existing build.
        """
    )

    @Option(help: "Directory to build the corpora in.")
    var dir: String = "corpora"

    @Option(name: .customLong("only"), parsing: .upToNextOption,
            help: "Build only these parts (default: all).")
    var parts: [CorpusPart] = []

    @Flag(help: "Print the result as one JSON object on stdout.")
    var json = false

    @Option(help: "Accepted for uniformity with the other verbs; the build involves no randomness.")
    var seed: UInt64 = 0

    func run() throws {
        let directory = URL(fileURLWithPath: dir)
        let selected = parts.isEmpty ? CorpusPart.allCases : CorpusPart.allCases.filter(parts.contains)
        let report: CorpusReport
        do {
            report = try CorpusBuilder.build(into: directory, parts: selected) { message in
                FileHandle.standardError.write(Data((message + "\n").utf8))
            }
        } catch {
            FileHandle.standardError.write(Data("error: \(error.localizedDescription)\n".utf8))
            throw ExitCode.failure
        }
        let written = report.files.filter(\.written).count
        FileHandle.standardError.write(Data(
            "corpora: \(report.files.count) files in \(directory.path) (\(written) written, \(report.files.count - written) unchanged)\n".utf8))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }
}
