import Foundation
@testable import LoomModels
import XCTest

final class LossPlotTests: XCTestCase {
    /// The series kept while appending equals the one read back from the file, so a save
    /// can plot without re-reading the log.
    func testAppendedSeriesMatchesTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loss-plot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("metrics.jsonl")
        let log = MetricsLog(url: url)
        try log.reset()
        for step in 1...30 {
            log.append(["step": step, "loss": Float(3) - Float(step) * 0.05, "lr": Float(1e-3)])
            if step % 10 == 0 { log.append(["step": step, "train_loss": Float(2.5), "val_loss": Float(2.6) - Float(step) * 0.01]) }
        }
        let kept = log.series, read = MetricsLog(url: url).series
        XCTAssertEqual(kept.steps.count, 30)
        XCTAssertEqual(kept.validation.count, 3)
        for (a, b) in zip(kept.steps + kept.trainEval + kept.validation, read.steps + read.trainEval + read.validation) {
            XCTAssertEqual(a.0, b.0)
            XCTAssertEqual(a.1, b.1, accuracy: 1e-6)
        }
        XCTAssertEqual(kept.steps.last!.1, 1.5, accuracy: 1e-6)

        // A resumed run keeps only the steps up to its checkpoint, in the file and the series.
        try log.truncate(afterStep: 20)
        XCTAssertEqual(log.series.steps.count, 20)
        XCTAssertEqual(log.series.validation.map(\.0), [10, 20])
        XCTAssertEqual(MetricsLog(url: url).series.steps.count, 20)
    }

    /// A 20,000-step curve is drawn with at most 1,000 points, first and last included.
    func testLongCurvesAreThinned() {
        let points = (1...20_000).map { (Double($0), 1 / Double($0)) }
        let thinned = LossPlot.thinned(points)
        XCTAssertEqual(thinned.count, 1000)
        XCTAssertEqual(thinned.first!.0, 1)
        XCTAssertEqual(thinned.last!.0, 20_000)
        XCTAssertEqual(LossPlot.thinned(Array(points.prefix(10))).count, 10)
        var series = LossSeries()
        for (step, loss) in points { series.add(["step": Int(step), "loss": loss]) }
        let svg = LossPlot.svg(series: series)
        XCTAssertLessThan(svg.utf8.count, 60_000, "the plot's size must not grow with the run")
    }
}
