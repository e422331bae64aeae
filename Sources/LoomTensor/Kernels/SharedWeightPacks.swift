import CLoomKernels

/// Packed copies of the weights that several threads multiply by within one training step.
///
/// Each shard of a data-parallel step (LoomNN's `ShardedGradients`) multiplies its rows by
/// every linear layer's weight: by Wᵀ forward and by W for the input gradient. Packed once
/// and shared, those copies cost one packing per weight and direction per step instead of
/// one per shard. The weights must not change while the sharing lasts: a pack is made on
/// first use and kept to the end.
///
/// The shards run the same ops in step, so they usually want a pack at the same moment:
/// the first one packs and the other waits a few microseconds on a spin lock and a flag,
/// where a mutex would put it to sleep and wake it tens of microseconds later.
public enum SharedWeightPacks {
    final class Cache {
        struct Key: Hashable {
            let storage: ObjectIdentifier
            let transposed: Bool
        }
        final class Entry {
            /// Held so that no other storage can take its identity while the cache lasts.
            let storage: TensorStorage
            var matrix: PackedMatrix?
            /// Raised once `matrix` is set.
            let ready = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
            init(storage: TensorStorage) {
                self.storage = storage
                ready.initialize(to: 0)
            }
            deinit { ready.deallocate() }
        }
        let lock = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        var entries: [Key: Entry] = [:]
        init() { lock.initialize(to: 0) }
        deinit { lock.deallocate() }
    }

    nonisolated(unsafe) private static var active: Cache?

    /// Runs `body` with weight packs shared between threads.
    public static func sharing<T>(_ body: () throws -> T) rethrows -> T {
        precondition(active == nil, "weight packs are already being shared")
        active = Cache()
        defer { active = nil }
        return try body()
    }

    /// The packed right operand B = `weight` (k x n), or B = `weight`ᵀ when `transposed`
    /// (`weight` stored as n x k), when sharing is on and `weight` is a graph leaf (a
    /// parameter); nil otherwise.
    static func pack(of weight: Tensor, transposed: Bool, k: Int, n: Int) -> PackedMatrix? {
        guard let cache = active, weight.node?.isLeaf == true else { return nil }
        let key = Cache.Key(storage: ObjectIdentifier(weight.storage), transposed: transposed)
        loom_spin_lock(cache.lock)
        if let entry = cache.entries[key] {
            loom_spin_unlock(cache.lock)
            loom_flag_wait(entry.ready)
            return entry.matrix
        }
        let entry = Cache.Entry(storage: weight.storage)
        cache.entries[key] = entry
        loom_spin_unlock(cache.lock)
        entry.matrix = PackedMatrix(weight.pointer, rows: k, columns: n, transposed: transposed)
        loom_flag_raise(entry.ready)
        return entry.matrix
    }
}
