/// One direction of one recurrent layer over a whole batch of sequences, as a single
/// fused op with a hand-written backward through time.
///
/// Forward: the input projection of every time step is one GEMM (B·T, I) × (I, G·H); each
/// step then adds h · W_hhᵀ for all gates with one product against W_hh packed once for
/// the sequence (`PackedMatrix`), and runs the fused gate math.
/// The activated gates and the states each step started from are kept, so backward needs
/// one GEMM per step (for dh) and three GEMMs over all steps for dW_ih, dW_hh and dx.
public struct RecurrentSequenceOutput {
    /// (B, T, H); zero at steps past a sequence's length.
    public let output: Tensor
    /// (B, H): the state after each sequence's last real step (first step when reversed).
    public let hidden: Tensor
    /// (B, H) for LSTM, else nil.
    public let cell: Tensor?
}

extension Tensor {
    /// Runs `kind` over `input` (B, T, I) with PyTorch-layout weights (`weightIH` (G·H, I),
    /// `weightHH` (G·H, H), biases (G·H)). `hidden`/`cell` are initial states (B, H), zero
    /// when nil. With `lengths`, sequence b only uses steps 0..<lengths[b]: later steps
    /// leave its state alone and output zeros, and a reversed pass starts at its last real
    /// step, as PyTorch's packed sequences do.
    public static func recurrentSequence(
        _ kind: RecurrentCellKind, input: Tensor, weightIH: Tensor, weightHH: Tensor,
        biasIH: Tensor?, biasHH: Tensor?, hidden: Tensor? = nil, cell: Tensor? = nil,
        lengths: [Int]? = nil, reverse: Bool = false
    ) -> RecurrentSequenceOutput {
        precondition(input.rank == 3, "recurrent input must be (batch, time, features), got \(input.shape)")
        let batch = input.shape[0], steps = input.shape[1], inputSize = input.shape[2]
        let gates = kind.gateCount
        let width = weightHH.shape.count == 2 ? weightHH.shape[1] : 0
        let gateWidth = gates * width
        precondition(weightIH.shape == [gateWidth, inputSize], "weight_ih \(weightIH.shape), expected [\(gateWidth), \(inputSize)]")
        precondition(weightHH.shape == [gateWidth, width], "weight_hh \(weightHH.shape), expected [\(gateWidth), \(width)]")
        precondition(biasIH.map { $0.count == gateWidth } ?? true, "bias_ih must hold \(gateWidth) values")
        precondition(biasHH.map { $0.count == gateWidth } ?? true, "bias_hh must hold \(gateWidth) values")
        precondition(hidden.map { $0.count == batch * width } ?? true, "initial hidden state must be (\(batch), \(width))")
        precondition(!kind.hasCellState || (cell.map { $0.count == batch * width } ?? true), "initial cell state must be (\(batch), \(width))")
        let lengths = lengths ?? Array(repeating: steps, count: batch)
        precondition(lengths.count == batch && lengths.allSatisfy { $0 >= 0 && $0 <= steps },
                     "lengths \(lengths) must be \(batch) values in 0...\(steps)")
        let hasCell = kind.hasCellState
        let rowStride = steps * gateWidth  // between batch rows of the (B, T, G·H) gate buffer
        let stateCount = batch * width
        let order = reverse ? Array((0..<steps).reversed()) : Array(0..<steps)

        // (B, T, G·H): x W_ihᵀ + b_ih (+ b_hh except the GRU's candidate gate).
        let gateStorage = TensorStorage(count: batch * steps * gateWidth)
        let gp = gateStorage.pointer
        for row in 0..<(batch * steps) {
            let dst = gp + row * gateWidth
            if let biasIH { dst.update(from: biasIH.pointer, count: gateWidth) } else { dst.update(repeating: 0, count: gateWidth) }
            if let biasHH {
                let shared = kind == .gru ? 2 * width : gateWidth
                for j in 0..<shared { dst[j] += biasHH.pointer[j] }
            }
        }
        sgemm(transposeA: false, transposeB: true, m: batch * steps, n: gateWidth, k: inputSize,
              a: input.pointer, b: weightIH.pointer, beta: 1, c: gp)

        let previousHidden = TensorStorage(count: batch * steps * width)  // (B, T, H) state each step started from
        let previousCell = hasCell ? TensorStorage(count: batch * steps * width) : nil
        let aux = kind == .lstm || kind == .gru ? TensorStorage(count: batch * steps * width) : nil
        // (B, G·H): h · W_hhᵀ of the current step, contiguous so the product writes whole rows.
        let hiddenSide = TensorStorage(count: batch * gateWidth)
        // [output (B, T, H) | h_n (B, H) | c_n (B, H)] in one result, so the graph has one node.
        let resultCount = batch * steps * width + stateCount * (hasCell ? 2 : 1)
        let result = TensorStorage(count: resultCount)
        let out = result.pointer
        let h = out + batch * steps * width, c = h + stateCount
        if let hidden { h.update(from: hidden.pointer, count: stateCount) } else { h.update(repeating: 0, count: stateCount) }
        if hasCell {
            if let cell { c.update(from: cell.pointer, count: stateCount) } else { c.update(repeating: 0, count: stateCount) }
        }
        let biasHN = kind == .gru ? biasHH.map { $0.pointer + 2 * width } : nil

        // A single step (a decoder's) gains nothing from packing: one BLAS product covers it.
        let packedHH = steps > 1 ? PackedMatrix(weightHH.pointer, rows: width, columns: gateWidth, transposed: true) : nil
        if packedHH == nil {
            sgemm(transposeA: false, transposeB: true, m: batch, n: gateWidth, k: width,
                  a: h, b: weightHH.pointer, c: hiddenSide.pointer)
        }
        // Each thread takes its own rows of the batch through every step, so the steps need
        // no hand-off between threads.
        Parallel.forRanges(batch, threshold: splitThreshold(batch: batch, steps: steps, gateWidth: gateWidth, width: width)) { rows in
            let first = rows.lowerBound
            for t in order {
                for b in rows {
                    let at = (b * steps + t) * width
                    (previousHidden.pointer + at).update(from: h + b * width, count: width)
                    if let previousCell { (previousCell.pointer + at).update(from: c + b * width, count: width) }
                }
                let stepGates = gp + t * gateWidth
                packedHH?.multiply(count: rows.count, a: h + first * width, lda: width,
                                  into: hiddenSide.pointer + first * gateWidth, ldc: gateWidth, accumulate: false)
                for b in rows {
                    let o = out + (b * steps + t) * width
                    guard t < lengths[b] else { o.update(repeating: 0, count: width); continue }
                    let g = stepGates + b * rowStride, hb = h + b * width, hh = hiddenSide.pointer + b * gateWidth
                    if kind != .gru { for j in 0..<gateWidth { g[j] += hh[j] } }
                    let a = aux.map { $0.pointer + (b * steps + t) * width }
                    switch kind {
                    case .rnnTanh, .rnnRelu:
                        RecurrentCellMath.rnnForward(relu: kind == .rnnRelu, hidden: width, gates: g, h: hb, out: o)
                    case .lstm:
                        RecurrentCellMath.lstmForward(hidden: width, gates: g, aux: a!, h: hb, c: c + b * width, out: o)
                    case .gru:
                        RecurrentCellMath.gruForward(hidden: width, gates: g, hh: hh,
                                                     biasHN: biasHN, aux: a!, h: hb, out: o)
                    }
                }
            }
        }

        var inputs = [input, weightIH, weightHH]
        for optional in [biasIH, biasHH, hidden, hasCell ? cell : nil] { if let t = optional { inputs.append(t) } }
        let combined = Tensor.result(shape: [resultCount], storage: result, inputs: inputs) {
            [gateStorage, previousHidden, previousCell, aux] g in
            recurrentSequenceBackward(
                kind, gradient: g, batch: batch, steps: steps, inputSize: inputSize, width: width,
                lengths: lengths, order: order, input: input, weightIH: weightIH, weightHH: weightHH,
                biasIH: biasIH, biasHH: biasHH, hidden: hidden, cell: hasCell ? cell : nil,
                gates: gateStorage, previousHidden: previousHidden, previousCell: previousCell, aux: aux)
        }
        let outputCount = batch * steps * width
        return RecurrentSequenceOutput(
            output: combined.viewPart(offset: 0, shape: [batch, steps, width]),
            hidden: combined.viewPart(offset: outputCount, shape: [batch, width]),
            cell: hasCell ? combined.viewPart(offset: outputCount + stateCount, shape: [batch, width]) : nil)
    }

