import Foundation

/// Whether ops record a graph. Off inside `withoutGradients`, so inference allocates no graph.
/// The flag is per thread, so two requests served on two threads do not disturb each other.
public enum GradMode {
    private static let key = "loom.gradients.disabled"

    public static var isEnabled: Bool {
        Thread.current.threadDictionary[key] == nil
    }

    static func set(enabled: Bool) {
        if enabled { Thread.current.threadDictionary.removeObject(forKey: key) }
        else { Thread.current.threadDictionary[key] = true }
    }
}

/// Runs `body` with graph recording off.
@discardableResult
public func withoutGradients<T>(_ body: () throws -> T) rethrows -> T {
    let was = GradMode.isEnabled
    GradMode.set(enabled: false)
    defer { GradMode.set(enabled: was) }
    return try body()
}
