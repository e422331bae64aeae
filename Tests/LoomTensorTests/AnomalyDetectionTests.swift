import XCTest
@testable import LoomTensor

/// `AnomalyDetection` names the first op whose output, or whose gradient, stopped being finite.
final class AnomalyDetectionTests: XCTestCase {
    override func tearDown() { AnomalyDetection.enable(false) }

    func testForwardAnomalyNamesTheOpAndShape() {
        AnomalyDetection.enable()
        let x = Tensor(shape: [2, 2], values: [1, 0, 2, 3]).requiringGradient()
        let y = x.log() * Tensor(shape: [2, 2], values: [1, 1, 1, 1])
        _ = y.sum()
        let anomaly = AnomalyDetection.takeFirst()
        XCTAssertEqual(anomaly?.op, "log")
        XCTAssertEqual(anomaly?.phase, .forward)
        XCTAssertEqual(anomaly?.shape, [2, 2])
        XCTAssertEqual(anomaly?.index, 1)
        XCTAssertEqual(anomaly?.value, -.infinity)
        XCTAssertNil(AnomalyDetection.takeFirst(), "taking clears it")
    }

    func testBackwardAnomalyNamesTheOpWhoseGradientBroke() {
        AnomalyDetection.enable()
        // sqrt(0) is finite, its derivative 1/(2·sqrt(0)) is not.
        let x = Tensor(shape: [3], values: [4, 0, 1]).requiringGradient()
        x.sqrt().sum().backward()
        let anomaly = AnomalyDetection.takeFirst()
        XCTAssertEqual(anomaly?.op, "sqrt")
        XCTAssertEqual(anomaly?.phase, .backward)
        XCTAssertEqual(anomaly?.shape, [3])
        XCTAssertTrue(anomaly.map { "\($0)" }?.hasPrefix("the backward step of sqrt produced inf") ?? false, "\(String(describing: anomaly))")
    }

    func testOffRecordsNothing() {
        AnomalyDetection.enable(false)
        let x = Tensor(shape: [1], values: [0]).requiringGradient()
        x.log().sum().backward()
        XCTAssertNil(AnomalyDetection.takeFirst())
    }
}
