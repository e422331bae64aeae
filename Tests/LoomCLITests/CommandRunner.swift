import Foundation
import XCTest

/// Runs the `loom` binary built beside the test bundle and captures what it prints.
struct CommandRunner {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static var binary: URL {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [directory, directory.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("loom")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return directory.appendingPathComponent("loom")
    }

    static let fashionMNIST = "/usr/share/datasets/fashion-mnist"

    /// Starts `loom arguments`; `whenStarted` may signal the process while it runs.
    static func run(_ arguments: [String], whenStarted: ((Process) -> Void)? = nil) throws -> Result {
        try run(executable: binary, arguments, whenStarted: whenStarted)
    }

    /// Starts another program (a wrapper such as unshare) the same way.
    static func run(executable: URL, _ arguments: [String], whenStarted: ((Process) -> Void)? = nil) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        whenStarted?(process)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("loom-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
