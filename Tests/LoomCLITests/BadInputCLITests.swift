import Foundation
import XCTest

/// Every row of docs/bad-input.md: each bad input gets `error: <what and where>` on stderr
/// and a non-zero exit (64 for flags, 1 for files), never a crash.
final class BadInputCLITests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = try CommandRunner.temporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        try Data(bytes).write(to: root.appendingPathComponent(name))
        return path(name)
    }

    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

    /// The `error: ` line of stderr (progress lines may come before it).
    func errorLine(_ stderr: String) -> String {
        stderr.components(separatedBy: "\n").first { $0.hasPrefix("error: ") } ?? ""
    }

    /// Runs loom and checks the exit status and that its `error: ` line holds every fragment
    /// (flag errors add a usage line after it).
    func assertFails(_ arguments: [String], status: Int32 = 1, _ fragments: String..., file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try CommandRunner.run(arguments)
        XCTAssertEqual(result.status, status, "\(arguments): \(result.stderr)", file: file, line: line)
        let message = errorLine(result.stderr)
        XCTAssertFalse(message.isEmpty, "\(arguments): no error line in: \(result.stderr)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(message.contains(fragment), "\(arguments): expected '\(fragment)' in: \(result.stderr)", file: file, line: line)
        }
        XCTAssertFalse(result.stderr.contains("Fatal error") || result.stderr.contains("Backtrac"), result.stderr, file: file, line: line)
    }

    /// A two-step bigram checkpoint, quick to make, for the verbs that read one.
    func bigramCheckpoint() throws -> String {
        let corpus = try TrainingFixtures.writeCorpus(in: root)
        let out = path("bigram")
        let result = try CommandRunner.run(["pretrain", "--model", "bigram", "--corpus", corpus.path, "--out", out, "--context", "8",
                                            "--steps", "2", "--eval-every", "0", "--final-eval-batches", "1", "--sample-every", "0"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return out
    }

    func tinyPretrain(_ corpus: String, out: String) -> [String] {
        ["pretrain", "--model", "bigram", "--corpus", corpus, "--out", out, "--context", "8", "--steps", "2",
         "--eval-every", "0", "--final-eval-batches", "1", "--sample-every", "0"]
    }

    func testMissingFile() throws {
        try assertFails(["pretrain", "--corpus", path("nowhere.txt")], "cannot read \(path("nowhere.txt")): no such file")
        try assertFails(["seq2seq", "train", "--train", path("nowhere.tsv")], "\(path("nowhere.tsv")): file not found")
        try assertFails(["finetune", "--checkpoint", path("nowhere"), "--train", path("nowhere.tsv")],
                        "\(path("nowhere")): no such checkpoint directory")
    }

    func testDirectoryInsteadOfFile() throws {
        try assertFails(["pretrain", "--corpus", root.path], "cannot read \(root.path): is a directory")
        try assertFails(["seq2seq", "train", "--train", root.path], "\(root.path): cannot read: is a directory")
    }

    func testEmptyFile() throws {
        let empty = try write("empty.txt", "")
        try assertFails(["pretrain", "--corpus", empty], "\(empty): the corpus is empty")
        try assertFails(["seq2seq", "train", "--train", empty], "no `source<TAB>target` lines")
        try assertFails(["finetune", "--checkpoint", try bigramCheckpoint(), "--train", empty, "--out", path("f")], "\(empty): no examples")
    }

    func testInvalidUTF8() throws {
        let bad = try write("bad.txt", Array("abc".utf8) + [0xFF, 0xFE] + Array("def\n".utf8))
        try assertFails(["pretrain", "--corpus", bad], "invalid UTF-8 in \(bad) at byte offset 3 (line 1)", "--lossy")
        let lossy = try CommandRunner.run(tinyPretrain(try write("lossy.txt", Array(String(repeating: "abc ", count: 50).utf8) + [0xFF]),
                                                       out: path("lossy")) + ["--lossy"])
        XCTAssertEqual(lossy.status, 0, lossy.stderr)
        let pairs = try write("bad.tsv", Array("go\tge".utf8) + [0xC3] + Array("\n".utf8))
        try assertFails(["seq2seq", "train", "--train", pairs], "\(pairs):1: invalid UTF-8 at byte offset 5")
    }

    func testWrongDelimiter() throws {
        let commas = try write("commas.csv", "pos,good text\nneg,bad text\n")
        try assertFails(["seq2seq", "train", "--train", commas], "\(commas):1: missing tab: expected `first<TAB>second`")
        try assertFails(["finetune", "--checkpoint", try bigramCheckpoint(), "--train", commas, "--out", path("f")],
                        "commas.csv:1: expected label<TAB>text, found no tab")
    }

    func testLabelMissing() throws {
        let noLabel = try write("nolabel.tsv", "pos\tgood\n\tno label here\n")
        try assertFails(["finetune", "--checkpoint", try bigramCheckpoint(), "--train", noLabel, "--out", path("f")],
                        "nolabel.tsv:2: empty label")
        try assertFails(["seq2seq", "train", "--train", noLabel], "\(noLabel):2: empty first field (before the tab)")
        let noText = try write("notext.tsv", "pos\tgood\nneg\n")
        try assertFails(["seq2seq", "train", "--train", noText], "\(noText):2: missing tab")
    }

    func testUnknownFlagValues() throws {
        let corpus = try TrainingFixtures.writeCorpus(in: root).path
        try assertFails(["pretrain", "--corpus", corpus, "--model", "transformer"], status: 64,
                        "The value 'transformer' is invalid for '--model <model>'", "'gpt'")
        try assertFails(["seq2seq", "train", "--train", corpus, "--cell", "foo"], status: 64, "The value 'foo' is invalid for '--cell <cell>'")
        try assertFails(["pretrain", "--corpus", corpus, "--no-such-flag"], status: 64, "Unknown option '--no-such-flag'")
    }

    func testNegativeOrZeroSizes() throws {
        let corpus = try TrainingFixtures.writeCorpus(in: root).path
        try assertFails(["pretrain", "--corpus", corpus, "--steps", "-1"], status: 64, "--steps must be positive, got -1")
        try assertFails(["pretrain", "--corpus", corpus, "--dim", "0"], status: 64, "--dim must be positive, got 0")
        try assertFails(["pretrain", "--corpus", corpus, "--batch-size", "0"], status: 64, "--batch-size must be positive, got 0")
        try assertFails(["pretrain", "--corpus", corpus, "--lr", "-0.1"], status: 64, "--lr must be positive, got -0.1")
        try assertFails(["seq2seq", "train", "--train", corpus, "--dim", "-8"], status: 64, "--dim and --embedding-dim must be positive")
        try assertFails(["finetune", "--checkpoint", corpus, "--train", corpus, "--epochs", "0"], status: 64, "--epochs must be positive, got 0")
    }

    /// Writing over an existing checkpoint is refused with the flags that allow it, as one
    /// `error:` line without the root command's usage text.
    func testExistingCheckpointIsNotOverwritten() throws {
        let bigram = try bigramCheckpoint()
        let corpus = root.appendingPathComponent("corpus.txt").path
        let arguments = ["pretrain", "--model", "bigram", "--corpus", corpus, "--out", bigram, "--context", "8", "--steps", "2"]
        try assertFails(arguments, status: 64, "already holds a checkpoint", "--resume", "--force")
        let result = try CommandRunner.run(arguments)
        XCTAssertTrue(result.stderr.hasPrefix("error: \(bigram) already holds a checkpoint"), result.stderr)
        XCTAssertFalse(result.stderr.contains("Usage:"), result.stderr)
    }

    func testCheckpointOfAnotherModelKind() throws {
        let bigram = try bigramCheckpoint()
        let corpus = root.appendingPathComponent("corpus.txt").path
        try assertFails(["pretrain", "--model", "gpt", "--corpus", corpus, "--out", bigram, "--resume"],
                        "\(bigram)/config.json: checkpoint holds a 'bigram' model, not a 'gpt' model")
        try assertFails(["seq2seq", "translate", "--checkpoint", bigram, "--text", "go"],
                        "\(bigram)/config.json: checkpoint holds a 'bigram' model, not a 'seq2seq")
    }

    func testCheckpointFromANewerFormatVersion() throws {
        let bigram = try bigramCheckpoint()
        let config = URL(fileURLWithPath: bigram).appendingPathComponent("config.json")
        let text = try String(contentsOf: config, encoding: .utf8)
        let newer = text.replacingOccurrences(of: #""loom_version" : "[^"]*""#, with: #""loom_version" : "9.1.0""#, options: .regularExpression)
        XCTAssertNotEqual(text, newer)
        try Data(newer.utf8).write(to: config)
        try assertFails(["generate", "--checkpoint", bigram, "--prompt", "a"],
                        "\(bigram)/config.json: the checkpoint was written by Loom 9.1.0, newer than this Loom")
        let corpus = root.appendingPathComponent("corpus.txt").path
        try assertFails(tinyPretrain(corpus, out: bigram) + ["--resume", "--steps", "4"], "written by Loom 9.1.0")
    }

    /// Runs loom inside a new user and mount namespace with a small tmpfs at `mountPoint`,
    /// prepared by `setup` (shell commands); skips where namespaces are not allowed.
    func runInTmpfs(size: String, setup: String, _ arguments: [String]) throws -> CommandRunner.Result {
        let mountPoint = path("mnt")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        probe.arguments = ["-rm", "true"]
        try? probe.run()
        probe.waitUntilExit()
        try XCTSkipUnless(probe.terminationReason == .exit && probe.terminationStatus == 0, "unshare -rm is not allowed here")
        let script = "mount -t tmpfs -o size=\(size) tmpfs \"$0\" && cd \"$0\" && \(setup) && exec \"$@\""
        return try CommandRunner.run(executable: URL(fileURLWithPath: "/usr/bin/unshare"),
                                     ["-rm", "sh", "-c", script, mountPoint, CommandRunner.binary.path] + arguments)
    }

    func testDiskFullWhenSaving() throws {
        let corpus = try TrainingFixtures.writeCorpus(in: root).path
        let out = path("mnt") + "/out"
        // 64 KiB holds the metrics log but not the 1.6 MB of weights and optimizer moments.
        let result = try runInTmpfs(size: "64k", setup: "true",
                                    ["pretrain", "--corpus", corpus, "--out", out, "--layers", "1", "--dim", "128", "--heads", "2",
                                     "--context", "8", "--steps", "2", "--eval-every", "0", "--final-eval-batches", "1", "--sample-every", "0"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(errorLine(result.stderr).hasPrefix("error: cannot write \(out)/"), result.stderr)
        XCTAssertTrue(errorLine(result.stderr).hasSuffix("No space left on device"), result.stderr)
        XCTAssertFalse(result.stderr.contains(".staging-"), result.stderr)
    }

    func testReadOnlyOutputDirectory() throws {
        let corpus = try TrainingFixtures.writeCorpus(in: root).path
        let out = path("mnt") + "/out"
        let result = try runInTmpfs(size: "1m", setup: "mkdir out && mount -o remount,ro \"$0\"",
                                    tinyPretrain(corpus, out: out))
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(errorLine(result.stderr), "error: cannot write \(out)/metrics.jsonl: Read-only file system", result.stderr)
    }
}
