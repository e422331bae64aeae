import Foundation
import LoomCore

/// The corpora Loom trains and evaluates on, each built from an installed Debian package.
public enum CorpusPart: String, CaseIterable, Sendable, Codable {
    case kjv
    case fortunes
    case cmudict
    case deuEng = "deu-eng"
    case fashionMNIST = "fashion-mnist"

    public var packages: [String] {
        switch self {
        case .kjv: return [BibleCorpus.package]
        case .fortunes: return FortuneCorpus.collections.filter(\.required).map(\.package)
        case .cmudict: return [PronunciationCorpus.package]
        case .deuEng: return [DictionaryCorpus.package]
        case .fashionMNIST: return [FashionMNISTCorpus.package]
        }
    }
}

/// Builds `corpora/` from the installed packages. Every file is written atomically and
/// left alone when it already holds the same bytes, so a second run verifies the first.
public enum CorpusBuilder {
    /// Builds the requested parts into `directory` and reports every file.
    /// A missing package is reported before any file is written.
    @discardableResult
    public static func build(into directory: URL, parts: [CorpusPart] = CorpusPart.allCases,
                             log: @escaping (String) -> Void = { _ in }) throws -> CorpusReport {
        let missing = parts.flatMap(\.packages).filter { !DebianPackages.isInstalled($0) }
        if let first = missing.first {
            if missing.count == 1 { throw DebianPackages.notInstalled(first) }
            let list = missing.joined(separator: " ")
            throw DataError("\(list) are not installed: run tools/setup or apt-get install \(list)")
        }
        try AtomicFile.createDirectory(directory)
        let writer = CorpusWriter(directory: directory, log: log)
        for part in parts {
            log("\(part.rawValue): reading \(part.packages.joined(separator: ", "))")
            switch part {
            case .kjv: try BibleCorpus.build(writer)
            case .fortunes: try FortuneCorpus.build(writer, log: log)
            case .cmudict: try PronunciationCorpus.build(writer)
            case .deuEng: try DictionaryCorpus.build(writer)
            case .fashionMNIST: try FashionMNISTCorpus.build(writer)
            }
        }
        return CorpusReport(directory: directory.path, files: writer.files)
    }
}

/// Fashion-MNIST's four IDX files, checked (magic numbers, sizes, labels) and copied as they are.
enum FashionMNISTCorpus {
    static let package = "dataset-fashion-mnist"

    static func build(_ writer: CorpusWriter) throws {
        var sources: [String: URL] = [:]
        for name in FashionMNIST.fileNames {
            sources[name] = try DebianPackages.file(of: package, endingWith: "/" + name)
        }
        let folder = sources[FashionMNIST.fileNames[0]]!.deletingLastPathComponent()
        let counts = [
            "train": try FashionMNIST.load(directory: folder, split: .train).count,
            "t10k": try FashionMNIST.load(directory: folder, split: .test).count,
        ]
        for name in FashionMNIST.fileNames {
            let url = sources[name]!
            let prefix = String(name.prefix { $0 != "-" })
            let unit = name.contains("images") ? "images" : "labels"
            try writer.write("fashion-mnist/\(name)", readFileBytes(url), count: counts[prefix] ?? 0, unit: unit, package: package)
        }
    }
}
