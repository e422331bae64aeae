import Foundation
import LoomCore

/// A minimal PNG encoder: 8-bit grey or RGB, no interlacing, filter type 0 on every row,
/// IDAT compressed with zlib. Enough for sample grids and debugging pictures.
public enum PNG {
    public enum Color: Sendable {
        case grey
        case rgb

        var channels: Int { self == .grey ? 1 : 3 }
        var colorType: UInt8 { self == .grey ? 0 : 2 }
    }

    /// Encodes row-major pixels (`width * height * channels` bytes) as a PNG file's bytes.
    public static func encode(width: Int, height: Int, pixels: [UInt8], color: Color = .grey) -> [UInt8] {
        precondition(width > 0 && height > 0, "PNG size must be positive, got \(width)×\(height)")
        precondition(pixels.count == width * height * color.channels,
                     "PNG expects \(width * height * color.channels) bytes, got \(pixels.count)")
        var header: [UInt8] = []
        header += bigEndian(UInt32(width))
        header += bigEndian(UInt32(height))
        header += [8, color.colorType, 0, 0, 0] // bit depth, color type, compression, filter, interlace

        let rowBytes = width * color.channels
        var scanlines = [UInt8]()
        scanlines.reserveCapacity(height * (rowBytes + 1))
        for row in 0..<height {
            scanlines.append(0) // filter type: none
            scanlines += pixels[row * rowBytes ..< (row + 1) * rowBytes]
        }

        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        file += chunk("IHDR", header)
        file += chunk("IDAT", Zlib.deflate(scanlines))
        file += chunk("IEND", [])
        return file
    }

    /// Writes a PNG file atomically.
    public static func write(to url: URL, width: Int, height: Int, pixels: [UInt8], color: Color = .grey) throws {
        try AtomicFile.write(encode(width: width, height: height, pixels: pixels, color: color), to: url)
    }

    /// Lays `count` grey images of `rows × cols` (concatenated in `pixels`) out on a grid,
    /// `columns` wide (default: a near-square grid), with `padding` pixels of `background`
    /// around and between them, and encodes the grid as one grey PNG.
    public static func encodeGrid(pixels: [UInt8], count: Int, rows: Int, cols: Int,
                                  columns: Int? = nil, padding: Int = 2, background: UInt8 = 0) -> [UInt8] {
        let grid = gridPixels(pixels: pixels, count: count, rows: rows, cols: cols,
                              columns: columns, padding: padding, background: background)
        return encode(width: grid.width, height: grid.height, pixels: grid.pixels, color: .grey)
    }

    public static func writeGrid(to url: URL, pixels: [UInt8], count: Int, rows: Int, cols: Int,
                                 columns: Int? = nil, padding: Int = 2, background: UInt8 = 0) throws {
        try AtomicFile.write(encodeGrid(pixels: pixels, count: count, rows: rows, cols: cols,
                                        columns: columns, padding: padding, background: background), to: url)
    }

    /// The grid as raw grey pixels, before encoding.
    public static func gridPixels(pixels: [UInt8], count: Int, rows: Int, cols: Int,
                                  columns: Int? = nil, padding: Int = 2,
                                  background: UInt8 = 0) -> (width: Int, height: Int, pixels: [UInt8]) {
        precondition(count > 0 && rows > 0 && cols > 0 && padding >= 0, "grid needs images and a size")
        precondition(pixels.count == count * rows * cols, "grid expects \(count * rows * cols) bytes, got \(pixels.count)")
        let gridColumns = max(1, min(count, columns ?? Int(Double(count).squareRoot().rounded(.up))))
        let gridRows = (count + gridColumns - 1) / gridColumns
        let width = gridColumns * (cols + padding) + padding
        let height = gridRows * (rows + padding) + padding
        var canvas = [UInt8](repeating: background, count: width * height)
        for image in 0..<count {
            let top = padding + (image / gridColumns) * (rows + padding)
            let left = padding + (image % gridColumns) * (cols + padding)
            for row in 0..<rows {
                let source = image * rows * cols + row * cols
                let destination = (top + row) * width + left
                canvas.replaceSubrange(destination ..< destination + cols, with: pixels[source ..< source + cols])
            }
        }
        return (width, height, canvas)
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        var bytes = bigEndian(UInt32(data.count))
        bytes += typeBytes
        bytes += data
        bytes += bigEndian(Zlib.crc32(typeBytes + data))
        return bytes
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
