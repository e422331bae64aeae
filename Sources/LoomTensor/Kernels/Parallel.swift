import Dispatch
import Foundation

/// Splitting loops across cores.
///
/// Threading policy: every thread is Loom's own. OpenBLAS is set to one thread, and `sgemm`
/// splits a large product into a block of rows or columns per core here, so BLAS never has
/// threads of its own spinning beside these. The same threads run elementwise loops,
/// reductions, and recurrent layers (one block of batch rows each, for a whole sequence).
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
