import LoomTensor

/// The base of every layer and model.
///
/// Parameters and submodules are found by walking stored properties (`Parameter`,
/// `Module`, arrays and optionals of them), and named with PyTorch-style dotted paths
/// (`h.0.attn.c_attn.weight`). Those names are the checkpoint keys. A subclass renames a
/// property by overriding `propertyNames`.
open class Module {
    public private(set) var isTraining = true

    public init() {}

    /// Checkpoint names for properties whose Swift name differs (Swift name → saved name).
    /// An array renamed to "" names its elements by index alone, as `nn.Sequential` does.
    open var propertyNames: [String: String] { [:] }

    /// Direct children: (name, module) pairs in declaration order.
    public var namedChildren: [(String, Module)] {
        var result: [(String, Module)] = []
        visitProperties { name, value in
            if let m = value as? Module { result.append((name, m)) }
        }
        return result
    }

    /// Every parameter and buffer below this module, with dotted names, in declaration order.
    public func namedParameters(prefix: String = "") -> [(String, Parameter)] {
        var result: [(String, Parameter)] = []
        visitProperties { name, value in
            let full = prefix.isEmpty ? name : prefix + "." + name
            if let p = value as? Parameter { result.append((full, p)) }
            else if let m = value as? Module { result += m.namedParameters(prefix: full) }
        }
        return result
    }

    public var parameters: [Parameter] { namedParameters().map(\.1) }
    public var trainableParameters: [(String, Parameter)] { namedParameters().filter { $0.1.isTrainable } }
    public var parameterCount: Int { namedParameters().filter { $0.1.kind == .weight }.reduce(0) { $0 + $1.1.count } }

    /// Calls `body(name, value)` for each Parameter/Module reachable from stored properties,
    /// expanding arrays (`name.0`, `name.1`, ...) and optionals.
    private func visitProperties(_ body: (String, AnyObject) -> Void) {
        let renames = propertyNames
        var mirror: Mirror? = Mirror(reflecting: self)
        var mirrors: [Mirror] = []
        while let m = mirror { mirrors.append(m); mirror = m.superclassMirror }
        for m in mirrors.reversed() {
            for child in m.children {
                guard let label = child.label else { continue }
                let name = renames[label] ?? label
                visit(name, child.value, body)
            }
        }
    }

    private func visit(_ name: String, _ value: Any, _ body: (String, AnyObject) -> Void) {
        if let p = value as? Parameter { body(name, p); return }
        if let m = value as? Module { body(name, m); return }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            if let wrapped = mirror.children.first { visit(name, wrapped.value, body) }
        case .collection:
            for (i, element) in mirror.children.enumerated() {
                visit(name.isEmpty ? "\(i)" : "\(name).\(i)", element.value, body)
            }
        default:
            break
        }
    }

    /// Switches this module and all below it to training or evaluation behaviour
    /// (dropout, batch-norm statistics).
    public func train(_ on: Bool = true) {
        isTraining = on
        for (_, child) in namedChildren { child.train(on) }
    }

    public func eval() { train(false) }

    /// Freezes (or unfreezes) every weight below this module.
    public func freeze(_ frozen: Bool = true) {
        for p in parameters where p.kind == .weight { p.isFrozen = frozen }
    }

    public func zeroGrad() { for p in parameters { p.zeroGrad() } }
}

/// A module that maps one tensor to one tensor.
public protocol Layer: Module {
    func callAsFunction(_ x: Tensor) -> Tensor
}
