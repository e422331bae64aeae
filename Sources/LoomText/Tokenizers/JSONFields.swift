import Foundation

/// Typed access to a parsed JSON object, with errors that name the file and the key path.
struct JSONFields {
    let object: [String: Any]
    let file: String
    /// Dotted path of this object inside the file ("model"), empty at the top.
    let path: String

    static func parseFile(_ file: String) throws -> JSONFields {
        let bytes = try TextFile.readBytes(file)
        return try parse(Data(bytes), file: file)
    }

    static func parse(_ data: Data, file: String) throws -> JSONFields {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw TokenizerError.malformedFile(path: file, reason: "not valid JSON (\(detail))")
        }
        guard let object = value as? [String: Any] else {
            throw TokenizerError.malformedFile(path: file, reason: "the top level must be a JSON object")
        }
        return JSONFields(object: object, file: file, path: "")
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func fail(_ key: String, _ problem: String) -> TokenizerError {
        .malformedFile(path: file, reason: "\(name(key)): \(problem)")
    }

    func has(_ key: String) -> Bool { object[key] != nil }

    func isNull(_ key: String) -> Bool { object[key] == nil || object[key] is NSNull }

    func string(_ key: String) throws -> String {
        guard let value = object[key] else { throw fail(key, "missing") }
        guard let text = value as? String else { throw fail(key, "expected a string") }
        return text
    }

    func optionalString(_ key: String) throws -> String? {
        if isNull(key) { return nil }
        return try string(key)
    }

    func int(_ key: String) throws -> Int {
        guard let value = object[key] else { throw fail(key, "missing") }
        guard let number = Self.integer(value) else { throw fail(key, "expected an integer") }
        return number
    }

    func bool(_ key: String, default fallback: Bool) throws -> Bool {
        if isNull(key) { return fallback }
        guard let value = object[key], Self.isBool(value), let flag = value as? Bool else {
            throw fail(key, "expected true or false")
        }
        return flag
    }

    func fields(_ key: String) throws -> JSONFields {
        guard let value = object[key] else { throw fail(key, "missing") }
        guard let nested = value as? [String: Any] else { throw fail(key, "expected an object") }
        return JSONFields(object: nested, file: file, path: name(key))
    }

    func optionalFields(_ key: String) throws -> JSONFields? {
        if isNull(key) { return nil }
        return try fields(key)
    }

    func array(_ key: String) throws -> [Any] {
        guard let value = object[key] else { throw fail(key, "missing") }
        guard let items = value as? [Any] else { throw fail(key, "expected an array") }
        return items
    }

    func stringArray(_ key: String) throws -> [String] {
        let items = try array(key)
        return try items.enumerated().map { index, item in
            guard let text = item as? String else { throw fail("\(key)[\(index)]", "expected a string") }
            return text
        }
    }

    func element(_ key: String, _ index: Int, _ value: Any) throws -> JSONFields {
        guard let nested = value as? [String: Any] else { throw fail("\(key)[\(index)]", "expected an object") }
        return JSONFields(object: nested, file: file, path: name("\(key)[\(index)]"))
    }

    /// Whether a parsed value was `true` or `false` (Foundation hands both numbers and
    /// booleans over as NSNumber).
    static func isBool(_ value: Any) -> Bool {
        if let number = value as? NSNumber { return String(cString: number.objCType) == "c" }
        return value is Bool
    }

    /// An integral JSON number; rejects booleans, fractions and values that do not fit an Int.
    static func integer(_ value: Any) -> Int? {
        if isBool(value) { return nil }
        if let number = value as? Int { return number }
        if let number = value as? Double, number.rounded() == number, abs(number) < 9e15 { return Int(number) }
        return nil
    }
}

/// Builds JSON text with a fixed key order, so saved files are stable and diffable.
enum JSONText {
    static func quoted(_ text: String) -> String {
        var result = "\""
        result.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: false)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    static func array(_ items: [String], indent: String = "") -> String {
        if items.isEmpty { return "[]" }
        return "[\n" + items.map { indent + "  " + $0 }.joined(separator: ",\n") + "\n" + indent + "]"
    }
}
