// libFuzzer target: the IDX reader (plain or gzipped) must throw on any bytes, never trap.
import Foundation
import LoomData

let idxPath: URL = {
    let directory = "/dev/shm/loom-fuzz-idx-\(getpid())"
    mkdir(directory, 0o755)
    return URL(fileURLWithPath: directory + "/data-idx-ubyte")
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    guard FileManager.default.createFile(atPath: idxPath.path, contents: Data(bytes: bytes, count: count)) else { return 0 }
    _ = try? IDX.readImages(idxPath)
    _ = try? IDX.readLabels(idxPath)
    return 0
}
