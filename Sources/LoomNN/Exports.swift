// Users of the networks also see the shared error type and crash-safe writes.
@_exported import LoomCore
