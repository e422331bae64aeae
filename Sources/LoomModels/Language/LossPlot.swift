import Foundation
import LoomCore

/// Draws the loss curves of `metrics.jsonl` as an SVG: the training loss of every step
/// (light) with its running mean (dark), and the evaluated train and validation losses as
/// marked lines. Plain SVG, so any browser shows it and no plotting library is needed.
public enum LossPlot {
    public static func svg(series: LossSeries, title: String = "loss") -> String {
        let steps = thinned(series.steps), trainEval = series.trainEval, validation = series.validation
        var smoothed: [(Double, Double)] = []
        var average: Double?
        for (step, loss) in series.steps {
            average = average.map { 0.95 * $0 + 0.05 * loss } ?? loss
            smoothed.append((step, average!))
        }
        smoothed = thinned(smoothed)
        let all = steps + trainEval + validation
        let width = 720.0, height = 420.0, left = 60.0, right = 20.0, top = 36.0, bottom = 44.0
        let maxStep = max(1, all.map(\.0).max() ?? 1)
        var low = all.map(\.1).min() ?? 0, high = all.map(\.1).max() ?? 1
        if high - low < 1e-6 { high = low + 1 }
        low = max(0, low - 0.05 * (high - low))
        func x(_ step: Double) -> Double { left + (width - left - right) * step / maxStep }
        func y(_ loss: Double) -> Double { top + (height - top - bottom) * (1 - (loss - low) / (high - low)) }
        func polyline(_ points: [(Double, Double)], color: String, strokeWidth: Double) -> String {
            guard !points.isEmpty else { return "" }
            let coordinates = points.map { String(format: "%.1f,%.1f", x($0.0), y($0.1)) }.joined(separator: " ")
            return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(strokeWidth)\" points=\"\(coordinates)\"/>\n"
        }
        func marks(_ points: [(Double, Double)], color: String) -> String {
            points.map { String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" ", x($0.0), y($0.1)) + "fill=\"\(color)\"/>\n" }.joined()
        }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        svg += "<text x=\"\(Int(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>\n"
        for i in 0...5 {
            let loss = low + (high - low) * Double(i) / 5
            let yy = y(loss)
            svg += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, width - right, yy, yy)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>\n", left - 6, yy + 4, loss)
            let step = maxStep * Double(i) / 5
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n", x(step), height - bottom + 18, Int(step))
        }
        svg += "<text x=\"\(Int(width / 2))\" y=\"\(Int(height - 6))\" text-anchor=\"middle\">step</text>\n"
        svg += polyline(steps, color: "#9ecae1", strokeWidth: 1)
        svg += polyline(smoothed, color: "#3182bd", strokeWidth: 2)
        svg += polyline(trainEval, color: "#31a354", strokeWidth: 2) + marks(trainEval, color: "#31a354")
        svg += polyline(validation, color: "#e6550d", strokeWidth: 2) + marks(validation, color: "#e6550d")
        let legend = [("train loss (each step)", "#9ecae1"), ("running mean", "#3182bd"),
                      ("train loss (evaluated)", "#31a354"), ("val loss", "#e6550d")]
        for (i, (name, color)) in legend.enumerated() {
            let ly = top + 8 + Double(i) * 16
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"3\" ", width - right - 170, ly - 4) + "fill=\"\(color)\"/>"
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\">", width - right - 152, ly) + name + "</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    /// Writes the plot of `log`'s losses to `url` (atomically).
    public static func write(from log: MetricsLog, to url: URL, title: String = "loss") throws {
        try AtomicFile.write(svg(series: log.series, title: title), to: url)
    }

    /// At most `limit` evenly spaced points of a long curve, the last one kept: a plot 720
    /// pixels wide shows no more, and the file stays small however long the run.
    static func thinned(_ points: [(Double, Double)], limit: Int = 1000) -> [(Double, Double)] {
        guard points.count > limit else { return points }
        let stride = Double(points.count - 1) / Double(limit - 1)
        return (0..<limit).map { points[Int((Double($0) * stride).rounded())] }
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    }
}
