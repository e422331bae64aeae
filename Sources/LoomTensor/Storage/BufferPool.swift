import Foundation

/// Reuses freed float buffers by exact size, so a training step that allocates the same
/// temporaries every iteration stops calling malloc after the first one.
///
/// Buffers are 64-byte aligned (one cache line, a full AVX-512 register). The pool keeps
/// at most `capacityBytes` of idle memory; beyond that, freed buffers go back to the system.
public enum BufferPool {
    public static var capacityBytes = 2 << 30

    private static let lock = NSLock()
    nonisolated(unsafe) private static var idle: [Int: [UnsafeMutablePointer<Float>]] = [:]
    nonisolated(unsafe) private static var idleBytes = 0

    static func take(count: Int) -> UnsafeMutablePointer<Float> {
        let size = Swift.max(count, 1)
        lock.lock()
        if var list = idle[size], let pointer = list.popLast() {
            idle[size] = list
            idleBytes -= size * 4
            lock.unlock()
            return pointer
        }
        lock.unlock()
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size * 4, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: size)
    }

    static func give(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        let size = Swift.max(count, 1)
        lock.lock()
        if idleBytes + size * 4 <= capacityBytes {
            idle[size, default: []].append(pointer)
            idleBytes += size * 4
            lock.unlock()
            return
        }
        lock.unlock()
        UnsafeMutableRawPointer(pointer).deallocate()
    }

    /// Returns every idle buffer to the system.
    public static func drain() {
        lock.lock()
        let all = idle
        idle = [:]
        idleBytes = 0
        lock.unlock()
        for list in all.values { for pointer in list { UnsafeMutableRawPointer(pointer).deallocate() } }
    }

    /// Bytes currently held idle by the pool.
    public static var heldBytes: Int {
        lock.lock(); defer { lock.unlock() }
        return idleBytes
    }
}
