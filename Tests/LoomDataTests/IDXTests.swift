import XCTest
@testable import LoomData

final class IDXTests: XCTestCase {
    private func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    private func imagesFile(count: Int, rows: Int, cols: Int, pixels: [UInt8]) -> [UInt8] {
        bigEndian(0x0803) + bigEndian(UInt32(count)) + bigEndian(UInt32(rows)) + bigEndian(UInt32(cols)) + pixels
    }

    private func labelsFile(_ labels: [UInt8]) -> [UInt8] {
        bigEndian(0x0801) + bigEndian(UInt32(labels.count)) + labels
    }

    func testReadsGzippedAndRawFiles() throws {
        let directory = try makeTemporaryDirectory(self)
        let pixels = (0..<(3 * 2 * 4)).map { UInt8($0 * 10) }
        let labels: [UInt8] = [9, 0, 4]
        let images = imagesFile(count: 3, rows: 2, cols: 4, pixels: pixels)
        for gzipped in [false, true] {
            let imagesURL = directory.appendingPathComponent("images-\(gzipped)")
            let labelsURL = directory.appendingPathComponent("labels-\(gzipped)")
            try Data(gzipped ? gzipCompress(images) : images).write(to: imagesURL)
            try Data(gzipped ? gzipCompress(labelsFile(labels)) : labelsFile(labels)).write(to: labelsURL)
            let set = try IDX.read(images: imagesURL, labels: labelsURL)
            XCTAssertEqual(set.count, 3)
            XCTAssertEqual(set.rows, 2)
            XCTAssertEqual(set.cols, 4)
            XCTAssertEqual(set.pixels, pixels)
            XCTAssertEqual(set.labels, labels)
            XCTAssertEqual(Array(set.image(1)), Array(pixels[8..<16]))
        }
    }

    func testErrorsNameTheFileAndTheProblem() throws {
        let directory = try makeTemporaryDirectory(self)
        func write(_ name: String, _ bytes: [UInt8]) throws -> URL {
            let url = directory.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            return url
        }
        let pixels = [UInt8](repeating: 7, count: 2 * 3 * 3)
        let truncated = try write("truncated-images", Array(imagesFile(count: 2, rows: 3, cols: 3, pixels: pixels).dropLast(5)))
        assertDataError(try IDX.readImages(truncated), mentions: ["truncated-images", "truncated", "18", "13"])

        let shortHeader = try write("short-header", [0, 0, 8, 3, 0, 0])
        assertDataError(try IDX.readImages(shortHeader), mentions: ["short-header", "truncated IDX header"])

        let labelsAsImages = try write("labels-not-images", labelsFile([1, 2]))
        assertDataError(try IDX.readImages(labelsAsImages), mentions: ["labels-not-images", "wrong IDX magic", "0x00000801", "0x00000803"])

        let trailing = try write("trailing-labels", labelsFile([1, 2]) + [0])
        assertDataError(try IDX.readLabels(trailing), mentions: ["trailing-labels", "1 unexpected bytes"])

        let gzTruncated = try write("cut.gz", Array(gzipCompress(labelsFile([1, 2, 3])).dropLast(6)))
        assertDataError(try IDX.readLabels(gzTruncated), mentions: ["cut.gz", "truncated"])

        assertDataError(try IDX.readLabels(directory.appendingPathComponent("absent-labels")),
                        mentions: ["absent-labels", "not found"])

        let images = try write("images", imagesFile(count: 2, rows: 3, cols: 3, pixels: pixels))
        let threeLabels = try write("three-labels", labelsFile([1, 2, 3]))
        assertDataError(try IDX.read(images: images, labels: threeLabels), mentions: ["three-labels", "3 labels", "2 images"])
    }

    func testFashionMNISTRefusesOutOfRangeLabelsAndValidationSplit() throws {
        let directory = try makeTemporaryDirectory(self)
        let pixels = [UInt8](repeating: 0, count: 2 * 28 * 28)
        try Data(gzipCompress(imagesFile(count: 2, rows: 28, cols: 28, pixels: pixels)))
            .write(to: directory.appendingPathComponent("t10k-images-idx3-ubyte.gz"))
        try Data(labelsFile([3, 12])).write(to: directory.appendingPathComponent("t10k-labels-idx1-ubyte"))
        assertDataError(try FashionMNIST.load(directory: directory, split: .test), mentions: ["label 12", "image 1"])
        assertDataError(try FashionMNIST.load(directory: directory, split: .validation), mentions: ["train and test"])
        assertDataError(try FashionMNIST.load(directory: directory, split: .train),
                        mentions: ["train-images-idx3-ubyte.gz", "not found"])
    }
}
