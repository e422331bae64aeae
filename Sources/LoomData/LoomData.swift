// LoomData module.
