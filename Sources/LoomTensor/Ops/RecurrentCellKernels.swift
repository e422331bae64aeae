import CLoomKernels
import Foundation

/// The recurrent cells Loom runs, with PyTorch's gate order and equations:
/// - `rnnTanh`, `rnnRelu`: h' = act(W_ih x + b_ih + W_hh h + b_hh)
/// - `lstm` (gates i, f, g, o): c' = f c + i g, h' = o tanh(c')
/// - `gru` (gates r, z, n): n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h
public enum RecurrentCellKind: String, Codable, Sendable, CaseIterable {
    case rnnTanh = "rnn_tanh", rnnRelu = "rnn_relu", lstm, gru

    /// Rows of `weight_ih` / `weight_hh` per hidden unit.
    public var gateCount: Int {
        switch self {
        case .rnnTanh, .rnnRelu: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }

    /// Whether the cell carries a second state (the LSTM's cell state c).
    public var hasCellState: Bool { self == .lstm }
}

/// exp(x) as Cephes' expf computes it (range reduction by ln 2, degree-6 polynomial,
/// exponent bits set directly), branch-free so that gate loops vectorize. Relative error
/// about 1e-7 over the clamped range, which is all a gate can use.
@inline(__always) func gateExp(_ x: Float) -> Float {
    let c = Swift.min(Swift.max(x, -87.3), 88.3)
    let n = (c * 1.442_695_04 + 12_582_912) - 12_582_912  // round to nearest
    let r = c - n * 0.693_359_375 + n * 2.121_944_40e-4
    var p: Float = 1.987_569_150_0e-4
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    let e = p * r * r + r + 1
    return e * Float(bitPattern: UInt32(truncatingIfNeeded: Int32(n) + 127) << 23)
}

@inline(__always) func tanhValue(_ x: Float) -> Float { 1 - 2 / (1 + gateExp(2 * x)) }

/// Per-row gate math of one time step, forward and backward side by side.
///
/// Buffers of one row (one sequence of the batch at one time step), each `hidden` wide
/// per gate: `gates` holds pre-activations on entry to forward and activations on exit;
/// `aux` keeps what backward needs besides the gates (LSTM: tanh(c'); GRU: W_hn h + b_hn).
enum RecurrentCellMath {
    // MARK: forward

    /// Simple RNN: `gates` already holds W_ih x + b_ih + W_hh h + b_hh.
    @inline(__always)
    static func rnnForward(relu: Bool, hidden n: Int, gates: UnsafeMutablePointer<Float>,
                           h: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        for j in 0..<n {
            let y = relu ? Swift.max(gates[j], 0) : tanhValue(gates[j])
            gates[j] = y
            h[j] = y
            out[j] = y
        }
    }

    /// LSTM: `gates` (4n) holds W_ih x + b_ih + W_hh h + b_hh; updates h and c in place.
    /// The exps run eight lanes at a time in C (CLoomKernels) on CPUs with AVX2.
    @inline(__always)
    static func lstmForward(hidden n: Int, gates: UnsafeMutablePointer<Float>, aux: UnsafeMutablePointer<Float>,
                            h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        loom_lstm_forward(Int32(n), gates, aux, h, c, out)
    }

    /// GRU: `gates` (3n) holds W_ih x + b_ih with b_hr, b_hz added; `hh` (3n) holds W_hh h.
    @inline(__always)
    static func gruForward(hidden n: Int, gates: UnsafeMutablePointer<Float>, hh: UnsafePointer<Float>,
                           biasHN: UnsafePointer<Float>?, aux: UnsafeMutablePointer<Float>,
                           h: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        loom_gru_forward(Int32(n), gates, hh, biasHN, aux, h, out)
    }

    // MARK: backward

    /// `dh` enters as the gradient of h' (carried plus this step's output gradient) and
    /// leaves as the part of dh that does not pass through W_hh (zero for RNN).
    @inline(__always)
    static func rnnBackward(relu: Bool, hidden n: Int, gates: UnsafePointer<Float>,
                            dh: UnsafeMutablePointer<Float>, dGates: UnsafeMutablePointer<Float>) {
        for j in 0..<n {
            let y = gates[j]
            let slope: Float = relu ? (y > 0 ? 1 : 0) : 1 - y * y
            dGates[j] = dh[j] * slope
            dh[j] = 0
        }
    }

    @inline(__always)
    static func lstmBackward(hidden n: Int, gates: UnsafePointer<Float>, aux: UnsafePointer<Float>,
                             cPrevious: UnsafePointer<Float>, dh: UnsafeMutablePointer<Float>,
                             dc: UnsafeMutablePointer<Float>, dGates: UnsafeMutablePointer<Float>) {
        for j in 0..<n {
            let i = gates[j], f = gates[n + j], g = gates[2 * n + j], o = gates[3 * n + j]
            let tc = aux[j]
            let dhj = dh[j]
            let dcj = dc[j] + dhj * o * (1 - tc * tc)
            dGates[j] = dcj * g * i * (1 - i)
            dGates[n + j] = dcj * cPrevious[j] * f * (1 - f)
            dGates[2 * n + j] = dcj * i * (1 - g * g)
            dGates[3 * n + j] = dhj * tc * o * (1 - o)
            dc[j] = dcj * f
            dh[j] = 0
        }
    }

    /// Writes the input-side gate gradients to `dGatesX` and the hidden-side ones to
    /// `dGatesH` (they differ only in the candidate gate, which r scales on the hidden side).
    @inline(__always)
    static func gruBackward(hidden n: Int, gates: UnsafePointer<Float>, aux: UnsafePointer<Float>,
                            hPrevious: UnsafePointer<Float>, dh: UnsafeMutablePointer<Float>,
                            dGatesX: UnsafeMutablePointer<Float>, dGatesH: UnsafeMutablePointer<Float>) {
        for j in 0..<n {
            let r = gates[j], z = gates[n + j], candidate = gates[2 * n + j]
            let hn = aux[j]
            let dhj = dh[j]
            let dCandidate = dhj * (1 - z) * (1 - candidate * candidate)
            let dz = dhj * (hPrevious[j] - candidate) * z * (1 - z)
            let dr = dCandidate * hn * r * (1 - r)
            dGatesX[j] = dr; dGatesX[n + j] = dz; dGatesX[2 * n + j] = dCandidate
            dGatesH[j] = dr; dGatesH[n + j] = dz; dGatesH[2 * n + j] = dCandidate * r
            dh[j] = dhj * z
        }
    }
}
