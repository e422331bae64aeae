import XCTest
@testable import LoomNN

final class LoomNNSmokeTests: XCTestCase {
    func testModuleLoads() { XCTAssertTrue(true) }
}
