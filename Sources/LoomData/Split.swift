/// The three data splits. Every example goes to one split chosen by a hash of its key,
/// so the assignment is the same on every run and every machine, and an example keeps
/// its split when the corpus grows.
public enum Split: String, CaseIterable, Sendable {
    case train
    case validation = "val"
    case test

    /// Percentage buckets: 0..<80 train, 80..<90 validation, 90..<100 test.
    public static func of(key: String) -> Split {
        let bucket = Split.bucket(key: key)
        if bucket < 80 { return .train }
        if bucket < 90 { return .validation }
        return .test
    }

    /// The bucket 0..<100 of a key: its 64-bit FNV-1a hash over the UTF-8 bytes, modulo 100.
    public static func bucket(key: String) -> Int {
        Int(fnv1a64(key.utf8) % 100)
    }

    /// The file stem used for this split on disk (`train`, `val`, `test`).
    public var fileStem: String { rawValue }
}

/// 64-bit FNV-1a: tiny, stable across platforms and Swift versions (unlike `Hasher`,
/// which is seeded per process).
public func fnv1a64<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01b3
    }
    return hash
}
