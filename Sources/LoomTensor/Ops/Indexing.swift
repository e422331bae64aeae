/// Joining, cutting and picking elements by index.
extension Tensor {
    /// Joins tensors along `axis`; all other dimensions must agree.
    public static func concat(_ parts: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!parts.isEmpty, "concat of nothing")
        let first = parts[0]
        let a = first.normalizedAxis(axis)
        for p in parts {
            precondition(p.rank == first.rank && zip(p.shape, first.shape).enumerated().allSatisfy { $0.offset == a || $0.element.0 == $0.element.1 },
                         "concat shapes \(parts.map(\.shape)) differ off axis \(axis)")
        }
        let outer = first.shape[..<a].reduce(1, *), inner = first.shape[(a + 1)...].reduce(1, *)
        let total = parts.reduce(0) { $0 + $1.shape[a] }
        var outShape = first.shape
        outShape[a] = total
        let out = TensorStorage(count: outer * total * inner)
        var offsets: [Int] = []
        var at = 0
        for p in parts {
            offsets.append(at)
            let rowLength = p.shape[a] * inner
            for o in 0..<outer {
                (out.pointer + (o * total + at) * inner).update(from: p.pointer + o * rowLength, count: rowLength)
            }
            at += p.shape[a]
        }
        return Tensor.result(shape: outShape, storage: out, inputs: parts) { g in
            for (p, start) in zip(parts, offsets) {
                guard let gp = p.gradBuffer() else { continue }
                let rowLength = p.shape[a] * inner
                for o in 0..<outer {
                    let src = g + (o * total + start) * inner, dst = gp + o * rowLength
                    for j in 0..<rowLength { dst[j] += src[j] }
                }
            }
        }
    }

    /// Stacks equal-shaped tensors along a new axis.
    public static func stack(_ parts: [Tensor], axis: Int = 0) -> Tensor {
        concat(parts.map { $0.unsqueezed(at: axis) }, axis: axis)
    }

    /// The elements at positions `range` along `axis`.
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let a = normalizedAxis(axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[a], "slice \(range) out of 0..<\(shape[a])")
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *), size = shape[a]
        var outShape = shape
        outShape[a] = range.count
        let rowLength = range.count * inner
        let out = TensorStorage(count: outer * rowLength)
        for o in 0..<outer {
            (out.pointer + o * rowLength).update(from: pointer + (o * size + range.lowerBound) * inner, count: rowLength)
        }
        return Tensor.result(shape: outShape, storage: out, inputs: [self]) { [self] g in
            guard let gx = self.gradBuffer() else { return }
            for o in 0..<outer {
                let dst = gx + (o * size + range.lowerBound) * inner, src = g + o * rowLength
                for j in 0..<rowLength { dst[j] += src[j] }
            }
        }
    }

    /// Cuts along `axis` into pieces of the given sizes.
    public func split(sizes: [Int], axis: Int = 0) -> [Tensor] {
        precondition(sizes.reduce(0, +) == dimension(axis), "split sizes \(sizes) do not sum to \(dimension(axis))")
        var start = 0
        return sizes.map { n in
            defer { start += n }
            return slice(axis: axis, start..<(start + n))
        }
    }

    /// Rows of a matrix picked by index: the embedding lookup. `indices` may have any shape;
    /// the result has shape `indexShape + [columns]`. Gradients scatter-add into the rows.
    public func indexSelect(rows indices: [Int32], indexShape: [Int]? = nil) -> Tensor {
        precondition(rank == 2, "indexSelect needs a matrix, got \(shape)")
        let columns = shape[1], rowCount = shape[0]
        let out = TensorStorage(count: indices.count * columns)
        for (i, index) in indices.enumerated() {
            precondition(index >= 0 && Int(index) < rowCount, "index \(index) out of range 0..<\(rowCount)")
            (out.pointer + i * columns).update(from: pointer + Int(index) * columns, count: columns)
        }
        let outShape = (indexShape ?? [indices.count]) + [columns]
        return Tensor.result(shape: outShape, storage: out, inputs: [self]) { [self] g in
            guard let gw = self.gradBuffer() else { return }
            for (i, index) in indices.enumerated() {
                let dst = gw + Int(index) * columns, src = g + i * columns
                for j in 0..<columns { dst[j] += src[j] }
            }
        }
    }

    /// Picks one element per row along the last axis: result[r] = self[r, indices[r]].
    public func gatherLastAxis(_ indices: [Int32]) -> Tensor {
        let size = shape.last ?? 1, rows = count / Swift.max(size, 1)
        precondition(indices.count == rows, "gather needs \(rows) indices, got \(indices.count)")
        let out = TensorStorage(count: rows)
        for r in 0..<rows {
            precondition(indices[r] >= 0 && Int(indices[r]) < size, "index \(indices[r]) out of range 0..<\(size)")
            out.pointer[r] = pointer[r * size + Int(indices[r])]
        }
        return Tensor.result(shape: Array(shape.dropLast()), storage: out, inputs: [self]) { [self] g in
            guard let gx = self.gradBuffer() else { return }
            for r in 0..<rows { gx[r * size + Int(indices[r])] += g[r] }
        }
    }

    /// One-hot rows: shape `[indices.count, classes]`.
    public static func oneHot(_ indices: [Int32], classes: Int) -> Tensor {
        let t = Tensor(zeros: [indices.count, classes])
        for (r, c) in indices.enumerated() {
            precondition(c >= 0 && Int(c) < classes, "class \(c) out of range 0..<\(classes)")
            t.pointer[r * classes + Int(c)] = 1
        }
        return t
    }
}
