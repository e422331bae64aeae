import Foundation

/// Reading and writing Hugging Face `tokenizer.json` files for byte-level BPE.
///
/// Loom writes what the `tokenizers` library writes for a GPT-2-style tokenizer: no normalizer,
/// a ByteLevel pre-tokenizer (no prefix space, GPT-2's pattern), a ByteLevel decoder and
/// post-processor, and a BPE model without unknown token. It reads the same, plus the variants
/// that change nothing Loom cannot do (prefix space, `ignore_merges`, an unknown token, merges as
/// "a b" strings or as pairs). Anything else is refused with an error naming the feature.
extension BPETokenizer {
    public func save(to path: String) throws {
        try writeAtomically(huggingFaceJSON(), to: path)
    }

    public static func load(from path: String) throws -> BPETokenizer {
        try fromHuggingFace(JSONFields.parseFile(path))
    }

    /// The text of a `tokenizer.json` for this tokenizer.
    public func huggingFaceJSON() -> String {
        let prefixSpace = model.options.addPrefixSpace ? "true" : "false"
        let added = model.addedTokens.map { token in
            "{\"id\": \(token.id), \"content\": \(JSONText.quoted(token.content)), "
                + "\"single_word\": \(token.singleWord), \"lstrip\": \(token.leftStrip), "
                + "\"rstrip\": \(token.rightStrip), \"normalized\": \(token.normalized), \"special\": \(token.special)}"
        }
        var vocabulary: [String] = []
        vocabulary.reserveCapacity(model.modelTokens.count)
        for (id, token) in model.modelTokens.enumerated() {
            if let token { vocabulary.append("\(JSONText.quoted(token)): \(id)") }
        }
        // The "a b" form is read by every version of `tokenizers`; pairs are needed only when a
        // token holds a space, which byte-level tokens never do.
        let useStrings = !model.merges.contains { merge in
            [merge.first, merge.second].contains { model.modelTokens[Int($0)]!.contains(" ") }
        }
        let merges = model.merges.map { merge -> String in
            let first = model.modelTokens[Int(merge.first)]!, second = model.modelTokens[Int(merge.second)]!
            return useStrings ? JSONText.quoted(first + " " + second)
                : "[\(JSONText.quoted(first)), \(JSONText.quoted(second))]"
        }
        let unknown = model.options.unknownToken.map(JSONText.quoted) ?? "null"
        let byteLevel = "\"add_prefix_space\": \(prefixSpace), \"trim_offsets\": true, \"use_regex\": true"
        return """
        {
          "version": "1.0",
          "truncation": null,
          "padding": null,
          "added_tokens": \(JSONText.array(added, indent: "  ")),
          "normalizer": null,
          "pre_tokenizer": {"type": "ByteLevel", \(byteLevel)},
          "post_processor": {"type": "ByteLevel", "add_prefix_space": \(prefixSpace), "trim_offsets": false, "use_regex": true},
          "decoder": {"type": "ByteLevel", \(byteLevel)},
          "model": {
            "type": "BPE",
            "dropout": null,
            "unk_token": \(unknown),
            "continuing_subword_prefix": null,
            "end_of_word_suffix": null,
            "fuse_unk": false,
            "byte_fallback": false,
            "ignore_merges": \(model.options.ignoreMerges),
            "vocab": {
              \(vocabulary.joined(separator: ",\n      "))
            },
            "merges": \(JSONText.array(merges, indent: "    "))
          }
        }

        """
    }

