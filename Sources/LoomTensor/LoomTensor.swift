// LoomTensor module.
