import Foundation

/// One classification example: a TSV line `label<TAB>text`.
public struct LabelledText: Sendable, Equatable {
    public var label: String
    public var text: String

    public init(label: String, text: String) {
        self.label = label
        self.text = text
    }

    /// Reads a labelled TSV; empty lines are skipped, a line without a tab or with an empty label is an error.
    public static func read(path: String) throws -> [LabelledText] {
        var examples: [LabelledText] = []
        for (number, line) in TextModelFiles.lines(try TextModelFiles.readText(path)).enumerated() {
            if line.isEmpty { continue }
            guard let tab = line.firstIndex(of: "\t") else {
                throw TextModelError("\(path):\(number + 1): expected label<TAB>text, found no tab")
            }
            let label = String(line[..<tab])
            guard !label.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw TextModelError("\(path):\(number + 1): empty label")
            }
            examples.append(LabelledText(label: label, text: String(line[line.index(after: tab)...])))
        }
        guard !examples.isEmpty else { throw TextModelError("\(path): no examples") }
        return examples
    }
}
