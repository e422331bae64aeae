/// GPT-2's reversible map from the 256 byte values to printable Unicode scalars.
///
/// Byte-level BPE works on bytes, but vocabularies are stored as JSON strings; printable
/// bytes map to themselves and the rest (controls, space, soft hyphen...) to U+0100 onwards,
/// so that no token string holds white space or control characters. A space becomes "Ġ".
enum ByteLevelAlphabet {
    static let scalarForByte: [Unicode.Scalar] = {
        var scalars = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(byte) {
                scalars[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                scalars[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return scalars
    }()

    static let byteForScalar: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (byte, scalar) in scalarForByte.enumerated() { map[scalar.value] = UInt8(byte) }
        return map
    }()

    private static func isPrintable(_ byte: Int) -> Bool {
        (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
    }

    /// The vocabulary string of a byte sequence.
    static func string<Bytes: Sequence>(for bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var result = String.UnicodeScalarView()
        for byte in bytes { result.append(scalarForByte[Int(byte)]) }
        return String(result)
    }

    /// The bytes a vocabulary string stands for, or nil when it holds a scalar outside the map.
    static func bytes(for token: String) -> [UInt8]? {
        var result: [UInt8] = []
        result.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = byteForScalar[scalar.value] else { return nil }
            result.append(byte)
        }
        return result
    }

    /// The 256 byte values in the order of their scalars, which is the order of GPT-2's first
    /// 256 ids and of the alphabet Hugging Face's trainer builds.
    static let bytesInScalarOrder: [UInt8] = (0..<256).map { UInt8($0) }
        .sorted { scalarForByte[Int($0)].value < scalarForByte[Int($1)].value }
}
