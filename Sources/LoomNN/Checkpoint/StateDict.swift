import LoomTensor

extension Module {
    /// Every parameter and buffer by its PyTorch-style name, in declaration order. The
    /// tensors share storage with the module; copy them to keep a snapshot.
    public func stateDict() -> [(String, Tensor)] {
        namedParameters().map { ($0.0, $0.1.value.detached()) }
    }

    /// Copies `stateDict` into this module's parameters and buffers.
    ///
    /// Strict loading (the default) throws on a missing key and on an unused key; a shape
    /// mismatch always throws. Errors name `file` and the tensor. Everything is checked
    /// before any value changes, so a failed load leaves the module as it was.
    public func load(stateDict: [String: Tensor], strict: Bool = true, file: String = "state dict") throws {
        let named = namedParameters()
        var known = Set<String>()
        var assignments: [(Parameter, Tensor)] = []
        for (name, p) in named {
            known.insert(name)
            guard let t = stateDict[name] else {
                if strict { throw LoomError("\(file): missing tensor '\(name)' (shape \(p.shape))") }
                continue
            }
            guard t.shape == p.shape else {
                throw LoomError("\(file): tensor '\(name)' has shape \(t.shape), but the model expects \(p.shape)")
            }
            assignments.append((p, t))
        }
        if strict, let unused = stateDict.keys.sorted().first(where: { !known.contains($0) }) {
            throw LoomError("\(file): unused tensor '\(unused)': the model has no parameter or buffer of that name")
        }
        for (p, t) in assignments { p.assign(t.pointer) }
    }

    public func load(stateDict: [(String, Tensor)], strict: Bool = true, file: String = "state dict") throws {
        try load(stateDict: Dictionary(stateDict, uniquingKeysWith: { $1 }), strict: strict, file: file)
    }
}
