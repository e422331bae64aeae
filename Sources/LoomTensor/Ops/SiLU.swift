import Foundation

/// SiLU (swish), x·σ(x), the activation of diffusion U-Nets, eight lanes at a time
/// through the vectorized exp of FastMath.swift.
extension Tensor {
    public func silu() -> Tensor {
        let out = TensorStorage(count: count)
        let x = pointer, o = out.pointer
        Parallel.forRanges(count) { r in SiLUKernel.forward(x + r.lowerBound, o + r.lowerBound, r.count) }
        return Tensor.result(shape: shape, storage: out, inputs: [self]) { [self] g in
            guard let gx = self.gradBuffer() else { return }
            Parallel.forRanges(self.count) { r in
                SiLUKernel.backward(x + r.lowerBound, g + r.lowerBound, gx + r.lowerBound, r.count)
            }
        }
    }
}

enum SiLUKernel {
    @inline(__always)
    static func sigmoid(_ z: FloatLanes) -> FloatLanes { 1 / (1 + lanesExp(-z)) }

    /// d/dz z·σ(z) = σ(z)·(1 + z·(1 - σ(z))).
    @inline(__always)
    static func derivative(_ z: FloatLanes) -> FloatLanes {
        let s = sigmoid(z)
        return s * (1 + z * (1 - s))
    }

    @inline(__always)
    static func derivative(_ z: Float) -> Float {
        let s = stableSigmoid(z)
        return s * (1 + z * (1 - s))
    }

    /// y = x·σ(x) for n floats.
    static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        while i + 8 <= n {
            let v = rx.loadUnaligned(fromByteOffset: i * 4, as: FloatLanes.self)
            ry.storeBytes(of: v * sigmoid(v), toByteOffset: i * 4, as: FloatLanes.self)
            i += 8
        }
        while i < n { y[i] = x[i] * stableSigmoid(x[i]); i += 1 }
    }

    /// gx += g·SiLU'(x) for n floats.
    static func backward(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        let rx = UnsafeRawPointer(x), rg = UnsafeRawPointer(g), rgx = UnsafeMutableRawPointer(gx)
        while i + 8 <= n {
            let v = rx.loadUnaligned(fromByteOffset: i * 4, as: FloatLanes.self)
            let grad = rg.loadUnaligned(fromByteOffset: i * 4, as: FloatLanes.self)
            let old = rgx.loadUnaligned(fromByteOffset: i * 4, as: FloatLanes.self)
            rgx.storeBytes(of: old + grad * derivative(v), toByteOffset: i * 4, as: FloatLanes.self)
            i += 8
        }
        while i < n { gx[i] += g[i] * derivative(x[i]); i += 1 }
    }
}
