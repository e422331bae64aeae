import CZlib
import Foundation

/// Gzip decompression through the system zlib. Handles files made of several gzip members
/// one after another (as `cat a.gz b.gz` and dictzip's `.dz` files may be).
public enum Gzip {
    /// True when the bytes start with the gzip magic number.
    public static func hasGzipMagic(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b
    }

    /// Reads and decompresses a `.gz` or `.dz` file.
    public static func readFile(_ url: URL) throws -> Data {
        try decompress(readFileBytes(url), source: url.path)
    }

    /// Decompresses gzip bytes; `source` names them in error messages.
    public static func decompress(_ compressed: Data, source: String) throws -> Data {
        guard hasGzipMagic(compressed) else {
            throw DataError("\(source): not gzip data (wrong magic number at byte offset 0)")
        }
        return try compressed.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Data in
            let input = raw.bindMemory(to: UInt8.self)
            return try inflateMembers(input, source: source)
        }
    }

    private static func inflateMembers(_ input: UnsafeBufferPointer<UInt8>, source: String) throws -> Data {
        var stream = z_stream()
        // 16 + MAX_WBITS asks zlib for the gzip wrapper (header and CRC32 trailer) around deflate.
        let windowBits: Int32 = 16 + MAX_WBITS
        guard inflateInit2_(&stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError("\(source): zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }

        var output = Data()
        output.reserveCapacity(sizeHint(input))
        let chunkSize = 1 << 18
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
        stream.avail_in = UInt32(input.count)

        while true {
            let status: Int32 = chunk.withUnsafeMutableBufferPointer { buffer in
                stream.next_out = buffer.baseAddress
                stream.avail_out = UInt32(chunkSize)
                return inflate(&stream, Z_NO_FLUSH)
            }
            let produced = chunkSize - Int(stream.avail_out)
            if produced > 0 { output.append(chunk, count: produced) }
            let offset = input.count - Int(stream.avail_in)

            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                if stream.avail_in == 0 { return output }
                let rest = UnsafeBufferPointer(rebasing: input[offset...])
                if rest.count >= 2 && rest[0] == 0x1f && rest[1] == 0x8b {
                    inflateReset(&stream)
                    continue
                }
                // Some writers pad a file with zero bytes after the last member.
                if rest.allSatisfy({ $0 == 0 }) { return output }
                throw DataError("\(source): unexpected bytes after gzip data at byte offset \(offset)")
            case Z_BUF_ERROR where stream.avail_in == 0:
                throw DataError("\(source): truncated gzip data (input ends at byte offset \(offset) inside a member)")
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw DataError("\(source): corrupt gzip data near byte offset \(offset): \(reason)")
            }
        }
    }

    /// The last member's trailer holds its uncompressed size modulo 2^32: a good first guess
    /// for the output buffer. Capped so a lying trailer cannot make us reserve gigabytes.
    private static func sizeHint(_ input: UnsafeBufferPointer<UInt8>) -> Int {
        guard input.count >= 18 else { return 0 }
        let end = input.count
        let size = Int(input[end - 4]) | Int(input[end - 3]) << 8 | Int(input[end - 2]) << 16 | Int(input[end - 1]) << 24
        return min(size, 1 << 30)
    }
}
