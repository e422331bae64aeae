/// The memory behind a tensor: a contiguous run of floats.
///
/// A storage either owns its buffer (taken from `BufferPool`, returned on deinit) or is a
/// view into a larger storage (`base`), which keeps that storage alive. Views let a model
/// keep all parameters, or all gradients, in one flat allocation.
public final class TensorStorage {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    private let base: TensorStorage?

    /// An uninitialized buffer of `count` floats.
    public init(count: Int) {
        self.pointer = BufferPool.take(count: count)
        self.count = count
        self.base = nil
    }

    /// A buffer of `count` floats, all set to `value`.
    public convenience init(count: Int, repeating value: Float) {
        self.init(count: count)
        pointer.update(repeating: value, count: count)
    }

    /// A view of `count` floats of `base`, starting at `offset`.
    public init(viewOf base: TensorStorage, offset: Int, count: Int) {
        precondition(offset >= 0 && offset + count <= base.count, "view out of range")
        self.pointer = base.pointer + offset
        self.count = count
        self.base = base
    }

    deinit {
        if base == nil { BufferPool.give(pointer, count: count) }
    }

    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    public func zero() { pointer.update(repeating: 0, count: count) }

    /// A new storage holding a copy of these floats.
    public func copy() -> TensorStorage {
        let result = TensorStorage(count: count)
        result.pointer.update(from: pointer, count: count)
        return result
    }
}
