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
        if relu { for j in 0..<n { gates[j] = Swift.max(gates[j], 0) } } else { loom_tanh_forward(gates, gates, n) }
        h.update(from: gates, count: n)
        out.update(from: gates, count: n)
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
