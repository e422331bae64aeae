import Foundation
import Loom

/// Images (N, C, H, W) in [-1, 1] as grey bytes, channels averaged, clamped and rounded.
func greyBytes(_ images: Tensor) -> [UInt8] {
    let (count, channels, height, width) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
    let plane = height * width
    var bytes = [UInt8](repeating: 0, count: count * plane)
    for n in 0..<count {
        for p in 0..<plane {
            var value: Float = 0
            for c in 0..<channels { value += images.pointer[(n * channels + c) * plane + p] }
            let scaled = ((value / Float(channels) + 1) * 127.5).rounded()
            bytes[n * plane + p] = UInt8(max(0, min(255, scaled.isFinite ? scaled : 0)))
        }
    }
    return bytes
}

/// Writes images (N, C, H, W) in [-1, 1] as one PNG grid, `columns` wide (near-square when nil).
func writeImageGrid(_ images: Tensor, to path: String, columns: Int? = nil) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent()
    do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
        throw LoomError("cannot create \(folder.path): \(error.localizedDescription)")
    }
    try PNG.writeGrid(to: url, pixels: greyBytes(images), count: images.shape[0], rows: images.shape[2],
                      cols: images.shape[3], columns: columns)
}
