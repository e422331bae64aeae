import Foundation

/// Where the CLI speaks: human progress on stderr, one JSON result object on stdout.
enum Output {
    static func info(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Prints `object` as one line of JSON on stdout (the last line a verb prints with --json).
    static func json(_ object: [String: Any]) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        // Through print, so it lands after everything else the verb printed on stdout.
        print(String(decoding: data, as: UTF8.self))
        fflush(stdout)
    }
}

/// A one-line progress bar with rate and ETA, redrawn on stderr at most a few times a second.
final class ProgressBar {
    private let total: Int
    private let label: String
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let isTerminal = isatty(STDERR_FILENO) != 0

    init(total: Int, label: String) {
        self.total = max(total, 1)
        self.label = label
    }

    func update(_ done: Int, suffix: String = "") {
        let now = Date()
        guard done >= total || now.timeIntervalSince(lastDraw) > (isTerminal ? 0.2 : 10) else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let fraction = Double(done) / Double(total)
        let eta = fraction > 0 ? elapsed / fraction - elapsed : 0
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let line = "\(label) [\(bar)] \(done)/\(total) \(Self.clock(elapsed)) elapsed, ETA \(Self.clock(eta)) \(suffix)"
        if isTerminal {
            FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K" + (done >= total ? "\n" : "")).utf8))
        } else {
            Output.info(line)
        }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
