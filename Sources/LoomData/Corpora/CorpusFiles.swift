import Foundation
import LoomCore

/// One file the corpus builder produced, as reported to the user.
public struct CorpusFile: Equatable, Sendable, Codable {
    /// Path relative to the corpora directory, e.g. `topics/train.tsv`.
    public var path: String
    /// Lines for text files; images or labels for IDX files (see `unit`).
    public var count: Int
    public var unit: String
    public var bytes: Int
    /// The Debian package the content comes from.
    public var package: String
    /// False when the file already held exactly this content and was left alone.
    public var written: Bool
}

/// Everything one build produced.
public struct CorpusReport: Equatable, Sendable, Codable {
    public var directory: String
    public var files: [CorpusFile]

    public func file(_ path: String) -> CorpusFile? {
        files.first { $0.path == path }
    }
}

/// Collects the builder's output files and writes each one atomically, leaving files that
/// already hold the same bytes untouched.
final class CorpusWriter {
    let directory: URL
    private(set) var files: [CorpusFile] = []
    private let log: (String) -> Void

    init(directory: URL, log: @escaping (String) -> Void) {
        self.directory = directory
        self.log = log
    }

    func writeText(_ path: String, _ text: String, package: String) throws {
        let data = Data(text.utf8)
        let lines = text.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        try write(path, data, count: lines, unit: "lines", package: package)
    }

    func write(_ path: String, _ data: Data, count: Int, unit: String, package: String) throws {
        let url = directory.appendingPathComponent(path)
        let unchanged = AtomicFile.holds(data, at: url)
        if !unchanged { try AtomicFile.write(data, to: url) }
        let file = CorpusFile(path: path, count: count, unit: unit, bytes: data.count, package: package, written: !unchanged)
        files.append(file)
        log("  \(path): \(count) \(unit)\(unchanged ? " (unchanged)" : "")")
    }

    /// Writes `<stem>/train<ext>`, `<stem>/val<ext>` and `<stem>/test<ext>`, keeping the
    /// examples in the order given.
    func writeSplits(_ stem: String, extension ext: String, _ splits: SplitLines, package: String) throws {
        for split in Split.allCases {
            try writeText("\(stem)/\(split.fileStem)\(ext)", splits.text(split), package: package)
        }
    }
}

/// Lines sorted into the three splits by the hash of each line's key.
struct SplitLines {
    private var lines: [Split: [String]] = [.train: [], .validation: [], .test: []]

    mutating func add(_ line: String, key: String) {
        lines[Split.of(key: key), default: []].append(line)
    }

    func count(_ split: Split) -> Int { lines[split]?.count ?? 0 }

    func text(_ split: Split) -> String {
        guard let splitLines = lines[split], !splitLines.isEmpty else { return "" }
        return splitLines.joined(separator: "\n") + "\n"
    }
}

/// Whitespace (tabs and newlines included) collapsed to single spaces and control characters
/// dropped, so a text fits in one TSV field.
func flattenedToOneLine(_ text: String) -> String {
    // Appending bytes and decoding once is much faster than growing a String scalar by scalar.
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count)
    var pendingSpace = false
    for scalar in text.unicodeScalars {
        if isWhitespace(scalar) {
            pendingSpace = !bytes.isEmpty
        } else if !isControl(scalar) {
            if pendingSpace { bytes.append(UInt8(ascii: " ")) }
            pendingSpace = false
            appendUTF8(scalar, to: &bytes)
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

func appendUTF8(_ scalar: Unicode.Scalar, to bytes: inout [UInt8]) {
    if scalar.isASCII {
        bytes.append(UInt8(scalar.value))
    } else if let encoded = UTF8.encode(scalar) {
        bytes.append(contentsOf: encoded)
    }
}

// Unicode property lookups are slow; nearly all corpus text is ASCII, so answer that first.

func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    if scalar.value < 0x80 { return scalar.value == 0x20 || (0x09...0x0D).contains(scalar.value) }
    return scalar.properties.isWhitespace
}

/// Control characters plus the byte-order mark, which some files carry mid-text.
func isControl(_ scalar: Unicode.Scalar) -> Bool {
    if scalar.value < 0x80 { return scalar.value < 0x20 || scalar.value == 0x7F }
    return scalar == "\u{FEFF}" || scalar.properties.generalCategory == .control
}
