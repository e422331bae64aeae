import XCTest
@testable import LoomTensor

final class LoomTensorSmokeTests: XCTestCase {
    func testModuleLoads() { XCTAssertTrue(true) }
}
