import ArgumentParser
import Loom

/// The image generators `loom images train|sample|score` know, by the `kind` written in a
/// checkpoint's config.json (and given to `--model`). Adding a generator is one line here.
struct GeneratorKind {
    let training: any ImageGeneratorTraining.Type
    let sampler: any ImageGeneratorSampler.Type
    /// `--lr` when none is given.
    let learningRate: Float
    /// The model-specific flags (as `ImageGeneratorOptions.settings` names) that apply.
    let settingNames: Set<String>
    /// The model-specific choices (as `ImageGeneratorOptions.choices` names) that apply.
    var choiceNames: Set<String> = []
}

enum GeneratorKinds {
    static let table: [String: GeneratorKind] = [
        "vae": GeneratorKind(training: VAETrainer.self, sampler: VAESampler.self, learningRate: 1e-3,
                             settingNames: VAETrainer.settingNames),
        "gan": GeneratorKind(training: GANTrainer.self, sampler: GANSampler.self, learningRate: 2e-4,
                             settingNames: GANTrainer.settingNames, choiceNames: GANTrainer.choiceNames),
        "diffusion": GeneratorKind(training: DiffusionTrainer.self, sampler: DiffusionSampler.self, learningRate: 8e-4,
                                   settingNames: DiffusionTrainer.settingNames),
    ]

    /// Names `--model` accepts, including generators this build may lack.
    static let names = ["vae", "gan", "diffusion"]

    static func lookup(_ name: String, where place: String) throws -> GeneratorKind {
        if let kind = table[name] { return kind }
        if names.contains(name) {
            throw ValidationError("\(place): the '\(name)' generator is not part of this build of loom (available: \(table.keys.sorted().joined(separator: ", ")))")
        }
        throw ValidationError("\(place): unknown generator '\(name)' (expected one of \(names.joined(separator: ", ")))")
    }
}
