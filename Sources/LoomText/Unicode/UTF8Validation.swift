import Foundation
import LoomCore

/// Input bytes that are not well-formed UTF-8, with the place of the first bad sequence.
public struct InvalidUTF8Error: Error, Equatable, CustomStringConvertible {
    /// Where the bytes came from: a file path, or a description such as "--text".
    public var source: String
    /// Offset, counted from 0, of the first byte of the first ill-formed sequence.
    public var byteOffset: Int
    /// 1-based line of that byte.
    public var line: Int

    public var description: String {
        "invalid UTF-8 in \(source) at byte offset \(byteOffset) (line \(line)); "
            + "pass --lossy to replace invalid sequences with U+FFFD"
    }
}

/// Checks and decodes UTF-8 by the rules of RFC 3629 (no overlong forms, no surrogates,
/// nothing above U+10FFFF).
public enum UTF8Validation {
    /// The offset of the first byte of the first ill-formed sequence, or nil when all is valid.
    public static func firstInvalidOffset(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let count = bytes.count
        guard let base = bytes.baseAddress else { return nil }
        var index = 0
        while index < count {
            // Most text is ASCII, so skip eight ASCII bytes at a time.
            while index + 8 <= count {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 != 0 { break }
                index += 8
            }
            if index >= count { break }
            let lead = base[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length = sequenceLength(base, index, count)
            if length == 0 { return index }
            index += length
        }
        return nil
    }

    public static func firstInvalidOffset(in bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { firstInvalidOffset(in: $0) }
    }

    /// Length of the valid multi-byte sequence starting at `index`, or 0 when it is ill-formed.
    @inline(__always)
    private static func sequenceLength(_ base: UnsafePointer<UInt8>, _ index: Int, _ count: Int) -> Int {
        let lead = base[index]
        func continuation(_ offset: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool {
            guard index + offset < count else { return false }
            let byte = base[index + offset]
            return byte >= low && byte <= high
        }
        switch lead {
        case 0xC2...0xDF:
            return continuation(1) ? 2 : 0
        case 0xE0:
            return continuation(1, 0xA0) && continuation(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return continuation(1) && continuation(2) ? 3 : 0
        case 0xED:
            return continuation(1, 0x80, 0x9F) && continuation(2) ? 3 : 0
        case 0xF0:
            return continuation(1, 0x90) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF1...0xF3:
            return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF4:
            return continuation(1, 0x80, 0x8F) && continuation(2) && continuation(3) ? 4 : 0
        default:
            return 0
        }
    }

    /// Decodes `bytes` as UTF-8. Strict mode throws at the first ill-formed sequence; lossy mode
    /// replaces each ill-formed sequence with U+FFFD.
    public static func decode(_ bytes: [UInt8], source: String, lossy: Bool = false) throws -> String {
        if !lossy, let offset = firstInvalidOffset(in: bytes) {
            let line = bytes[..<offset].reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
            throw InvalidUTF8Error(source: source, byteOffset: offset, line: line)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A file that could not be read, with the path and the reason.
public struct TextFileError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot read \(path): \(reason)" }
}

public enum TextFile {
    /// Reads a whole file as UTF-8 text, validating it (or replacing bad sequences when `lossy`).
    public static func read(_ path: String, lossy: Bool = false) throws -> String {
        try UTF8Validation.decode(readBytes(path), source: path, lossy: lossy)
    }

    public static func readBytes(_ path: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TextFileError(path: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw TextFileError(path: path, reason: "is a directory") }
        do { return try FileBytes.read(path) } catch let failure as FileBytes.Failure {
            throw TextFileError(path: path, reason: "cannot read: \(failure.reason)")
        }
    }
}
