import LoomTensor

/// The state a recurrent layer carries between steps: `hidden` (and, for LSTM, `cell`),
/// each (layers · directions, B, H) as PyTorch's h_n and c_n are, layer-major with the
/// reverse direction after the forward one (l0, l0_reverse, l1, ...).
public struct RecurrentState {
    public var hidden: Tensor
    public var cell: Tensor?

    public init(hidden: Tensor, cell: Tensor? = nil) {
        self.hidden = hidden
        self.cell = cell
    }

    /// The same values cut from the graph: truncated backpropagation through time carries
    /// the state into the next chunk without carrying gradients back into the last one.
    public func detached() -> RecurrentState {
        RecurrentState(hidden: hidden.detached(), cell: cell?.detached())
    }

    /// A zero state for `slots` (layers · directions) of `batch` rows of `width` units.
    public static func zeros(slots: Int, batch: Int, width: Int, withCell: Bool) -> RecurrentState {
        RecurrentState(hidden: Tensor(zeros: [slots, batch, width]),
                       cell: withCell ? Tensor(zeros: [slots, batch, width]) : nil)
    }
}
