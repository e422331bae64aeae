/// Settings of a byte-level BPE that change how text is encoded.
public struct BPEOptions: Sendable, Equatable {
    /// Prepend a space to each piece of text between added tokens (RoBERTa does this).
    public var addPrefixSpace = false
    /// Look a whole pre-token up in the vocabulary before applying merges (Llama 3 does this).
    public var ignoreMerges = false
    /// The token that stands for bytes missing from the vocabulary; nil drops them, as
    /// Hugging Face does. Vocabularies made by Loom hold all 256 bytes, so nothing is dropped.
    public var unknownToken: String?

    public init(addPrefixSpace: Bool = false, ignoreMerges: Bool = false, unknownToken: String? = nil) {
        self.addPrefixSpace = addPrefixSpace
        self.ignoreMerges = ignoreMerges
        self.unknownToken = unknownToken
    }
}

/// One merge rule: `first` followed by `second` becomes `result`; earlier rules apply first.
public struct BPEMerge: Sendable, Equatable {
    public var first: Int32
    public var second: Int32
    public var result: Int32
}

/// The immutable tables of a byte-level BPE. Encoding threads share one model.
final class BPEModel: @unchecked Sendable {
    /// Token strings by id: byte-level strings for model tokens, plain text for added tokens;
    /// nil for ids no token uses.
    let tokens: [String?]
    /// The model's own vocabulary by id, before added tokens are laid over it (what
    /// `tokenizer.json` stores under `model.vocab`).
    let modelTokens: [String?]
    /// The bytes each id decodes to.
    let bytesForID: [[UInt8]]
    /// The id of each single byte, or -1.
    let idForByte: [Int32]
    let merges: [BPEMerge]
    /// Pair of ids -> rank << 32 | result id.
    let mergeTable: PairTable
    let addedTokens: [AddedToken]
    let addedTokenMatcher: AddedTokenMatcher
    let options: BPEOptions
    let unknownID: Int32
    /// Byte string -> id of every model token, used only when `options.ignoreMerges`.
    let idForBytes: ByteStringTable?
    /// Model tokens and added tokens by their string.
    let idForToken: [String: Int]

    /// `tokens` covers model tokens; added tokens may reuse one of those ids or take new ones.
    init(tokens modelTokens: [String?], merges: [BPEMerge], addedTokens: [AddedToken], options: BPEOptions) {
        var tokens = modelTokens
        for token in addedTokens {
            if token.id >= tokens.count { tokens += [String?](repeating: nil, count: token.id + 1 - tokens.count) }
            tokens[token.id] = token.content
        }
        let addedIDs = Set(addedTokens.map(\.id))
        var bytesForID = [[UInt8]](repeating: [], count: tokens.count)
        var idForString: [String: Int32] = [:]
        for (id, token) in tokens.enumerated() {
            guard let token else { continue }
            if addedIDs.contains(id) {
                bytesForID[id] = Array(token.utf8)
                continue
            }
            idForString[token] = Int32(id)
            // A vocabulary entry outside the byte alphabet decodes to its own UTF-8, as in Hugging Face.
            bytesForID[id] = ByteLevelAlphabet.bytes(for: token) ?? Array(token.utf8)
        }
        var idForByte = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            idForByte[byte] = idForString[String(ByteLevelAlphabet.scalarForByte[byte])] ?? -1
        }
        let table = PairTable(minimumCapacity: merges.count)
        for (rank, merge) in merges.enumerated() {
            table.set(PairTable.key(merge.first, merge.second), UInt64(rank) << 32 | UInt64(UInt32(merge.result)))
        }
        if options.ignoreMerges {
            let lookup = ByteStringTable(minimumCapacity: tokens.count)
            for (id, bytes) in bytesForID.enumerated() where !bytes.isEmpty && !addedIDs.contains(id) {
                bytes.withUnsafeBufferPointer { lookup.set($0.baseAddress!, $0.count, UInt64(id)) }
            }
            idForBytes = lookup
        } else {
            idForBytes = nil
        }
        self.tokens = tokens
        self.modelTokens = modelTokens
        self.bytesForID = bytesForID
        self.idForByte = idForByte
        self.merges = merges
        self.mergeTable = table
        self.addedTokens = addedTokens
        self.addedTokenMatcher = AddedTokenMatcher(addedTokens)
        self.options = options
        self.unknownID = options.unknownToken.flatMap { idForString[$0] } ?? -1
        var idForToken = idForString.mapValues(Int.init)
        for token in addedTokens { idForToken[token.content] = token.id }
        self.idForToken = idForToken
    }

    var vocabSize: Int { tokens.count }

    /// Id of a token string (byte-level for model tokens, plain for added tokens), or nil.
    func id(forToken token: String) -> Int? { idForToken[token] }
}
