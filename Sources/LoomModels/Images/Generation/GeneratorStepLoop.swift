import Foundation
import LoomNN

/// The step loop the generator trainers share: poll for an interrupt (save, then throw
/// `TrainingInterrupted`), train one step, stop on a non-finite loss, report, and save every
/// `options.saveEvery` steps and at the end.
///
/// `trainStep` advances the trainer's step count and returns the value checked for
/// divergence and the step's named losses for the report.
func runGeneratorSteps(
    options: ImageGeneratorOptions, directory: URL, step: () -> Int,
    shouldStop: () -> Bool, report: (ImageGeneratorEvent) -> Void,
    save: (URL) throws -> Void, trainStep: () throws -> (check: Float, losses: [(name: String, value: Float)])
) throws {
    while step() < options.steps {
        if shouldStop() {
            try save(directory)
            throw TrainingInterrupted(step: step(), directory: directory)
        }
        let (check, losses) = try trainStep()
        try DivergenceCheck.check(loss: check, step: step(), learningRate: options.learningRate,
                                  lastCheckpoint: DivergenceCheck.lastCheckpoint(in: directory), clipFlag: nil)
        report(.step(step: step(), totalSteps: options.steps, losses: losses))
        if options.saveEvery > 0 && step() % options.saveEvery == 0 && step() < options.steps {
            try save(directory)
            report(.saved(step: step(), directory: directory))
        }
    }
    try save(directory)
    report(.saved(step: step(), directory: directory))
}
