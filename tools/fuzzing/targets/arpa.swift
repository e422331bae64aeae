// libFuzzer target: the ARPA reader must throw on any text, never trap; a model that
// loads must score a sentence.
import Foundation
import LoomText

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzARPA(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    for unit in NGramUnit.allCases {
        guard let model = try? ARPAFormat.read(text: text, unit: unit, name: "fuzz.arpa") else { continue }
        let (ids, _) = model.ids(of: "the cat sat on a mat")
        var history: [Int32] = []
        for id in ids {
            _ = model.logProbability(of: id, after: history)
            history.append(id)
        }
    }
    return 0
}
