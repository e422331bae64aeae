import LoomTensor

extension Module {
    /// Every module below this one (itself included) with its dotted path ("" for itself).
    public func namedModules(prefix: String = "") -> [(String, Module)] {
        var result: [(String, Module)] = [(prefix, self)]
        for (name, child) in namedChildren {
            result += child.namedModules(prefix: prefix.isEmpty ? name : prefix + "." + name)
        }
        return result
    }

    /// The generator of each randomized layer (dropout), by module path, for the trainer state.
    public func randomGeneratorStates() -> [String: RandomGenerator] {
        var result: [String: RandomGenerator] = [:]
        for (name, module) in namedModules() {
            if let layer = module as? any RandomizedLayer { result[name] = layer.generator }
        }
        return result
    }

    /// Restores generators saved by `randomGeneratorStates()`; the saved set must name
    /// exactly this model's randomized layers.
    public func restoreRandomGenerators(_ states: [String: RandomGenerator], file: String) throws {
        var layers: [String: any RandomizedLayer] = [:]
        for (name, module) in namedModules() {
            if let layer = module as? any RandomizedLayer { layers[name] = layer }
        }
        if let missing = layers.keys.sorted().first(where: { states[$0] == nil }) {
            throw LoomError("\(file): no generator state for randomized layer '\(missing)'")
        }
        if let unused = states.keys.sorted().first(where: { layers[$0] == nil }) {
            throw LoomError("\(file): generator state for '\(unused)', which is not a randomized layer of this model")
        }
        for (name, layer) in layers { layer.generator = states[name]! }
    }
}
