/// Finds where NaN or infinity first enters a computation (PyTorch's `detect_anomaly`).
/// When on, every op checks its output as it is made, and its inputs' gradients after its
/// backward step; the first non-finite value is kept as an `Anomaly` naming the op. Off by
/// default, where it costs one branch per op. Meant for a single training thread.
public enum AnomalyDetection {
    nonisolated(unsafe) public private(set) static var isEnabled = false
    nonisolated(unsafe) private static var first: Anomaly?

    public static func enable(_ on: Bool = true) {
        isEnabled = on
        first = nil
    }

    /// The first anomaly since the last call, which clears it.
    public static func takeFirst() -> Anomaly? {
        defer { first = nil }
        return first
    }

    static func inspect(_ pointer: UnsafePointer<Float>, count: Int, shape: [Int], op: OpName, phase: Anomaly.Phase) {
        guard first == nil else { return }
        for i in 0..<count where !pointer[i].isFinite {
            first = Anomaly(op: op.description, shape: shape, phase: phase, index: i, value: pointer[i])
            return
        }
    }

    /// The op's backward step, followed by a check of the gradients it added into.
    static func checkedBackward(
        _ backward: @escaping (UnsafeMutablePointer<Float>) -> Void, inputs: [Tensor], op: OpName
    ) -> (UnsafeMutablePointer<Float>) -> Void {
        let watched = inputs.compactMap { input in input.node.map { (node: $0, shape: input.shape) } }
        return { gradient in
            backward(gradient)
            for (node, shape) in watched {
                if let grad = node.grad { inspect(grad.pointer, count: node.count, shape: shape, op: op, phase: .backward) }
            }
        }
    }
}

/// The first non-finite value an op produced: in its output (forward) or in the gradient
/// it passed to one of its inputs (backward).
public struct Anomaly: CustomStringConvertible, Equatable, Sendable {
    public enum Phase: String, Sendable { case forward, backward }
    public let op: String
    public let shape: [Int]
    public let phase: Phase
    public let index: Int
    public let value: Float

    public var description: String {
        switch phase {
        case .forward: return "\(op) produced \(value) in its output of shape \(shape) (element \(index))"
        case .backward: return "the backward step of \(op) produced \(value) in the gradient of an input of shape \(shape) (element \(index))"
        }
    }
}

/// An op as the user should read it: the function that made the tensor ("matmul(_:)"), or
/// for the shared elementwise helpers the operation they ran ("log", "divide").
struct OpName: CustomStringConvertible {
    let function: StaticString
    let kind: Any.Type?

    var description: String {
        guard let kind else { return "\(function)" }
        var name = String(describing: kind)
        if name.hasSuffix("Operation") { name.removeLast("Operation".count) }
        return name.prefix(1).lowercased() + name.dropFirst()
    }
}
