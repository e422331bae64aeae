import LoomTensor

/// What one WGAN-GP step reports: the last critic update's loss, its parts, and the
/// generator's loss.
public struct WassersteinStepResult {
    /// E[D(fake)] − E[D(real)] + penalty, before the last critic update.
    public let critic: Float
    /// −E[D(G(z))] with the updated critic.
    public let generator: Float
    /// E[D(real)] − E[D(fake)] of the last critic update.
    public let wassersteinEstimate: Float
    public let penalty: Float
    /// Mean ‖∇ₓD(x̂)‖ of the last critic update; the penalty pulls it towards 1.
    public let gradientNorm: Float
}

extension GANTrainer {
    /// One WGAN-GP step (Gulrajani et al. 2017, algorithm 1): `criticSteps` critic updates,
    /// each on its own real batch, generated batch and interpolation weights ε ~ U(0, 1),
    /// then one generator update minimizing −E[D(G(z))]. Critic update k of step s reads the
    /// real batch numbered s·criticSteps + k, and all the step's randomness comes from the
    /// step's own noise generator, so a resumed run replays the same batches.
    @discardableResult
    public func wassersteinStep() -> WassersteinStepResult {
        precondition(pair.config.loss == .wassersteinGradientPenalty, "wassersteinStep() needs the wgan-gp loss")
        let critic = pair.discriminator, generator = pair.generator
        let criticSteps = pair.config.criticSteps
        var noise = schedule.noise(step: step)
        var last: CriticLoss?
        for k in 0..<criticSteps {
            let real = schedule.images(step: step * criticSteps + k)
            let batch = real.shape[0]
            let codes = Tensor.randomNormal([batch, pair.config.latent], using: &noise)
            let fake = withoutGradients { generator(codes) }
            let epsilon = (0..<batch).map { _ in noise.nextFloat() }
            let loss = critic.criticLoss(real: real, fake: fake, epsilon: epsilon,
                                         penaltyWeight: pair.config.gradientPenaltyWeight)
            discriminatorOptimizer.zeroGrad()
            loss.objective.backward()
            discriminatorOptimizer.step()
            last = loss
        }

        let codes = Tensor.randomNormal([schedule.batchSize, pair.config.latent], using: &noise)
        let generatorLoss = -critic(generator(codes)).mean()
        generatorOptimizer.zeroGrad()
        generatorLoss.backward()
        generatorOptimizer.step()
        step += 1
        guard let last else { preconditionFailure("a WGAN-GP step needs at least one critic update") }
        let meanNorm = last.gradientNorms.reduce(0, +) / Float(max(last.gradientNorms.count, 1))
        return WassersteinStepResult(critic: last.value, generator: generatorLoss.item,
                                     wassersteinEstimate: last.wassersteinEstimate, penalty: last.penalty,
                                     gradientNorm: meanNorm)
    }
}
