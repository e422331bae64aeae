// libFuzzer target: the two-column TSV reader must throw on any bytes, never trap.
import Foundation
import LoomData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTSV(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    if let rows = try? TSV.parse(Data(bytes: bytes, count: count), source: "fuzz.tsv") {
        // Rows that read must write and read back the same.
        let text = TSV.format(rows.map { ($0.first, $0.second) })
        _ = try? TSV.parse(Data(text.utf8), source: "again.tsv")
    }
    return 0
}
