import CLoomKernels
import Foundation

/// Splitting loops across cores.
///
/// Threading policy: every thread is Loom's own. OpenBLAS is set to one thread, and `sgemm`
/// splits a large product into a block of rows or columns per core here, so BLAS never has
/// threads of its own spinning beside these. The same threads run elementwise loops,
/// reductions, and recurrent layers (one block of batch rows each, for a whole sequence).
///
/// The threads are `loom_parallel_for`'s (CLoomKernels/ThreadPool.c): one worker per extra
/// core, which spins for up to 1 ms after a loop before it sleeps. A training step runs
/// hundreds of short loops back to back; waking a sleeping thread for each one left the
/// calling thread waiting tens of microseconds every time.
///
/// A data-parallel training step (LoomNN's `ShardedGradients`) runs each shard's whole
/// forward and backward pass as one loop body; the loops of the ops inside it then run on
/// that shard's thread.
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
        forEach(chunks) { c in
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
        withoutActuallyEscaping(body) { body in
            var task = body
            withUnsafeMutablePointer(to: &task) { pointer in
                loom_parallel_for(count, { context, index in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(index)
                }, pointer)
            }
        }
    }
}
