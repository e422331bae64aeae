// The umbrella module: `import Loom` brings in the whole library.
@_exported import LoomCore
@_exported import LoomTensor
@_exported import LoomNN
@_exported import LoomText
@_exported import LoomData
@_exported import LoomModels
