/// The version written into every checkpoint's config.json and printed by `loom --version`.
public enum LoomVersion {
    public static let string = "0.1.0"
}