    /// A part of a flat result, sharing its storage; its gradient adds back into place.
    func viewPart(offset: Int, shape: [Int]) -> Tensor {
        let n = shape.reduce(1, *)
        let view = TensorStorage(viewOf: storage, offset: offset, count: n)
        return Tensor.result(shape: shape, storage: view, inputs: [self]) { [self] g in
            guard let whole = self.gradBuffer() else { return }
            let dst = whole + offset
            for i in 0..<n { dst[i] += g[i] }
        }
    }
}

/// Threads split the batch when each gets enough work per step to pay for starting it.
private func splitThreshold(batch: Int, steps: Int, gateWidth: Int, width: Int) -> Int {
    batch >= 2 && batch * steps * gateWidth * width >= 1 << 20 ? 2 : Int.max
}

private func recurrentSequenceBackward(
    _ kind: RecurrentCellKind, gradient g: UnsafeMutablePointer<Float>, batch: Int, steps: Int, inputSize: Int, width: Int,
    lengths: [Int], order: [Int], input: Tensor, weightIH: Tensor, weightHH: Tensor, biasIH: Tensor?, biasHH: Tensor?,
    hidden: Tensor?, cell: Tensor?, gates: TensorStorage, previousHidden: TensorStorage, previousCell: TensorStorage?,
    aux: TensorStorage?
) {
    let gateWidth = kind.gateCount * width
    let stateCount = batch * width
    let gradOutput = g
    let dh = TensorStorage(count: stateCount)
    dh.pointer.update(from: g + batch * steps * width, count: stateCount)
    let dc = kind.hasCellState ? TensorStorage(count: stateCount) : nil
    if let dc { dc.pointer.update(from: g + batch * steps * width + stateCount, count: stateCount) }
    let dGatesX = TensorStorage(count: batch * steps * gateWidth)  // (B, T, G·H)
    let dGatesH = kind == .gru ? TensorStorage(count: batch * steps * gateWidth) : dGatesX
    // (B, G·H): the gate gradients that flow through W_hh at the current step, contiguous so
    // the product reads whole rows; copied into dGatesH for the weight gradients.
    let dGatesStep = TensorStorage(count: batch * gateWidth)

    let packedHH = steps > 1 ? PackedMatrix(weightHH.pointer, rows: gateWidth, columns: width, transposed: false) : nil
    Parallel.forRanges(batch, threshold: splitThreshold(batch: batch, steps: steps, gateWidth: gateWidth, width: width)) { rows in
        let first = rows.lowerBound
        for t in order.reversed() {
            for b in rows {
                let at = (b * steps + t) * gateWidth
                let stepRow = dGatesStep.pointer + b * gateWidth
                guard t < lengths[b] else {
                    (dGatesX.pointer + at).update(repeating: 0, count: gateWidth)
                    if kind == .gru { (dGatesH.pointer + at).update(repeating: 0, count: gateWidth) }
                    stepRow.update(repeating: 0, count: gateWidth)
                    continue
                }
                let d = dh.pointer + b * width, go = gradOutput + (b * steps + t) * width
                for j in 0..<width { d[j] += go[j] }
                let gateRow = gates.pointer + at
                let stateAt = (b * steps + t) * width
                switch kind {
                case .rnnTanh, .rnnRelu:
                    RecurrentCellMath.rnnBackward(relu: kind == .rnnRelu, hidden: width, gates: gateRow, dh: d,
                                                  dGates: stepRow)
                case .lstm:
                    RecurrentCellMath.lstmBackward(hidden: width, gates: gateRow, aux: aux!.pointer + stateAt,
                                                   cPrevious: previousCell!.pointer + stateAt, dh: d,
                                                   dc: dc!.pointer + b * width, dGates: stepRow)
                case .gru:
                    RecurrentCellMath.gruBackward(hidden: width, gates: gateRow, aux: aux!.pointer + stateAt,
                                                  hPrevious: previousHidden.pointer + stateAt, dh: d,
                                                  dGatesX: dGatesX.pointer + at, dGatesH: stepRow)
                }
                (dGatesH.pointer + at).update(from: stepRow, count: gateWidth)
            }
            // dh_prev += dGates_t · W_hh; rows past their length have zero gate gradients.
            packedHH?.multiply(count: rows.count, a: dGatesStep.pointer + first * gateWidth, lda: gateWidth,
                              into: dh.pointer + first * width, ldc: width, accumulate: true)
        }
    }

    if packedHH == nil {
        sgemm(transposeA: false, transposeB: false, m: batch, n: width, k: gateWidth,
              a: dGatesStep.pointer, b: weightHH.pointer, beta: 1, c: dh.pointer)
    }
    let rows = batch * steps
    if let hidden, let gh = hidden.gradBuffer() { for i in 0..<stateCount { gh[i] += dh.pointer[i] } }
    if let cell, let dc, let gc = cell.gradBuffer() { for i in 0..<stateCount { gc[i] += dc.pointer[i] } }
    if let gx = input.gradBuffer() {  // dx (B·T, I) += dGatesX · W_ih
        sgemm(transposeA: false, transposeB: false, m: rows, n: inputSize, k: gateWidth,
              a: dGatesX.pointer, b: weightIH.pointer, beta: 1, c: gx)
    }
    if let gw = weightIH.gradBuffer() {  // dW_ih (G·H, I) += dGatesXᵀ · x
        sgemm(transposeA: true, transposeB: false, m: gateWidth, n: inputSize, k: rows,
              a: dGatesX.pointer, b: input.pointer, beta: 1, c: gw)
    }
    if let gw = weightHH.gradBuffer() {  // dW_hh (G·H, H) += dGatesHᵀ · h_prev
        sgemm(transposeA: true, transposeB: false, m: gateWidth, n: width, k: rows,
              a: dGatesH.pointer, b: previousHidden.pointer, beta: 1, c: gw)
    }
    for (bias, source) in [(biasIH, dGatesX), (biasHH, dGatesH)] {
        guard let bias, let gb = bias.gradBuffer() else { continue }
        for r in 0..<rows {
            let src = source.pointer + r * gateWidth
            for j in 0..<gateWidth { gb[j] += src[j] }
        }
    }
}
