import XCTest
@testable import LoomData

/// Decodes what the PNG writer produces (8-bit, filter type 0) without using its code.
private struct DecodedPNG {
    var width = 0, height = 0, bitDepth = 0, colorType = 0
    var chunkTypes: [String] = []
    var pixels: [UInt8] = []
}

/// CRC-32 computed bit by bit, independent of zlib.
private func referenceCRC32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

private func readUInt32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
}

private func decode(_ file: [UInt8], file testFile: StaticString = #filePath, line: UInt = #line) -> DecodedPNG? {
    guard Array(file.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
        XCTFail("bad PNG signature", file: testFile, line: line)
        return nil
    }
    var result = DecodedPNG()
    var compressed: [UInt8] = []
    var offset = 8
    while offset + 12 <= file.count {
        let length = Int(readUInt32(file, offset))
        let typeAndData = Array(file[offset + 4 ..< offset + 8 + length])
        let type = String(decoding: typeAndData.prefix(4), as: UTF8.self)
        let storedCRC = readUInt32(file, offset + 8 + length)
        XCTAssertEqual(storedCRC, referenceCRC32(typeAndData), "CRC of \(type)", file: testFile, line: line)
        result.chunkTypes.append(type)
        let data = Array(typeAndData.dropFirst(4))
        if type == "IHDR" {
            result.width = Int(readUInt32(data, 0))
            result.height = Int(readUInt32(data, 4))
            result.bitDepth = Int(data[8])
            result.colorType = Int(data[9])
            XCTAssertEqual(Array(data[10...12]), [0, 0, 0], file: testFile, line: line)
        } else if type == "IDAT" {
            compressed += data
        }
        offset += 12 + length
    }
    XCTAssertEqual(offset, file.count, "bytes after the last chunk", file: testFile, line: line)
    let channels = result.colorType == 2 ? 3 : 1
    let rowBytes = result.width * channels
    guard let raw = zlibUncompress(compressed, expectedSize: result.height * (rowBytes + 1)) else {
        XCTFail("IDAT does not inflate to the expected size", file: testFile, line: line)
        return nil
    }
    for row in 0..<result.height {
        XCTAssertEqual(raw[row * (rowBytes + 1)], 0, "filter type of row \(row)", file: testFile, line: line)
        result.pixels += raw[row * (rowBytes + 1) + 1 ..< (row + 1) * (rowBytes + 1)]
    }
    return result
}

final class PNGTests: XCTestCase {
    func testGreyImageDecodesToTheSamePixels() throws {
        let pixels: [UInt8] = [0, 64, 128, 255, 10, 20]
        let png = try XCTUnwrap(decode(PNG.encode(width: 3, height: 2, pixels: pixels, color: .grey)))
        XCTAssertEqual(png.chunkTypes, ["IHDR", "IDAT", "IEND"])
        XCTAssertEqual([png.width, png.height, png.bitDepth, png.colorType], [3, 2, 8, 0])
        XCTAssertEqual(png.pixels, pixels)
    }

    func testRGBImageDecodesToTheSamePixels() throws {
        var random = TestRandom(state: 11)
        let pixels = random.bytes(5 * 4 * 3)
        let png = try XCTUnwrap(decode(PNG.encode(width: 5, height: 4, pixels: pixels, color: .rgb)))
        XCTAssertEqual([png.width, png.height, png.bitDepth, png.colorType], [5, 4, 8, 2])
        XCTAssertEqual(png.pixels, pixels)
    }

    func testZlibCRCMatchesTheReference() {
        let bytes = Array("IEND".utf8)
        XCTAssertEqual(Zlib.crc32(bytes), 0xAE42_6082) // the CRC every PNG's IEND chunk carries
        XCTAssertEqual(Zlib.crc32(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(Zlib.crc32(Array("123456789".utf8)), referenceCRC32(Array("123456789".utf8)))
    }

    func testGridPlacesImagesWithPadding() throws {
        // Three 2×2 images with values 1, 2, 3 on a 2-column grid with 2 pixels of padding.
        let images: [UInt8] = [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]
        let grid = PNG.gridPixels(pixels: images, count: 3, rows: 2, cols: 2, columns: 2, padding: 2)
        XCTAssertEqual(grid.width, 2 * (2 + 2) + 2)
        XCTAssertEqual(grid.height, 2 * (2 + 2) + 2)
        func pixel(_ x: Int, _ y: Int) -> UInt8 { grid.pixels[y * grid.width + x] }
        XCTAssertEqual([pixel(2, 2), pixel(3, 3)], [1, 1])
        XCTAssertEqual([pixel(6, 2), pixel(7, 3)], [2, 2])
        XCTAssertEqual([pixel(2, 6), pixel(3, 7)], [3, 3])
        XCTAssertEqual([pixel(0, 0), pixel(4, 2), pixel(6, 6), pixel(9, 9)], [0, 0, 0, 0])
        XCTAssertEqual(grid.pixels.filter { $0 != 0 }.count, 12)

        let directory = try makeTemporaryDirectory(self)
        let url = directory.appendingPathComponent("grid.png")
        try PNG.writeGrid(to: url, pixels: images, count: 3, rows: 2, cols: 2, columns: 2)
        let png = try XCTUnwrap(decode([UInt8](Data(contentsOf: url))))
        XCTAssertEqual(png.pixels, grid.pixels)
    }

    func testDefaultGridIsNearSquare() {
        let grid = PNG.gridPixels(pixels: [UInt8](repeating: 9, count: 10 * 28 * 28), count: 10, rows: 28, cols: 28)
        XCTAssertEqual(grid.width, 4 * 30 + 2) // ceil(sqrt(10)) = 4 columns
        XCTAssertEqual(grid.height, 3 * 30 + 2)
    }
}
