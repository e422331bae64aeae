import CLoomICU

/// Unicode normalization through ICU.
///
/// NFC composes canonically equivalent sequences; NFKC also folds compatibility variants
/// (ligatures, full-width forms, superscripts); NFKC_Casefold additionally folds case and removes
/// default-ignorable characters, which suits case-insensitive vocabularies.
public enum Normalizer {
    public enum Form: Sendable {
        case nfc, nfd, nfkc, nfkd, nfkcCasefold

        var code: Int32 {
            switch self {
            case .nfc: return LOOM_NORMALIZATION_NFC
            case .nfd: return LOOM_NORMALIZATION_NFD
            case .nfkc: return LOOM_NORMALIZATION_NFKC
            case .nfkd: return LOOM_NORMALIZATION_NFKD
            case .nfkcCasefold: return LOOM_NORMALIZATION_NFKC_CASEFOLD
            }
        }
    }

    public static func nfc(_ text: String) throws -> String { try normalize(text, form: .nfc) }
    public static func nfd(_ text: String) throws -> String { try normalize(text, form: .nfd) }
    public static func nfkc(_ text: String) throws -> String { try normalize(text, form: .nfkc) }
    public static func nfkd(_ text: String) throws -> String { try normalize(text, form: .nfkd) }
    public static func nfkcCasefold(_ text: String) throws -> String { try normalize(text, form: .nfkcCasefold) }

    public static func normalize(_ text: String, form: Form) throws -> String {
        if text.isEmpty { return text }
        let operation = "normalization (\(form))"
        let source = try ICUCall.utf16(text, operation: operation)
        // Normalization rarely grows text much; retry once with the size ICU asks for.
        var capacity = source.count + source.count / 4 + 16
        for _ in 0..<2 {
            var destination = [UInt16](repeating: 0, count: capacity)
            var status: Int32 = 0
            var icuCode: Int32 = 0
            let length = source.withUnsafeBufferPointer { sourceBuffer in
                destination.withUnsafeMutableBufferPointer { destinationBuffer in
                    loom_icu_normalize(form.code, sourceBuffer.baseAddress, Int32(sourceBuffer.count),
                                       destinationBuffer.baseAddress, Int32(capacity), &status, &icuCode)
                }
            }
            if status == LOOM_ICU_OK {
                return String(decoding: destination[..<Int(length)], as: UTF16.self)
            }
            if status != LOOM_ICU_BUFFER_TOO_SMALL { throw ICUError(operation: operation, code: icuCode) }
            capacity = Int(length)
        }
        throw ICUError(operation: operation, code: 0)
    }
}
