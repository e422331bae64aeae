import Foundation
import LoomCore

/// Refuses training images whose shape differs from the checkpoint's, before any weight loads.
func checkShape(_ channels: Int, _ height: Int, _ width: Int, of data: ImageDataset, checkpoint: URL) throws {
    guard (channels, height, width) == (data.channels, data.height, data.width) else {
        throw LoomError("\(checkpoint.path): checkpoint is for \(channels)×\(height)×\(width) images, the data has \(data.channels)×\(data.height)×\(data.width)")
    }
}
