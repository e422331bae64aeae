import ArgumentParser
import Loom
import Foundation

/// Flags every verb takes.
struct CommonOptions: ParsableArguments {
    @Flag(help: "Print one JSON object with the result as the last line of stdout.")
    var json = false

    @Option(help: "Seed of every random choice; two runs with the same seed give the same result.")
    var seed: UInt64 = 1
}

/// Checks that an output directory may be written: it must not already hold a checkpoint
/// unless the user asked to resume it or to overwrite it.
func prepareOutputDirectory(_ path: String, resume: Bool, force: Bool) throws -> URL {
    let url = URL(fileURLWithPath: path)
    let exists = Checkpoint.exists(in: url)
    if exists && !resume && !force {
        throw ValidationError("\(path) already holds a checkpoint; pass --resume to continue it or --force to overwrite it")
    }
    if resume && !exists {
        throw ValidationError("--resume: \(path) holds no checkpoint (no config.json)")
    }
    if force && !resume, exists {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] where name != "." {
            try? FileManager.default.removeItem(at: url.appendingPathComponent(name))
        }
    }
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
