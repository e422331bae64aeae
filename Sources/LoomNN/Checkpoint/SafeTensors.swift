import Foundation
import LoomTensor

/// The safetensors format (readable by PyTorch, NumPy and the Hugging Face tools):
/// an 8-byte little-endian header length, a JSON header mapping each name to its dtype,
/// shape and byte range, then the raw little-endian data.
///
/// Reading validates everything and throws an error naming the file and the tensor;
/// it never traps. Every numeric dtype is converted to Float32 on load.
public struct SafeTensors {
    public var tensors: [String: Tensor]
    /// Names in file order (by data offset), for listing and stable iteration.
    public var names: [String]
    public var metadata: [String: String]

    public init(tensors: [(String, Tensor)], metadata: [String: String] = [:]) {
        self.tensors = Dictionary(tensors, uniquingKeysWith: { $1 })
        self.names = tensors.map(\.0)
        self.metadata = metadata
    }

    private static let sizes: [String: Int] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
    ]

    public static func read(_ url: URL) throws -> SafeTensors {
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw LoomError("cannot read \(url.path): \(error.localizedDescription)")
        }
        return try parse(data, file: url.path)
    }

    public static func parse(_ data: Data, file: String) throws -> SafeTensors {
        func fail(_ what: String) -> LoomError { LoomError("\(file): \(what)") }
        guard data.count >= 8 else { throw fail("too short to be a safetensors file (\(data.count) bytes)") }
        var headerLength: UInt64 = 0
        for (i, byte) in data.prefix(8).enumerated() { headerLength |= UInt64(byte) << UInt64(8 * i) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail("header length \(headerLength) runs past the end of the file (\(data.count) bytes): truncated or not safetensors")
        }
        let headerEnd = 8 + Int(headerLength)
        let header = data[data.startIndex + 8 ..< data.startIndex + headerEnd]
        guard let json = try? JSONSerialization.jsonObject(with: header), let object = json as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        let dataLength = data.count - headerEnd
        var metadata: [String: String] = [:]
        var entries: [(name: String, begin: Int, end: Int, dtype: String, shape: [Int])] = []
        for (name, value) in object {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw fail("metadata value of '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any] else { throw fail("tensor '\(name)': entry is not an object") }
            guard let dtype = info["dtype"] as? String, let size = sizes[dtype] else {
                throw fail("tensor '\(name)': unsupported dtype \(info["dtype"] ?? "missing")")
            }
            guard let shapeValues = info["shape"] as? [Any] else { throw fail("tensor '\(name)': missing shape") }
            var shape: [Int] = []
            for d in shapeValues {
                guard let n = (d as? NSNumber)?.intValue, n >= 0, n < Int(Int32.max) else { throw fail("tensor '\(name)': bad shape \(shapeValues)") }
                shape.append(n)
            }
            guard let offsets = info["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = (offsets[0] as? NSNumber)?.intValue, let end = (offsets[1] as? NSNumber)?.intValue,
                  begin >= 0, begin <= end else {
                throw fail("tensor '\(name)': bad data_offsets")
            }
            guard end <= dataLength else {
                throw fail("tensor '\(name)': bytes \(begin)..<\(end) run past the end of the data (\(dataLength) bytes): file truncated?")
            }
            var elements = 1
            for d in shape { elements = elements.multipliedReportingOverflow(by: d).partialValue }
            guard elements * size == end - begin else {
                throw fail("tensor '\(name)': shape \(shape) of \(dtype) needs \(elements * size) bytes, data_offsets give \(end - begin)")
            }
            entries.append((name, begin, end, dtype, shape))
        }
        entries.sort { $0.begin < $1.begin }
        var expected = 0
        for e in entries {
            guard e.begin == expected else { throw fail("tensor '\(e.name)': data is not contiguous (starts at \(e.begin), expected \(expected))") }
            expected = e.end
        }
        guard expected == dataLength else { throw fail("\(dataLength - expected) bytes of data after the last tensor") }
        var tensors: [String: Tensor] = [:]
        data.withUnsafeBytes { raw in
            let base = raw.baseAddress! + headerEnd
            for e in entries {
                let t = Tensor(uninitializedShape: e.shape)
                decode(base + e.begin, dtype: e.dtype, count: t.count, into: t.pointer)
                tensors[e.name] = t
            }
        }
        return SafeTensors(tensors: entries.map { ($0.name, tensors[$0.name]!) }, metadata: metadata)
    }

    private static func decode(_ source: UnsafeRawPointer, dtype: String, count: Int, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            switch dtype {
            case "F32": out[i] = Float(bitPattern: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian)
            case "F64": out[i] = Float(Double(bitPattern: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).littleEndian))
            case "F16": out[i] = Float(halfBits: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)
            case "BF16": out[i] = Float(bitPattern: UInt32(source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) << 16)
            case "I64": out[i] = Float(Int64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
            case "I32": out[i] = Float(Int32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
            case "I16": out[i] = Float(Int16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
            case "I8": out[i] = Float(source.load(fromByteOffset: i, as: Int8.self))
            default: out[i] = Float(source.load(fromByteOffset: i, as: UInt8.self))
            }
        }
    }

    /// The file's bytes: tensors in the order given, F32, header padded to 8 bytes.
    public func serialized() -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        for name in names {
            let t = tensors[name]!
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.count]]
            offset += 4 * t.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var data = Data(capacity: 8 + json.count + offset)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(json)
        for name in names {
            let t = tensors[name]!
            // Float32 is stored little-endian, which is this machine's order.
            data.append(UnsafeBufferPointer(start: t.pointer, count: t.count))
        }
        return data
    }

    /// Writes atomically (temporary file, fsync, rename).
    public func write(to url: URL) throws { try AtomicFile.write(serialized(), to: url) }

    /// The tensor called `name`, or an error naming the file and the tensor.
    public func tensor(_ name: String, file: String = "") throws -> Tensor {
        guard let t = tensors[name] else { throw LoomError("\(file.isEmpty ? "" : file + ": ")missing tensor '\(name)'") }
        return t
    }
}

extension Float {
    /// IEEE half precision bits to Float.
    init(halfBits h: UInt16) {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            self = (sign != 0 ? -1 : 1) * Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        } else if exponent == 31 {
            self = Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        } else {
            self = Float(bitPattern: sign | UInt32(exponent + 112) << 23 | (mantissa << 13))
        }
    }
}
