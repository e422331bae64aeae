import Foundation

/// Crash-safe replacement of a whole directory (a checkpoint: weights, optimizer moments and
/// trainer state that only make sense together). The new version is written into a hidden
/// sibling, `.<name>.staging-<pid>`, that starts as a hard-linked copy of the old one, so
/// files the writer does not replace are carried over without copying. Everything is flushed
/// to disk, then the two directories trade places in one `renameat2(RENAME_EXCHANGE)` and the
/// old version is removed. A crash at any moment leaves the old directory or the new one
/// under the real name, never a mix; `recover` tidies what a crash left beside it.
///
/// Writers must replace files (write a temporary and rename, as `AtomicFile` does), never
/// rewrite them in place: a carried-over file is shared with the old version until the swap.
public enum AtomicDirectory {
    /// Writes a new version of `directory` with `body`, which receives the staging directory
    /// to write into, then puts it in place. The directory need not exist yet.
    public static func replace(_ directory: URL, _ body: (URL) throws -> Void) throws {
        let target = directory.standardizedFileURL
        let parent = target.deletingLastPathComponent()
        let name = target.lastPathComponent
        guard !name.isEmpty, name != "/", !isWorkingDirectoryOrAbove(target) else {
            // Swapping the working directory would leave relative paths in the old one.
            try AtomicFile.createDirectory(target)
            try body(target)
            return
        }
        try AtomicFile.createDirectory(parent)
        recover(target)
        let exists = try existingDirectory(target)
        if exists, access(target.path, W_OK) != 0 {
            throw LoomError("\(target.path): cannot write into the directory: \(String(cString: strerror(errno)))")
        }

        let staging = parent.appendingPathComponent(".\(name).staging-\(getpid())")
        removeTree(staging.path)
        guard mkdir(staging.path, 0o755) == 0 else {
            throw LoomError("\(parent.path): cannot create a directory beside \(name) to save into: \(reason())")
        }
        do {
            if exists { try linkTree(from: target.path, to: staging.path) }
            try body(staging)
            try syncTree(staging.path)
        } catch let error as LoomError {
            removeTree(staging.path)
            // Name the files as the user knows them, not by the hidden staging directory.
            throw LoomError(error.message.replacingOccurrences(of: staging.path, with: target.path))
        } catch {
            removeTree(staging.path)
            throw error
        }

        if !exists {
            guard rename(staging.path, target.path) == 0 else {
                let why = reason()
                removeTree(staging.path)
                throw LoomError("cannot save \(target.path): \(why)")
            }
        } else if exchange(staging.path, target.path) != 0 {
            // Filesystems without RENAME_EXCHANGE: move the old version aside first. A crash
            // between the two renames leaves only the aside copy, which `recover` puts back.
            let aside = parent.appendingPathComponent(".\(name).old-\(getpid())")
            removeTree(aside.path)
            guard rename(target.path, aside.path) == 0 else {
                let why = reason()
                removeTree(staging.path)
                throw LoomError("cannot save \(target.path): \(why)")
            }
            guard rename(staging.path, target.path) == 0 else {
                let why = reason()
                _ = rename(aside.path, target.path)
                removeTree(staging.path)
                throw LoomError("cannot save \(target.path): \(why)")
            }
            syncDirectory(parent.path)
            removeTree(aside.path)
            return
        }
        syncDirectory(parent.path)
        // After the exchange the staging name holds the old version.
        if exists { removeTree(staging.path) }
    }

    /// Repairs what an interrupted `replace` of `directory` left: puts back an old version
    /// that was moved aside when the new one never arrived, and removes stale staging
    /// directories of processes that no longer run. Cheap when there is nothing to do.
    public static func recover(_ directory: URL) {
        let target = directory.standardizedFileURL
        let parent = target.deletingLastPathComponent()
        let name = target.lastPathComponent
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: parent.path) else { return }
        for entry in entries where entry.hasPrefix(".\(name).") {
            let rest = entry.dropFirst(name.count + 2)
            let kind: Substring
            if rest.hasPrefix("staging-") { kind = "staging" } else if rest.hasPrefix("old-") { kind = "old" } else { continue }
            guard let pid = Int32(rest.dropFirst(kind.count + 1)), !isRunning(pid) || pid == getpid() else { continue }
            let path = parent.appendingPathComponent(entry).path
            if kind == "old", !FileManager.default.fileExists(atPath: target.path), rename(path, target.path) == 0 {
                syncDirectory(parent.path)
                continue
            }
            removeTree(path)
        }
        // AtomicFile's temporaries inside the directory (a kill while writing the loss plot).
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: target.path)) ?? [] where entry.hasPrefix(".") {
            guard let range = entry.range(of: ".tmp-", options: .backwards), let pid = Int32(entry[range.upperBound...]),
                  !isRunning(pid) else { continue }
            unlink(target.appendingPathComponent(entry).path)
        }
    }

    /// Whether `name` is one of the hidden helpers `replace` and `AtomicFile` create.
    static func isTemporary(_ name: String) -> Bool {
        name.hasPrefix(".") && (name.contains(".staging-") || name.contains(".old-") || name.contains(".tmp-"))
    }

    private static func existingDirectory(_ url: URL) throws -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return false }
        guard isDirectory.boolValue else { throw LoomError("\(url.path): exists and is not a directory") }
        return true
    }

    /// Mirrors `source` into the empty directory `destination`: subdirectories are created,
    /// files hard-linked (copied where the filesystem has no hard links).
    private static func linkTree(from source: String, to destination: String) throws {
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: source) } catch {
            throw LoomError("\(source): cannot list the directory: \(error.localizedDescription)")
        }
        for entry in entries where !isTemporary(entry) {
            let from = source + "/" + entry, to = destination + "/" + entry
            var info = stat()
            guard lstat(from, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                guard mkdir(to, 0o755) == 0 else { throw LoomError("\(to): cannot create directory: \(reason())") }
                try linkTree(from: from, to: to)
            } else if link(from, to) != 0 {
                do { try FileManager.default.copyItem(atPath: from, toPath: to) } catch {
                    throw LoomError("cannot carry \(from) into the new checkpoint: \(error.localizedDescription)")
                }
            }
        }
    }

    /// Flushes every directory in the tree (files are flushed by whoever wrote them).
    private static func syncTree(_ path: String) throws {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            var info = stat()
            let child = path + "/" + entry
            if lstat(child, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { try syncTree(child) }
        }
        syncDirectory(path)
    }

    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    private static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        try? FileManager.default.removeItem(atPath: path)
    }

    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32

    /// glibc's `renameat2`, looked up at run time: Swift's Glibc module hides it behind
    /// _GNU_SOURCE, and older C libraries lack it (then the fallback path runs).
    private static let renameAt2: RenameAt2? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: RenameAt2.self)
    }()

    /// Swaps two paths atomically (Linux's RENAME_EXCHANGE); -1 where unsupported.
    private static func exchange(_ a: String, _ b: String) -> Int32 {
        let renameExchange: UInt32 = 1 << 1
        guard let renameAt2 else { errno = ENOSYS; return -1 }
        return renameAt2(AT_FDCWD, a, AT_FDCWD, b, renameExchange)
    }

    private static func isRunning(_ pid: Int32) -> Bool { pid > 0 && (kill(pid, 0) == 0 || errno == EPERM) }

    private static func isWorkingDirectoryOrAbove(_ url: URL) -> Bool {
        let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.path
        let path = url.path
        return here == path || here.hasPrefix(path.hasSuffix("/") ? path : path + "/")
    }

    private static func reason() -> String { String(cString: strerror(errno)) }
}
