import LoomTensor

/// GPT's final-layer-norm states are what a classification head reads.
extension GPT: SequenceEncoder {
    public var hiddenWidth: Int { config.width }
}
