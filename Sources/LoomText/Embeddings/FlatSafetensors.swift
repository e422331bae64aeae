import Foundation

/// A minimal reader and writer for the safetensors format: an 8-byte little-endian header
/// length, a JSON header naming each tensor's dtype, shape and byte range, then raw data.
/// The text models need only F32, F64, I32 and I64 tensors, so that is all this handles.
enum FlatSafetensors {
    enum Values {
        case float32([Float])
        case float64([Double])
        case int32([Int32])
        case int64([Int64])

        var dtype: String {
            switch self {
            case .float32: return "F32"
            case .float64: return "F64"
            case .int32: return "I32"
            case .int64: return "I64"
            }
        }
        var byteCount: Int {
            switch self {
            case .float32(let v): return v.count * 4
            case .float64(let v): return v.count * 8
            case .int32(let v): return v.count * 4
            case .int64(let v): return v.count * 8
            }
        }
        var elementCount: Int { byteCount / (dtype == "I64" || dtype == "F64" ? 8 : 4) }
    }

    struct Tensor {
        var shape: [Int]
        var values: Values
    }

    static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) -> Data {
        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let entries = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(entries.joined(separator: ","))}")
        }
        var offset = 0
        for (name, tensor) in tensors {
            precondition(tensor.shape.reduce(1, *) == tensor.values.elementCount, "shape does not match values for \(name)")
            let end = offset + tensor.values.byteCount
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonString(name)):{\"dtype\":\"\(tensor.values.dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var data = Data(capacity: 8 + headerBytes.count + offset)
        var length = UInt64(headerBytes.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(contentsOf: headerBytes)
        for (_, tensor) in tensors {
            switch tensor.values {
            case .float32(let v): v.withUnsafeBytes { data.append(contentsOf: $0) }
            case .float64(let v): v.withUnsafeBytes { data.append(contentsOf: $0) }
            case .int32(let v): v.withUnsafeBytes { data.append(contentsOf: $0) }
            case .int64(let v): v.withUnsafeBytes { data.append(contentsOf: $0) }
            }
        }
        return data
    }

    static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to path: String) throws {
        try TextModelFiles.writeAtomically(encode(tensors, metadata: metadata), to: path)
    }

    /// Reads every tensor, checking the header, dtypes, shapes and byte ranges.
    static func read(_ path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TextModelError("cannot read file \(path)")
        }
        guard data.count >= 8 else { throw TextModelError("\(path): too short for a safetensors file") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | (UInt64($1.element) << (8 * UInt64($1.offset))) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw TextModelError("\(path): header length \(headerLength) runs past the end of the file")
        }
        let dataStart = 8 + Int(headerLength)
        let headerData = data.subdata(in: 8..<dataStart)
        guard let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any] else {
            throw TextModelError("\(path): header is not a JSON object")
        }
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                metadata = (value as? [String: String]) ?? [:]
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw TextModelError("\(path): tensor \(name) has a malformed header entry")
            }
            let width: Int
            switch dtype {
            case "F32", "I32": width = 4
            case "I64", "F64": width = 8
            default: throw TextModelError("\(path): tensor \(name) has unsupported dtype \(dtype)")
            }
            let elements = shape.reduce(1, *)
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[1] >= offsets[0],
                  offsets[1] - offsets[0] == elements * width, dataStart + offsets[1] <= data.count else {
                throw TextModelError("\(path): tensor \(name) byte range \(offsets) does not fit its shape \(shape) or the file")
            }
            let bytes = data.subdata(in: (dataStart + offsets[0])..<(dataStart + offsets[1]))
            let values: Values
            switch dtype {
            case "F32": values = .float32(bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) })
            case "F64": values = .float64(bytes.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) })
            case "I32": values = .int32(bytes.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) })
            default: values = .int64(bytes.withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) })
            }
            tensors[name] = Tensor(shape: shape, values: values)
        }
        return (tensors, metadata)
    }

    static func floats(_ tensors: [String: Tensor], _ name: String, shape: [Int]? = nil, file: String) throws -> [Float] {
        guard let tensor = tensors[name] else { throw TextModelError("\(file): missing tensor \(name)") }
        guard case .float32(let values) = tensor.values else { throw TextModelError("\(file): tensor \(name) is not F32") }
        if let shape, shape != tensor.shape {
            throw TextModelError("\(file): tensor \(name) has shape \(tensor.shape), expected \(shape)")
        }
        return values
    }

    static func doubles(_ tensors: [String: Tensor], _ name: String, count: Int, file: String) throws -> [Double] {
        guard let tensor = tensors[name] else { throw TextModelError("\(file): missing tensor \(name)") }
        guard case .float64(let values) = tensor.values, tensor.shape == [count] else {
            throw TextModelError("\(file): tensor \(name) must be F64 of shape [\(count)], found \(tensor.values.dtype) \(tensor.shape)")
        }
        return values
    }

    static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 { result += String(format: "\\u%04x", scalar.value) } else { result.unicodeScalars.append(scalar) }
            }
        }
        return result + "\""
    }
}
