/// Encodes UTF-8 text with a `BPEModel` on one thread, caching the ids of each distinct
/// pre-token (natural text repeats a few thousand words most of the time).
final class BPEEncoder {
    private let model: BPEModel
    private var cache: ByteStringTable
    /// Ids of cached pre-tokens; a cache value packs offset << 24 | count into this.
    private var cachedIDs: [Int32] = []
    private var merger: BPEWordMerger
    private var byteIDs: [Int32] = []
    private var pieceIDs: [Int32] = []
    /// Beyond this many distinct pre-tokens the cache starts over, bounding memory.
    private static let cacheLimit = 1 << 20

    /// `expectedBytes` sizes the cache, so encoding a short string stays cheap.
    init(model: BPEModel, expectedBytes: Int) {
        self.model = model
        cache = ByteStringTable(minimumCapacity: min(8192, max(16, expectedBytes / 8)))
        merger = BPEWordMerger(table: model.mergeTable)
    }

    deinit { merger.release() }

    /// Encodes `start..<end` of `base`. `endsText` says whether `end` is the true end of the
    /// text rather than a split made for parallel work (see `BPETokenizer.splitPoints`).
    func encode(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int, endsText: Bool, into output: inout [Int]) {
        var position = start
        let matcher = model.addedTokenMatcher
        while position < end {
            let match = matcher.isEmpty ? nil : matcher.firstMatch(in: base, from: position, to: end)
            let segmentEnd = match?.start ?? end
            if segmentEnd > position {
                // Pieces between added tokens are pre-tokenized on their own, as separate texts.
                encodeSegment(base, from: position, to: segmentEnd, endsText: match != nil || endsText, into: &output)
            }
            guard let match else { break }
            output.append(match.id)
            position = match.end
        }
    }

    private func encodeSegment(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int, endsText: Bool,
                               into output: inout [Int]) {
        if model.options.addPrefixSpace && base[start] != 0x20 {
            var prefixed: [UInt8] = [0x20]
            prefixed.append(contentsOf: UnsafeBufferPointer(start: base + start, count: end - start))
            prefixed.withUnsafeBufferPointer { buffer in
                encodePieces(buffer.baseAddress!, from: 0, to: buffer.count, endsText: endsText, into: &output)
            }
            return
        }
        encodePieces(base, from: start, to: end, endsText: endsText, into: &output)
    }

    private func encodePieces(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int, endsText: Bool,
                              into output: inout [Int]) {
        let preTokenizer = ByteLevelPreTokenizer(base: base, end: end, endsText: endsText)
        preTokenizer.forEachPiece(from: start) { pieceStart, pieceEnd in
            encodePiece(base + pieceStart, pieceEnd - pieceStart, into: &output)
        }
    }

    @inline(__always)
    private func encodePiece(_ bytes: UnsafePointer<UInt8>, _ length: Int, into output: inout [Int]) {
        if length == 1 {
            let id = model.idForByte[Int(bytes[0])]
            if id >= 0 { output.append(Int(id)) } else if model.unknownID >= 0 { output.append(Int(model.unknownID)) }
            return
        }
        if let packed = cache.value(bytes, length) {
            let offset = Int(packed >> 24)
            let count = Int(packed & 0xFF_FFFF)
            cachedIDs.withUnsafeBufferPointer { ids in
                for index in offset..<(offset + count) { output.append(Int(ids[index])) }
            }
            return
        }
        pieceIDs.removeAll(keepingCapacity: true)
        if let lookup = model.idForBytes, let id = lookup.value(bytes, length) {
            pieceIDs.append(Int32(id))
        } else {
            mergePiece(bytes, length)
        }
        if cache.count >= Self.cacheLimit {
            cache = ByteStringTable(minimumCapacity: 8192)
            cachedIDs.removeAll(keepingCapacity: true)
        }
        if pieceIDs.count < 0xFF_FFFF {
            cache.set(bytes, length, UInt64(cachedIDs.count) << 24 | UInt64(pieceIDs.count))
            cachedIDs.append(contentsOf: pieceIDs)
        }
        for id in pieceIDs { output.append(Int(id)) }
    }

    private func mergePiece(_ bytes: UnsafePointer<UInt8>, _ length: Int) {
        byteIDs.removeAll(keepingCapacity: true)
        for index in 0..<length {
            let id = model.idForByte[Int(bytes[index])]
            if id >= 0 {
                byteIDs.append(id)
            } else if model.unknownID >= 0 {
                // Hugging Face's BPE emits the unknown token for each missing symbol.
                byteIDs.append(model.unknownID)
            }
        }
        byteIDs.withUnsafeBufferPointer { buffer in
            guard let start = buffer.baseAddress else { return }
            merger.merge(start, buffer.count, into: &pieceIDs)
        }
    }
}
