import XCTest
import Foundation
import LoomTensor
@testable import LoomNN

final class SafeTensorsTests: XCTestCase {
    func fixture(_ name: String) throws -> SafeTensors {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
        return try SafeTensors.read(url)
    }

    func testReadsFilesWrittenByPythonSafetensors() throws {
        let file = try fixture("linear")
        XCTAssertEqual(file.tensors["weight"]?.shape, [3, 5])
        XCTAssertEqual(file.tensors["input"]?.shape, [4, 5])
        XCTAssertEqual(file.metadata["in_features"], "5")
        let ce = try fixture("cross_entropy")
        XCTAssertEqual(ce.tensors["loss"]?.shape, [])
    }

    func testWrittenBytesFollowTheFormat() throws {
        let t = Tensor(shape: [2, 2], values: [1, -2, 3.5, 0])
        let data = SafeTensors(tensors: [("b.weight", t), ("a", Tensor(7))], metadata: ["format": "pt"]).serialized()
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(data[i]) << UInt64(8 * i) }
        XCTAssertEqual(n % 8, 0)
        let header = try JSONSerialization.jsonObject(with: data[8..<(8 + Int(n))]) as! [String: Any]
        let entry = header["b.weight"] as! [String: Any]
        XCTAssertEqual(entry["dtype"] as? String, "F32")
        XCTAssertEqual(entry["shape"] as? [Int], [2, 2])
        XCTAssertEqual(entry["data_offsets"] as? [Int], [0, 16])
        XCTAssertEqual((header["a"] as! [String: Any])["data_offsets"] as? [Int], [16, 20])
        XCTAssertEqual((header["__metadata__"] as? [String: String])?["format"], "pt")
        let body = data[(8 + Int(n))...]
        XCTAssertEqual(body.count, 20)
        let floats = body.withUnsafeBytes { raw in (0..<5).map { Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) } }
        XCTAssertEqual(floats, [1, -2, 3.5, 0, 7])
    }

    func testRoundTripThroughAtomicWrite() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loom-st-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.safetensors")
        let t = Tensor(shape: [3], values: [1, 2, 3])
        try SafeTensors(tensors: [("x", t)]).write(to: url)
        XCTAssertEqual(try SafeTensors.read(url).tensors["x"]?.scalars, [1, 2, 3])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["model.safetensors"])
    }

    func testCorruptFilesGiveErrorsNotCrashes() {
        let good = SafeTensors(tensors: [("x", Tensor(shape: [4], values: [1, 2, 3, 4]))]).serialized()
        func message(_ data: Data) -> String? {
            do { _ = try SafeTensors.parse(data, file: "m.safetensors"); return nil } catch { return "\(error)" }
        }
        XCTAssertTrue(message(good.prefix(good.count - 3))?.contains("'x'") ?? false)
        XCTAssertTrue(message(good.prefix(5))?.contains("too short") ?? false)
        XCTAssertTrue(message(Data([255, 255, 0, 0, 0, 0, 0, 0, 1, 2]))?.contains("header length") ?? false)
        var garbled = good
        garbled[9] = 0x5B
        XCTAssertNotNil(message(garbled))
        XCTAssertNil(message(good))
        // Every truncation point fails cleanly.
        for cut in 0..<good.count { XCTAssertNotNil(message(good.prefix(cut))) }
    }
}
