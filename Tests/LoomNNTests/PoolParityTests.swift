import XCTest
import LoomTensor
@testable import LoomNN

/// MaxPool2d and AvgPool2d against PyTorch.
final class PoolParityTests: XCTestCase {
    func testMaxPool2dMatchesPyTorch() throws {
        for name in ["max_pool2d", "max_pool2d_k3s2"] {
            let fixture = try LayerFixture(name)
            let layer = MaxPool2d(try fixture.integer("kernel_size"), stride: try fixture.integer("stride"),
                                  padding: try fixture.integer("padding"))
            try fixture.check(layer)
        }
    }

    func testAvgPool2dMatchesPyTorch() throws {
        let fixture = try LayerFixture("avg_pool2d")
        let layer = AvgPool2d(try fixture.integer("kernel_size"), stride: try fixture.integer("stride"),
                              padding: try fixture.integer("padding"))
        try fixture.check(layer)
        XCTAssertTrue(layer.namedParameters().isEmpty)
    }
}
