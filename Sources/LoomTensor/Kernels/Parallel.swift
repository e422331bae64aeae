import Dispatch
import Foundation

/// Splitting loops across cores.
///
/// Threading policy: OpenBLAS runs its own threads inside each GEMM, so Loom never calls
/// BLAS from inside `parallelFor`. Our own threads are for elementwise loops, reductions
/// and batches of small work that BLAS would not parallelize well.
public enum Parallel {
    public static let coreCount = Swift.max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Below this many elements, a loop runs on the calling thread.
    public static let elementThreshold = 1 << 16

    /// Calls `body` on disjoint ranges covering 0..<count, in parallel when `count` is at
    /// least `threshold`.
    @inline(__always)
    public static func forRanges(_ count: Int, threshold: Int = elementThreshold, _ body: (Range<Int>) -> Void) {
        if count < threshold || coreCount == 1 {
            body(0..<count)
            return
        }
        let chunks = coreCount
        let size = (count + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let start = c * size
            let end = Swift.min(count, start + size)
            if start < end { body(start..<end) }
        }
    }

    /// Calls `body(i)` for i in 0..<count, spreading iterations over the cores.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count <= 1 || coreCount == 1 {
            for i in 0..<count { body(i) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }
}
