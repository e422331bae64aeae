import Foundation

/// An error in input from outside (a file, a checkpoint, a flag) with a message that
/// says what was wrong and where. The CLI prints it as `error: <message>`.
public struct LoomError: Error, CustomStringConvertible, LocalizedError, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
