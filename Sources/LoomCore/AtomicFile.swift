import Foundation

/// Crash-safe file writes: the bytes go to a temporary file in the same directory, are
/// flushed to disk, and the file is renamed over the target, then the directory itself is
/// flushed. A crash at any moment leaves either the old file or the new one, never a mix.
public enum AtomicFile {
    public static func write(_ text: String, to url: URL) throws { try write(Data(text.utf8), to: url) }
    public static func write(_ bytes: [UInt8], to url: URL) throws { try write(Data(bytes), to: url) }

    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        try createDirectory(directory)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw LoomError("cannot write \(url.path): \(String(cString: strerror(errno)))") }
        var failure: String?
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno)); return
                }
                offset += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if let failure {
            unlink(temporary.path)
            throw LoomError("cannot write \(url.path): \(failure)")
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw LoomError("cannot write \(url.path): \(reason)")
        }
        let dirfd = open(directory.path, O_RDONLY)
        if dirfd >= 0 { fsync(dirfd); close(dirfd) }
    }

    /// Creates a directory and its missing parents, with an error that names the path and
    /// the system's reason (Foundation's own message does not).
    public static func createDirectory(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw LoomError("\(url.path): exists and is not a directory") }
            return
        }
        let parent = url.deletingLastPathComponent()
        if parent.path != url.path { try createDirectory(parent) }
        guard mkdir(url.path, 0o755) == 0 || errno == EEXIST else {
            throw LoomError("\(url.path): cannot create directory: \(String(cString: strerror(errno)))")
        }
    }

    /// True when the file exists and holds exactly these bytes, so a rebuild can leave
    /// unchanged files (and their modification times) alone.
    public static func holds(_ data: Data, at url: URL) -> Bool {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
              let size = attributes[.size] as? NSNumber, size.intValue == data.count
        else { return false }
        return (try? Data(contentsOf: url)) == data
    }
}
