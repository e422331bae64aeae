import XCTest
@testable import LoomData

final class LoomDataSmokeTests: XCTestCase {
    func testModuleLoads() { XCTAssertTrue(true) }
}
