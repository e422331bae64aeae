/// A row-major, contiguous Float32 array with an optional place in the autodiff graph.
///
/// `Tensor` is a small value: a shape, a reference to its storage and, when it tracks
/// gradients, a reference to its graph node. Copying a tensor shares the storage.
public struct Tensor {
    public let shape: [Int]
    public let storage: TensorStorage
    public internal(set) var node: GradNode?

    public init(shape: [Int], storage: TensorStorage, node: GradNode? = nil) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == storage.count, "shape \(shape) does not fit \(storage.count) floats")
        self.shape = shape
        self.storage = storage
        self.node = node
    }

    /// An uninitialized tensor; every element must be written before it is read.
    public init(uninitializedShape shape: [Int]) {
        self.init(shape: shape, storage: TensorStorage(count: shape.reduce(1, *)))
    }

    public init(shape: [Int], repeating value: Float) {
        self.init(shape: shape, storage: TensorStorage(count: shape.reduce(1, *), repeating: value))
    }

    public init(zeros shape: [Int]) { self.init(shape: shape, repeating: 0) }
    public init(ones shape: [Int]) { self.init(shape: shape, repeating: 1) }

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not fit \(values.count) values")
        let storage = TensorStorage(count: values.count)
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: values.count) }
        self.init(shape: shape, storage: storage)
    }

    public init(_ scalar: Float) { self.init(shape: [], values: [scalar]) }

    public var count: Int { storage.count }
    public var rank: Int { shape.count }
    public var pointer: UnsafeMutablePointer<Float> { storage.pointer }
    public var requiresGradient: Bool { node != nil }

    /// The elements, copied out.
    public var scalars: [Float] { Array(storage.buffer) }

    /// The single element of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item of a tensor with \(count) elements")
        return storage.pointer[0]
    }

    /// The gradient accumulated by `backward()`, for a tensor that tracks gradients.
    public var grad: Tensor? {
        guard let storage = node?.grad else { return nil }
        return Tensor(shape: shape, storage: storage)
    }

    /// The same values with no place in the graph.
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

    /// A copy of the values into fresh storage, with no place in the graph.
    public func copied() -> Tensor { Tensor(shape: shape, storage: storage.copy()) }

    /// A graph leaf over the same storage: gradients accumulate into its `grad`.
    public func requiringGradient() -> Tensor {
        Tensor(shape: shape, storage: storage, node: GradNode(count: count, inputs: [], backward: nil))
    }

    /// Differentiates this scalar (or, with `seed`, any tensor) back through the graph.
    public func backward(seed: Tensor? = nil) {
        guard let node else { preconditionFailure("backward() on a tensor that does not track gradients") }
        if let seed {
            precondition(seed.count == count, "seed of \(seed.count) elements for a tensor of \(count)")
            node.propagate(seed: seed.pointer)
        } else {
            precondition(count == 1, "backward() without a seed needs a scalar, got shape \(shape)")
            var one: Float = 1
            node.propagate(seed: &one)
        }
    }

    /// The dimension at `axis`, which may count from the end when negative.
    public func dimension(_ axis: Int) -> Int { shape[normalizedAxis(axis)] }

    public func normalizedAxis(_ axis: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < Swift.max(rank, 1), "axis \(axis) out of range for shape \(shape)")
        return a
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 8 ? ", …" : "")])"
    }
}

extension Tensor {
    /// Makes the result of an op, recording a graph node when gradients are on and an
    /// input tracks them. `backward` receives the result's gradient and adds into inputs'.
    /// `heir`, an input of the result's shape whose gradient is the result's own, may be
    /// handed the result's gradient buffer (`GradNode.heir`): backward must then skip it
    /// when its gradient buffer is the one backward received.
    @inline(__always)
    static func result(
        shape: [Int], storage: TensorStorage, inputs: [Tensor], op: StaticString = #function, kind: Any.Type? = nil,
        heir: Tensor? = nil, backward: @escaping (UnsafeMutablePointer<Float>) -> Void
    ) -> Tensor {
        var backward = backward
        if AnomalyDetection.isEnabled {
            let name = OpName(function: op, kind: kind)
            AnomalyDetection.inspect(storage.pointer, count: storage.count, shape: shape, op: name, phase: .forward)
            backward = AnomalyDetection.checkedBackward(backward, inputs: inputs, op: name)
        }
        var nodes: [GradNode] = []
        for input in inputs { if let node = input.node { nodes.append(node) } }
        guard !nodes.isEmpty, GradMode.isEnabled else { return Tensor(shape: shape, storage: storage) }
        let node = GradNode(count: storage.count, inputs: nodes, backward: backward)
        node.heir = heir?.node
        return Tensor(shape: shape, storage: storage, node: node)
    }

    /// The gradient buffer of this tensor when it tracks gradients, else nil.
    @inline(__always)
    func gradBuffer() -> UnsafeMutablePointer<Float>? { node?.gradBuffer() }

    /// This tensor's gradient buffer for writing, when it tracks gradients: see
    /// `GradNode.gradTarget()` (write every element when `isFresh`, else add).
    @inline(__always)
    func gradTarget() -> (pointer: UnsafeMutablePointer<Float>, isFresh: Bool)? { node?.gradTarget() }
}

import Foundation
