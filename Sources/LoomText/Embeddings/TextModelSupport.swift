import Foundation

import LoomCore

/// An error in outside input to the text models (a file, a flag, a saved model), with a message
/// that names what was wrong and where: the project-wide error type.
public typealias TextModelError = LoomError

/// SplitMix64: small, fast and fully determined by its seed, so every random choice in the
/// text models (sampling, shuffling, word2vec) is reproducible from `--seed`.
struct TextModelGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform Double in [0, 1) built from the top 53 bits.
    mutating func nextUnit() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    /// A uniform integer in 0..<bound without modulo bias worth caring about for bound << 2^64.
    mutating func nextIndex(below bound: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }
}

/// File helpers for the text models: UTF-8 reading with located errors, line splitting, atomic writes.
public enum TextModelFiles {
    /// Reads a UTF-8 file, naming the file in the error when it is missing or not UTF-8.
    public static func readText(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TextModelError("cannot read file \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            // Find the first bad byte so the user can look at it.
            var offset = 0
            var iterator = data.makeIterator()
            var decoder = UTF8()
            loop: while true {
                switch decoder.decode(&iterator) {
                case .scalarValue(let scalar): offset += String(scalar).utf8.count
                case .emptyInput: break loop
                case .error: break loop
                }
            }
            throw TextModelError("\(path): not valid UTF-8 near byte offset \(offset)")
        }
        return text
    }

    /// Splits text into lines on "\n", dropping a trailing "\r" and the empty piece after a final newline.
    public static func lines(_ text: String) -> [Substring] {
        var result = text.split(separator: "\n", omittingEmptySubsequences: false)
        if let last = result.last, last.isEmpty { result.removeLast() }
        return result.map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
    }

    /// Writes data to a temporary file beside `path` and renames it, so a crash never leaves half a file.
    public static func writeAtomically(_ data: Data, to path: String) throws {
        try AtomicFile.write(data, to: URL(fileURLWithPath: path))
    }


    /// Streams a file through `body`, which calls `emit` with pieces of text; the pieces go to a
    /// temporary file that replaces `path` only when everything was written.
    public static func writeAtomically(to path: String, _ body: (_ emit: (String) throws -> Void) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary.path) else {
            throw TextModelError("cannot write \(path): cannot create \(temporary.path)")
        }
        do {
            try body { text in try handle.write(contentsOf: Data(text.utf8)) }
            try handle.close()
            guard rename(temporary.path, url.path) == 0 else { throw TextModelError(String(cString: strerror(errno))) }
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(at: temporary)
            throw TextModelError("cannot write \(path): \(error)")
        }
    }

    public static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw TextModelError("cannot create directory \(path): \(error.localizedDescription)")
        }
    }
}