    static func fromHuggingFace(_ file: JSONFields) throws -> BPETokenizer {
        let path = file.file
        func unsupported(_ feature: String) -> TokenizerError { .unsupported(path: path, feature: feature) }
        let model = try file.fields("model")
        let type = try model.optionalString("type") ?? "BPE"
        guard type == "BPE" else {
            throw unsupported("model type '\(type)'; Loom reads byte-level BPE tokenizers")
        }
        if !file.isNull("normalizer") {
            let kind = (try? file.fields("normalizer").string("type")) ?? "?"
            throw unsupported("normalizer '\(kind)'")
        }
        var options = BPEOptions()
        options.addPrefixSpace = try byteLevelPrefixSpace(file)
        if let decoder = try file.optionalFields("decoder"), try decoder.string("type") != "ByteLevel" {
            throw unsupported("decoder '\(try decoder.string("type"))'; Loom decodes byte-level tokens")
        }
        if !model.isNull("dropout") { throw unsupported("model.dropout (Loom encodes deterministically)") }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = try model.optionalString(key), !value.isEmpty { throw unsupported("model.\(key) \"\(value)\"") }
        }
        options.ignoreMerges = try model.bool("ignore_merges", default: false)
        options.unknownToken = try model.optionalString("unk_token")

        let vocabularyFields = try model.fields("vocab")
        var vocabulary: [String: Int] = [:]
        vocabulary.reserveCapacity(vocabularyFields.object.count)
        for (token, value) in vocabularyFields.object {
            guard let id = JSONFields.integer(value) else {
                throw vocabularyFields.fail(token, "expected an integer id")
            }
            vocabulary[token] = id
        }
        let merges = try readMerges(model)
        let addedTokens = try readAddedTokens(file)
        return try BPETokenizer(vocabulary: vocabulary, merges: merges, addedTokens: addedTokens,
                                options: options, source: path)
    }

    /// The ByteLevel pre-tokenizer's `add_prefix_space`; refuses other pre-tokenizers.
    private static func byteLevelPrefixSpace(_ file: JSONFields) throws -> Bool {
        guard var preTokenizer = try file.optionalFields("pre_tokenizer") else {
            throw TokenizerError.unsupported(path: file.file, feature: "a missing pre_tokenizer; Loom needs ByteLevel")
        }
        var kind = try preTokenizer.string("type")
        if kind == "Sequence" {
            let steps = try preTokenizer.array("pretokenizers")
            if steps.count == 1 {
                preTokenizer = try preTokenizer.element("pretokenizers", 0, steps[0])
                kind = try preTokenizer.string("type")
            }
        }
        guard kind == "ByteLevel" else {
            throw TokenizerError.unsupported(path: file.file, feature: "pre_tokenizer '\(kind)'; Loom implements ByteLevel")
        }
        guard try preTokenizer.bool("use_regex", default: true) else {
            throw TokenizerError.unsupported(path: file.file, feature: "a ByteLevel pre_tokenizer without GPT-2's pattern")
        }
        return try preTokenizer.bool("add_prefix_space", default: true)
    }

    private static func readMerges(_ model: JSONFields) throws -> [(String, String)] {
        let items = try model.array("merges")
        var merges: [(String, String)] = []
        merges.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            if let text = item as? String {
                let parts = text.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw model.fail("merges[\(index)]", "expected two tokens separated by one space, got \(JSONText.quoted(text))")
                }
                merges.append((String(parts[0]), String(parts[1])))
            } else if let pair = item as? [Any], pair.count == 2, let first = pair[0] as? String, let second = pair[1] as? String {
                merges.append((first, second))
            } else {
                throw model.fail("merges[\(index)]", "expected \"a b\" or [\"a\", \"b\"]")
            }
        }
        return merges
    }

    private static func readAddedTokens(_ file: JSONFields) throws -> [AddedToken] {
        if file.isNull("added_tokens") { return [] }
        let items = try file.array("added_tokens")
        return try items.enumerated().map { index, item in
            let entry = try file.element("added_tokens", index, item)
            let content = try entry.string("content")
            guard !content.isEmpty else { throw entry.fail("content", "must not be empty") }
            return AddedToken(id: try entry.int("id"), content: content,
                              special: try entry.bool("special", default: false),
                              singleWord: try entry.bool("single_word", default: false),
                              leftStrip: try entry.bool("lstrip", default: false),
                              rightStrip: try entry.bool("rstrip", default: false),
                              normalized: try entry.bool("normalized", default: true))
        }
    }
}
