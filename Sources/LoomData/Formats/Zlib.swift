import CZlib
import Foundation

/// The few zlib calls the writers need: CRC-32 and zlib-wrapped deflate.
public enum Zlib {
    /// CRC-32 (the polynomial used by gzip and PNG), continuing from `initial`.
    public static func crc32(_ bytes: [UInt8], initial: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            UInt32(CZlib.crc32(uLong(initial), buffer.baseAddress, uInt(buffer.count)))
        }
    }

    /// Compresses bytes into a zlib stream (2-byte header, deflate data, Adler-32), as PNG's IDAT wants.
    public static func deflate(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        var capacity = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(capacity))
        let status = output.withUnsafeMutableBufferPointer { destination in
            bytes.withUnsafeBufferPointer { source in
                compress2(destination.baseAddress, &capacity, source.baseAddress, uLong(source.count), level)
            }
        }
        // compressBound guarantees room, so failure here is a bug or out-of-memory, not bad input.
        precondition(status == Z_OK, "zlib compress2 failed with status \(status)")
        output.removeSubrange(Int(capacity)...)
        return output
    }
}
