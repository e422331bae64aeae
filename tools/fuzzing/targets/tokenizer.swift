// libFuzzer target: tokenizer.json (and Loom's char/word tokenizer files) must load or
// throw; a tokenizer that loads must encode and decode without trapping.
import Foundation
import LoomText

let tokenizerPath: String = {
    let directory = "/dev/shm/loom-fuzz-tokenizer-\(getpid())"
    mkdir(directory, 0o755)
    return directory + "/tokenizer.json"
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizer(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    guard FileManager.default.createFile(atPath: tokenizerPath, contents: Data(bytes: bytes, count: count)) else { return 0 }
    guard let tokenizer = try? TokenizerFile.load(tokenizerPath) else { return 0 }
    if let ids = try? tokenizer.encode("Hello, wörld!\n\t<|endoftext|> 12 ∑ 🙂") {
        _ = try? tokenizer.decode(ids)
    }
    _ = try? tokenizer.decode([0, 1, 2, tokenizer.vocabSize - 1, tokenizer.vocabSize, -1])
    return 0
}
