import LoomTensor

/// What a training run needs besides weights and optimizer state to resume exactly:
/// saved as `trainer.json` in a checkpoint. Generator states are written as hexadecimal
/// words, so no JSON reader rounds them.
public struct TrainerState: Equatable {
    public var step = 0
    public var epoch = 0
    /// Where the data loader stands (batches or examples consumed, as the trainer counts them).
    public var dataPosition = 0
    public var bestValidationLoss: Float?
    /// The run's own generator (shuffling, sampling, noise).
    public var generator: RandomGenerator?
    /// Generators of randomized layers by module path (`Module.randomGeneratorStates()`).
    public var layerGenerators: [String: RandomGenerator] = [:]
    public var earlyStopping: EarlyStopping?
    public var plateau: ReduceOnPlateau?
    /// Free-form values a trainer wants back (run name, data file, ...).
    public var notes: [String: String] = [:]

    public init(step: Int = 0, epoch: Int = 0, dataPosition: Int = 0, bestValidationLoss: Float? = nil,
                generator: RandomGenerator? = nil, layerGenerators: [String: RandomGenerator] = [:]) {
        self.step = step; self.epoch = epoch; self.dataPosition = dataPosition
        self.bestValidationLoss = bestValidationLoss
        self.generator = generator; self.layerGenerators = layerGenerators
    }
}

extension TrainerState: Codable {
    enum CodingKeys: String, CodingKey {
        case step, epoch, dataPosition = "data_position", bestValidationLoss = "best_val_loss"
        case generator, layerGenerators = "layer_generators", earlyStopping = "early_stopping", plateau, notes
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        step = try c.decode(Int.self, forKey: .step)
        epoch = try c.decodeIfPresent(Int.self, forKey: .epoch) ?? 0
        dataPosition = try c.decodeIfPresent(Int.self, forKey: .dataPosition) ?? 0
        bestValidationLoss = try c.decodeIfPresent(Float.self, forKey: .bestValidationLoss)
        if let words = try c.decodeIfPresent([String].self, forKey: .generator) {
            generator = try Self.generator(words, c.codingPath + [CodingKeys.generator])
        }
        let layers = try c.decodeIfPresent([String: [String]].self, forKey: .layerGenerators) ?? [:]
        for (name, words) in layers {
            layerGenerators[name] = try Self.generator(words, c.codingPath + [CodingKeys.layerGenerators])
        }
        earlyStopping = try c.decodeIfPresent(EarlyStopping.self, forKey: .earlyStopping)
        plateau = try c.decodeIfPresent(ReduceOnPlateau.self, forKey: .plateau)
        notes = try c.decodeIfPresent([String: String].self, forKey: .notes) ?? [:]
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(step, forKey: .step)
        try c.encode(epoch, forKey: .epoch)
        try c.encode(dataPosition, forKey: .dataPosition)
        // JSON has no NaN or infinity; a non-finite loss is no best loss.
        if let loss = bestValidationLoss, loss.isFinite { try c.encode(loss, forKey: .bestValidationLoss) }
        if let generator { try c.encode(Self.words(generator), forKey: .generator) }
        if !layerGenerators.isEmpty { try c.encode(layerGenerators.mapValues(Self.words), forKey: .layerGenerators) }
        try c.encodeIfPresent(earlyStopping, forKey: .earlyStopping)
        try c.encodeIfPresent(plateau, forKey: .plateau)
        if !notes.isEmpty { try c.encode(notes, forKey: .notes) }
    }

    static func words(_ g: RandomGenerator) -> [String] {
        g.state.map { String($0, radix: 16) }
    }

    static func generator(_ words: [String], _ path: [CodingKey]) throws -> RandomGenerator {
        let values = words.compactMap { UInt64($0, radix: 16) }
        guard values.count == 4, words.count == 4, values.contains(where: { $0 != 0 }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "a generator state is four non-zero hexadecimal words, got \(words)"))
        }
        return RandomGenerator(state: values)
    }
}
