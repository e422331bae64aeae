// libFuzzer target: the safetensors reader must throw on any bytes, never trap.
import Foundation
import LoomNN

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    let data = Data(bytes: bytes, count: count)
    if let file = try? SafeTensors.parse(data, file: "fuzz.safetensors") {
        // What loads must also serialize and load back.
        _ = try? SafeTensors.parse(Data(file.serialized()), file: "again.safetensors")
    }
    return 0
}
