import Foundation

/// Whole-file reads with POSIX calls. Foundation's readers leak their buffer on an empty
/// file (seen under LeakSanitizer while fuzzing), and their errors do not say why.
public enum FileBytes {
    /// A file that could not be read, with the system's reason ("Permission denied").
    public struct Failure: Error, CustomStringConvertible, LocalizedError {
        public let path: String
        public let reason: String
        public var description: String { "\(path): \(reason)" }
        public var errorDescription: String? { description }
    }

    /// The file's bytes; throws a `Failure` naming the path and the reason.
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: path, reason: reason()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Failure(path: path, reason: reason()) }
        guard (info.st_mode & S_IFMT) != S_IFDIR else { throw Failure(path: path, reason: "is a directory") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(max(Int(info.st_size), 0))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(path: path, reason: reason())
            }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    private static func reason() -> String { String(cString: strerror(errno)) }
}
