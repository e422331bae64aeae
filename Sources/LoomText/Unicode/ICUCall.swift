import CLoomICU

/// ICU reported a failure (missing data, out of memory, or text longer than ICU can address).
public struct ICUError: Error, CustomStringConvertible {
    public var operation: String
    public var code: Int32
    public var description: String {
        let name = code == 0 ? "text too long" : String(cString: loom_icu_error_name(code))
        return "ICU \(operation) failed: \(name)"
    }
}

/// Shared plumbing for the ICU wrappers: UTF-16 conversion and boundary queries.
enum ICUCall {
    static func utf16(_ text: String, operation: String) throws -> [UInt16] {
        let units = Array(text.utf16)
        // ICU addresses text with Int32 offsets.
        guard units.count < Int(Int32.max) else { throw ICUError(operation: operation, code: 0) }
        return units
    }

    /// A String from UTF-16 code units, copying ASCII directly (the common case for words).
    static func string(_ units: UnsafeBufferPointer<UInt16>) -> String {
        for unit in units where unit >= 0x80 { return String(decoding: units, as: UTF16.self) }
        return String(unsafeUninitializedCapacity: units.count) { bytes in
            for (index, unit) in units.enumerated() { bytes[index] = UInt8(truncatingIfNeeded: unit) }
            return units.count
        }
    }

    /// Boundary offsets (UTF-16) and, for each segment ending at a boundary, its rule status.
    static func boundaries(kind: Int32, units: [UInt16], operation: String) throws -> (offsets: [Int32], statuses: [Int32]) {
        let capacity = units.count + 1
        var offsets = [Int32](repeating: 0, count: capacity)
        var statuses = [Int32](repeating: 0, count: capacity)
        var status: Int32 = 0
        var icuCode: Int32 = 0
        let count = units.withUnsafeBufferPointer { text in
            offsets.withUnsafeMutableBufferPointer { offsetBuffer in
                statuses.withUnsafeMutableBufferPointer { statusBuffer in
                    loom_icu_boundaries(kind, text.baseAddress, Int32(text.count),
                                        offsetBuffer.baseAddress, statusBuffer.baseAddress,
                                        Int32(capacity), &status, &icuCode)
                }
            }
        }
        if count < 0 || status != LOOM_ICU_OK { throw ICUError(operation: operation, code: icuCode) }
        offsets.removeSubrange(Int(count)...)
        statuses.removeSubrange(Int(count)...)
        return (offsets, statuses)
    }
}
