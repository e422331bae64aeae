import Foundation
import LoomCore

/// `metrics.jsonl` beside a checkpoint: one JSON object per line, each with a `step`.
/// Training steps carry `loss`, `lr`, `ms`, `tokens_per_s`; evaluations carry
/// `train_loss` and `val_loss`. Plot it, or read it with `pandas.read_json(lines=True)`.
public final class MetricsLog {
    public let url: URL
    private var handle: FileHandle?
    private var loaded: LossSeries?

    public init(url: URL) { self.url = url }

    deinit { try? handle?.close() }

    /// Starts a new file, dropping any old one.
    public func reset() throws {
        try? handle?.close()
        handle = nil
        try AtomicFile.write(Data(), to: url)
        loaded = LossSeries()
    }

    /// Keeps only the records of steps up to `step`: a resumed run rewrites what came after
    /// its checkpoint, so the file reads as one run.
    public func truncate(afterStep step: Int) throws {
        let kept = records().filter { ($0["step"] as? Int ?? 0) <= step }
        var text = ""
        for record in kept { text += Self.line(record) }
        try? handle?.close()
        handle = nil
        try AtomicFile.write(text, to: url)
        loaded = LossSeries(records: kept)
    }

    /// The losses of every record, read from the file once and then kept up to date by
    /// `append`, so plotting at each save does not re-read a file that grows all run.
    public var series: LossSeries {
        if let loaded { return loaded }
        let series = LossSeries(records: records())
        loaded = series
        return series
    }

    public func append(_ record: [String: Any]) {
        if handle == nil {
            if !FileManager.default.fileExists(atPath: url.path) {
                _ = FileManager.default.createFile(atPath: url.path, contents: nil)
            }
            handle = try? FileHandle(forWritingTo: url)
            _ = try? handle?.seekToEnd()
        }
        handle?.write(Data(Self.line(record).utf8))
        loaded?.add(record)
    }

    /// Every record in the file; lines that do not parse (a torn last line) are skipped.
    public func records() -> [[String: Any]] {
        guard let data = FileManager.default.contents(atPath: url.path) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    static func line(_ record: [String: Any]) -> String {
        let cleaned = record.filter { value in
            if let f = value.value as? Float { return f.isFinite }
            if let d = value.value as? Double { return d.isFinite }
            return true
        }
        let data = (try? JSONSerialization.data(withJSONObject: cleaned, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// The loss curves of a run: per-step training losses, and the evaluated train and
/// validation losses, as (step, loss) pairs.
public struct LossSeries {
    public var steps: [(Double, Double)] = []
    public var trainEval: [(Double, Double)] = []
    public var validation: [(Double, Double)] = []

    public init() {}

    public init(records: [[String: Any]]) {
        for record in records { add(record) }
    }

    public mutating func add(_ record: [String: Any]) {
        func number(_ value: Any?) -> Double? {
            switch value {
            case let d as Double: return d
            case let f as Float: return Double(f)
            case let i as Int: return Double(i)
            case let n as NSNumber: return n.doubleValue
            default: return nil
            }
        }
        guard let step = number(record["step"]) else { return }
        if let loss = number(record["loss"]), loss.isFinite { steps.append((step, loss)) }
        if let loss = number(record["train_loss"]), loss.isFinite { trainEval.append((step, loss)) }
        if let loss = number(record["val_loss"]), loss.isFinite { validation.append((step, loss)) }
    }
}
