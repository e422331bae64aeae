import LoomNN
import LoomTensor

/// Reading GPT-2 weights saved by PyTorch programs: nanoGPT state dicts and Hugging Face
/// `GPT2LMHeadModel` files.
extension GPT {
    /// Loads a nanoGPT `state_dict()` saved as safetensors. Tolerates what nanoGPT adds
    /// beside the weights: the `_orig_mod.` prefix of a compiled model, the causal-mask
    /// buffers `attn.bias` of older versions, and `lm_head.weight`, which must equal the
    /// tied `transformer.wte.weight`. Everything else is strict (see `Module.load`).
    public func load(nanoGPTStateDict stateDict: [String: Tensor], file: String) throws {
        var weights: [String: Tensor] = [:]
        for (name, tensor) in stateDict {
            let key = name.hasPrefix("_orig_mod.") ? String(name.dropFirst("_orig_mod.".count)) : name
            if key.hasSuffix(".attn.bias") || key.hasSuffix(".attn.masked_bias") { continue }
            weights[key] = tensor
        }
        if let head = weights.removeValue(forKey: "lm_head.weight") {
            guard let embedding = weights["transformer.wte.weight"], embedding.shape == head.shape,
                  embedding.scalars == head.scalars else {
                throw LoomError("\(file): lm_head.weight differs from transformer.wte.weight; Loom's GPT ties the two, so an untied output projection cannot load")
            }
        }
        try load(stateDict: weights, strict: true, file: file)
    }

    /// Renames a Hugging Face GPT-2 state dict to nanoGPT's names: adds the `transformer.`
    /// prefix that `GPT2Model` files lack, and transposes the Conv1D weights, which Hugging
    /// Face stores as [in, out] where `nn.Linear` has [out, in].
    public static func nanoGPTStateDict(fromHuggingFace stateDict: [String: Tensor], file: String) throws -> [String: Tensor] {
        let conv1DSuffixes = [".attn.c_attn.weight", ".attn.c_proj.weight", ".mlp.c_fc.weight", ".mlp.c_proj.weight"]
        var result: [String: Tensor] = [:]
        for (name, tensor) in stateDict {
            let key = name.hasPrefix("transformer.") || name.hasPrefix("lm_head.") ? name : "transformer." + name
            if conv1DSuffixes.contains(where: key.hasSuffix) {
                guard tensor.rank == 2 else {
                    throw LoomError("\(file): tensor '\(name)' has shape \(tensor.shape); a Conv1D weight is a matrix")
                }
                result[key] = withoutGradients { tensor.transposed() }
            } else {
                result[key] = tensor
            }
        }
        return result
    }
}
