import Foundation
import LoomCore

/// An error in data read from outside: a file, a corpus package, a command's output.
/// The message always says what went wrong and where (file, line, byte offset).
public typealias DataError = LoomError

extension LoomError {
    static func missingFile(_ url: URL) -> DataError {
        DataError("\(url.path): file not found")
    }

    static func unreadable(_ url: URL, _ underlying: Error) -> DataError {
        DataError("\(url.path): cannot read: \(underlying.localizedDescription)")
    }
}

/// Reads a whole file, turning a missing or unreadable file into a `DataError` that names it.
func readFileBytes(_ url: URL) throws -> Data {
    guard FileManager.default.fileExists(atPath: url.path) else { throw DataError.missingFile(url) }
    do {
        return Data(try FileBytes.read(url.path))
    } catch let failure as FileBytes.Failure {
        throw DataError("\(url.path): cannot read: \(failure.reason)")
    }
}
