/// The buffers of one part of a convolution's backward pass on zero-padded planes
/// (`ShiftedConvolution`, `UpsampledConvolution`), laid end to end in one storage:
///   planes, dYᵀ     the padded input planes and dYᵀ packed on the padded grid (weight gradient)
///   sums            the part's weight-gradient sums, one (C, out) block per tap
///   extended, input dY spread on the padded grid and the padded input gradient (input gradient)
struct PaddedBackwardScratch {
    /// Floats of room after the last plane or gradient row: the overreach of a 16-column tile.
    static let room = 32

    struct Part {
        let planes, gradientT, sums, extendedGradient, inputGradient: UnsafeMutablePointer<Float>
    }

    let storage: TensorStorage
    let planesSize, gradientTSize, sumsSize, extendedSize, inputSize, perPart: Int

    /// `sumBlocks` (C, out) sums for the weight gradient when `weight`; `extendedRows` rows
    /// of `extended` floats for dY and C padded planes of input gradient when `input`.
    init(parts: Int, weight: Bool, input: Bool, channels: Int, outChannels: Int, paddedPlane: Int, positions: Int,
         sumBlocks: Int, extendedRows: Int, extended: Int) {
        planesSize = weight ? channels * paddedPlane + PaddedBackwardScratch.room : 0
        gradientTSize = weight ? (outChannels + 15) / 16 * 16 * positions : 0
        sumsSize = weight ? sumBlocks * channels * outChannels : 0
        extendedSize = input ? extendedRows * extended : 0
        inputSize = input ? channels * paddedPlane : 0
        perPart = planesSize + gradientTSize + sumsSize + extendedSize + inputSize
        storage = TensorStorage(count: parts * perPart)
    }

    /// The buffers of `index`, with the sums, the room after the planes, and the dY grids
    /// (whose dropped columns and borders are never written) set to zero.
    func part(_ index: Int) -> Part {
        let planes = storage.pointer + index * perPart, gradientT = planes + planesSize
        let sums = gradientT + gradientTSize, extendedGradient = sums + sumsSize
        let part = Part(planes: planes, gradientT: gradientT, sums: sums, extendedGradient: extendedGradient,
                        inputGradient: extendedGradient + extendedSize)
        if planesSize > 0 {
            sums.update(repeating: 0, count: sumsSize)
            (planes + planesSize - PaddedBackwardScratch.room).update(repeating: 0, count: PaddedBackwardScratch.room)
            gradientT.update(repeating: 0, count: gradientTSize)
        }
        extendedGradient.update(repeating: 0, count: extendedSize)
        return part
    }

    /// Element `offset` of the sums of part `index`.
    func sum(part index: Int, _ offset: Int) -> Float { storage.pointer[index * perPart + planesSize + gradientTSize + offset] }
}

extension ConvolutionGeometry {
    /// target[c, ih, iw] += padded[c, ih + padding, iw + padding] for one image.
    func addInterior(of padded: UnsafePointer<Float>, paddedWidth: Int, paddedPlane: Int, into target: UnsafeMutablePointer<Float>) {
        for c in 0..<channels {
            for ih in 0..<height {
                let from = padded + c * paddedPlane + (ih + padding) * paddedWidth + padding
                let to = target + (c * height + ih) * width
                for iw in 0..<width { to[iw] += from[iw] }
            }
        }
    }
}
