import CZlib
import Foundation
import XCTest

/// A fresh temporary directory, removed when the test ends.
func makeTemporaryDirectory(_ testCase: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("LoomDataTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Gzip-compresses with zlib's deflate directly, independently of the code under test.
func gzipCompress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
    var stream = z_stream()
    let status = deflateInit2_(&stream, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY,
                               zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    precondition(status == Z_OK)
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 32)
    var input = bytes
    let produced: Int = input.withUnsafeMutableBufferPointer { source in
        output.withUnsafeMutableBufferPointer { destination in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            stream.next_out = destination.baseAddress
            stream.avail_out = uInt(destination.count)
            precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
            return destination.count - Int(stream.avail_out)
        }
    }
    return Array(output[..<produced])
}

/// Inflates a zlib-wrapped stream (as in PNG IDAT) whose size is known.
func zlibUncompress(_ bytes: [UInt8], expectedSize: Int) -> [UInt8]? {
    var output = [UInt8](repeating: 0, count: expectedSize)
    var size = uLongf(expectedSize)
    let status = output.withUnsafeMutableBufferPointer { destination in
        bytes.withUnsafeBufferPointer { source in
            uncompress(destination.baseAddress, &size, source.baseAddress, uLong(source.count))
        }
    }
    return status == Z_OK && Int(size) == expectedSize ? output : nil
}

/// A small seeded generator so test data is the same on every run.
struct TestRandom {
    var state: UInt64

    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        var value = state
        value ^= value >> 33
        value = value &* 0xff51_afd7_ed55_8ccd
        value ^= value >> 33
        return value
    }

    mutating func bytes(_ count: Int, alphabet: Int = 256) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next() % UInt64(alphabet)) }
    }
}

/// Asserts that `body` throws a `DataError` whose message contains every fragment.
func assertDataError<T>(_ body: @autoclosure () throws -> T, mentions fragments: [String],
                        file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected an error mentioning \(fragments)", file: file, line: line)
    } catch {
        let message = "\(error)"
        for fragment in fragments where !message.contains(fragment) {
            XCTFail("error `\(message)` does not mention `\(fragment)`", file: file, line: line)
        }
    }
}
