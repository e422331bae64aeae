import XCTest
@testable import LoomText

final class LoomTextSmokeTests: XCTestCase {
    func testModuleLoads() { XCTAssertTrue(true) }
}
