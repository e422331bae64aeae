import Foundation

/// Packed copies of the weights that several threads multiply by within one training step.
///
/// Each shard of a data-parallel step (LoomNN's `ShardedGradients`) multiplies its rows by
/// every linear layer's weight: by Wᵀ forward and by W for the input gradient. Packed once
/// and shared, those copies cost one packing per weight and direction per step instead of
/// one per shard. The weights must not change while the sharing lasts: a pack is made on
/// first use and kept to the end.
public enum SharedWeightPacks {
    final class Cache {
        struct Key: Hashable {
            let storage: ObjectIdentifier
            let transposed: Bool
        }
        let lock = NSLock()
        /// Each entry holds its storage, so no other storage can take its identity meanwhile.
        var packs: [Key: (storage: TensorStorage, matrix: PackedMatrix)] = [:]
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
        cache.lock.lock()
        defer { cache.lock.unlock() }
        if let entry = cache.packs[key] { return entry.matrix }
        let matrix = PackedMatrix(weight.pointer, rows: k, columns: n, transposed: transposed)
        cache.packs[key] = (weight.storage, matrix)
        return matrix
    }
}
