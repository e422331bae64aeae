import Foundation

/// Images and their labels as read from a pair of IDX files (the MNIST family's format).
/// Pixels are row-major, one byte each: image `i` is `pixels[i*rows*cols ..< (i+1)*rows*cols]`.
public struct LabeledImages: Equatable, Sendable {
    public var count: Int
    public var rows: Int
    public var cols: Int
    public var pixels: [UInt8]
    public var labels: [UInt8]

    public init(count: Int, rows: Int, cols: Int, pixels: [UInt8], labels: [UInt8]) {
        precondition(pixels.count == count * rows * cols && labels.count == count, "inconsistent image set")
        self.count = count
        self.rows = rows
        self.cols = cols
        self.pixels = pixels
        self.labels = labels
    }

    /// The pixels of one image.
    public func image(_ index: Int) -> ArraySlice<UInt8> {
        let size = rows * cols
        return pixels[index * size ..< (index + 1) * size]
    }
}

/// Reader for IDX files: a big-endian header (magic 0x0000TTDD with type TT = 0x08 for
/// unsigned bytes and DD dimensions, then DD sizes as UInt32) followed by the data.
/// Files may be gzipped (detected by content, not by name).
public enum IDX {
    public static let imagesMagic: UInt32 = 0x0000_0803
    public static let labelsMagic: UInt32 = 0x0000_0801

    /// Reads an idx3-ubyte file: N images of rows × cols bytes.
    public static func readImages(_ url: URL) throws -> (count: Int, rows: Int, cols: Int, pixels: [UInt8]) {
        let bytes = try contents(url)
        let sizes = try header(bytes, magic: imagesMagic, dimensions: 3, url: url)
        let (count, rows, cols) = (sizes[0], sizes[1], sizes[2])
        guard rows > 0, cols > 0 else {
            throw DataError("\(url.path): image size \(rows)×\(cols) has a zero dimension")
        }
        // Sizes come from the file: a product past Int.max is a corrupt header, not a trap.
        let (area, areaOverflow) = rows.multipliedReportingOverflow(by: cols)
        let (total, totalOverflow) = count.multipliedReportingOverflow(by: area)
        guard !areaOverflow, !totalOverflow else {
            throw DataError("\(url.path): header promises \(count) images of \(rows)×\(cols) pixels, more than any file can hold")
        }
        let pixels = try body(bytes, headerLength: 16, expected: total, what: "pixel", url: url)
        return (count, rows, cols, pixels)
    }

    /// Reads an idx1-ubyte file: N label bytes.
    public static func readLabels(_ url: URL) throws -> [UInt8] {
        let bytes = try contents(url)
        let sizes = try header(bytes, magic: labelsMagic, dimensions: 1, url: url)
        return try body(bytes, headerLength: 8, expected: sizes[0], what: "label", url: url)
    }

    /// Reads an images file and its labels file and checks that they agree on the count.
    public static func read(images: URL, labels: URL) throws -> LabeledImages {
        let image = try readImages(images)
        let labelBytes = try readLabels(labels)
        guard labelBytes.count == image.count else {
            throw DataError("\(labels.path): has \(labelBytes.count) labels but \(images.path) has \(image.count) images")
        }
        return LabeledImages(count: image.count, rows: image.rows, cols: image.cols, pixels: image.pixels, labels: labelBytes)
    }

    private static func contents(_ url: URL) throws -> [UInt8] {
        let data = try readFileBytes(url)
        if Gzip.hasGzipMagic(data) { return [UInt8](try Gzip.decompress(data, source: url.path)) }
        return [UInt8](data)
    }

    private static func header(_ bytes: [UInt8], magic: UInt32, dimensions: Int, url: URL) throws -> [Int] {
        let headerLength = 4 + 4 * dimensions
        guard bytes.count >= 4 else {
            throw DataError("\(url.path): truncated IDX header: \(bytes.count) bytes, need \(headerLength)")
        }
        let found = bigEndianUInt32(bytes, at: 0)
        guard found == magic else {
            let hex = { (value: UInt32) in "0x" + String(value, radix: 16, uppercase: false).leftPadded(to: 8) }
            throw DataError("\(url.path): wrong IDX magic number \(hex(found)) at byte offset 0, expected \(hex(magic))")
        }
        guard bytes.count >= headerLength else {
            throw DataError("\(url.path): truncated IDX header: \(bytes.count) bytes, need \(headerLength)")
        }
        return (0..<dimensions).map { Int(bigEndianUInt32(bytes, at: 4 + 4 * $0)) }
    }

    private static func body(_ bytes: [UInt8], headerLength: Int, expected: Int, what: String, url: URL) throws -> [UInt8] {
        let available = bytes.count - headerLength
        if available < expected {
            throw DataError("\(url.path): truncated: header promises \(expected) \(what) bytes after byte offset \(headerLength), file has \(available)")
        }
        if available > expected {
            throw DataError("\(url.path): \(available - expected) unexpected bytes after the \(expected) \(what) bytes (from byte offset \(headerLength + expected))")
        }
        return Array(bytes[headerLength...])
    }

    private static func bigEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// Fashion-MNIST as Zalando ships it and `dataset-fashion-mnist` installs it.
public enum FashionMNIST {
    public static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]
    public static let fileNames = [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
    ]

    /// Loads the training set (60,000 images) or the test set (10,000) from a directory holding
    /// the four files, gzipped or not. Fashion-MNIST has no validation file; `.validation` is refused.
    public static func load(directory: URL, split: Split) throws -> LabeledImages {
        let prefix: String
        switch split {
        case .train: prefix = "train"
        case .test: prefix = "t10k"
        case .validation:
            throw DataError("Fashion-MNIST has only train and test files; carve a validation set out of train")
        }
        let images = try locate(directory, "\(prefix)-images-idx3-ubyte")
        let labels = try locate(directory, "\(prefix)-labels-idx1-ubyte")
        let set = try IDX.read(images: images, labels: labels)
        if let index = set.labels.firstIndex(where: { $0 >= classNames.count }) {
            throw DataError("\(labels.path): label \(set.labels[index]) of image \(index) is not a Fashion-MNIST class (0...9)")
        }
        return set
    }

    private static func locate(_ directory: URL, _ stem: String) throws -> URL {
        for name in [stem + ".gz", stem] {
            let url = directory.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        throw DataError("\(directory.appendingPathComponent(stem + ".gz").path): file not found (run `loom corpora`)")
    }
}
