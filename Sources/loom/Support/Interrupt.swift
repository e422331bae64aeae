import Foundation

/// SIGINT/SIGTERM during training: the first signal asks the run to stop at the next step
/// boundary (it then saves a checkpoint); a second one exits at once.
enum Interrupt {
    nonisolated(unsafe) private static var count: sig_atomic_t = 0

    static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in
            Interrupt.count += 1
            if Interrupt.count > 1 { _exit(130) }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    static var requested: Bool { count > 0 }
}
