import LoomTensor

/// Which training images and which noise a generator's step uses, as a pure function of
/// the run's seed and the step number: each epoch is one permutation of the images drawn
/// from a generator seeded by (seed, epoch), and each step gets its own noise generator.
/// A resumed run therefore needs only the step count to replay exactly the same batches.
public struct ImageBatchSchedule {
    public let data: ImageDataset
    public let batchSize: Int
    public let seed: UInt64
    public let flips: Bool
    private var cachedEpoch = -1
    private var order: [Int] = []

    public init(data: ImageDataset, batchSize: Int, seed: UInt64, flips: Bool) {
        precondition(batchSize > 0 && data.count > 0, "a batch schedule needs images and a positive batch size")
        self.data = data
        self.batchSize = min(batchSize, data.count)
        self.seed = seed
        self.flips = flips
    }

    /// Whole batches per pass; the last incomplete batch of a permutation is skipped so
    /// every step sees `batchSize` images (batch norm dislikes tiny batches).
    public var stepsPerEpoch: Int { max(1, data.count / batchSize) }

    /// The images (B, C, H, W) of training step `step` (counted from 0).
    public mutating func images(step: Int) -> Tensor {
        let epoch = step / stepsPerEpoch
        if epoch != cachedEpoch {
            var generator = RandomGenerator(seed: Self.mix(seed, UInt64(epoch), 0x5EED_0F_E90C))
            order = Array(0..<data.count)
            order.shuffle(using: &generator)
            cachedEpoch = epoch
        }
        let start = (step % stepsPerEpoch) * batchSize
        let indices = order[start..<start + batchSize]
        var flipGenerator = RandomGenerator(seed: Self.mix(seed, UInt64(step), 0xF11B))
        let mirrored = flips ? indices.map { _ in flipGenerator.nextFloat() < 0.5 } : nil
        return data.batch(indices, flips: mirrored).images
    }

    /// The generator of step `step`'s noise (latent codes, reparameterization).
    public func noise(step: Int) -> RandomGenerator {
        RandomGenerator(seed: Self.mix(seed, UInt64(step), 0x0015_E000))
    }

    /// Combines words into one seed (splitmix64's finalizer over a running sum), so nearby
    /// steps and seeds give unrelated streams.
    static func mix(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        var z = a &* 0x9E37_79B9_7F4A_7C15 &+ b &* 0xBF58_476D_1CE4_E5B9 &+ c
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
