import Foundation

/// Finds the files of installed Debian packages (through `dpkg-query`) and runs the
/// programs they ship. A missing package becomes an error that says how to install it.
enum DebianPackages {
    static func notInstalled(_ package: String) -> DataError {
        DataError("\(package) is not installed: run tools/setup or apt-get install \(package)")
    }

    static func isInstalled(_ package: String) -> Bool {
        guard let output = try? run("dpkg-query", ["-W", "-f=${Status}", package]) else { return false }
        return String(decoding: output, as: UTF8.self) == "install ok installed"
    }

    /// The paths a package installed, in `dpkg-query -L` order.
    static func files(of package: String) throws -> [String] {
        guard isInstalled(package) else { throw notInstalled(package) }
        let output = try run("dpkg-query", ["-L", package])
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// The one file of a package whose path ends with `suffix`.
    static func file(of package: String, endingWith suffix: String) throws -> URL {
        guard let path = try files(of: package).first(where: { $0.hasSuffix(suffix) }) else {
            throw DataError("\(package) is installed but has no file ending in \(suffix): reinstall it (apt-get install --reinstall \(package))")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError("\(path): listed by \(package) but missing: reinstall it (apt-get install --reinstall \(package))")
        }
        return URL(fileURLWithPath: path)
    }

    /// Runs a program found on PATH (or given by absolute path) and returns its standard output.
    /// Standard error goes to a temporary file, so a chatty program cannot fill a pipe and block.
    static func run(_ program: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        if program.hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [program] + arguments
        }
        let output = Pipe()
        let errorFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("loom-\(getpid())-\(UUID().uuidString).stderr")
        guard FileManager.default.createFile(atPath: errorFile.path, contents: nil),
              let errorHandle = try? FileHandle(forWritingTo: errorFile)
        else { throw DataError("\(errorFile.path): cannot create a temporary file") }
        defer { try? FileManager.default.removeItem(at: errorFile) }
        defer { try? errorHandle.close() }
        process.standardOutput = output
        process.standardError = errorHandle
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw DataError("cannot run \(program): \(error.localizedDescription)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationReason == .exit && process.terminationStatus == 0 else {
            let message = (try? String(contentsOf: errorFile, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            let command = ([program] + arguments).joined(separator: " ")
            throw DataError("`\(command)` failed with status \(process.terminationStatus)"
                + (message.isEmpty ? "" : ": \(message)"))
        }
        return data
    }
}
