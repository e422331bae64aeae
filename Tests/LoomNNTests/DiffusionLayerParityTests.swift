import XCTest
import LoomTensor
@testable import LoomNN

/// GroupNorm, SiLU, nearest upsampling and the sinusoidal time embedding against PyTorch
/// (tools/fixtures/make_diffusion_fixtures.py).
final class DiffusionLayerParityTests: XCTestCase {
    func checkGroupNorm(_ name: String) throws {
        let fixture = try LayerFixture(name)
        let layer = GroupNorm(groups: try fixture.integer("groups"), channels: try fixture.integer("channels"),
                              eps: try fixture.float("eps"))
        XCTAssertEqual(layer.namedParameters().map(\.0), ["weight", "bias"])
        try fixture.load(into: layer)
        try fixture.check(layer, tolerance: 1e-5, gradientTolerance: 2e-5)
    }

    func testGroupNormMatchesPyTorch() throws {
        try checkGroupNorm("group_norm")
        try checkGroupNorm("group_norm_one_group")
    }

    func testSiLUAndUpsamplingMatchPyTorch() throws {
        try LayerFixture("silu").check(SiLU())
        let fixture = try LayerFixture("upsample_nearest")
        try fixture.check(UpsampleNearest(factor: try fixture.integer("factor")))
    }

    func testTimeEmbeddingMatchesPyTorch() throws {
        let fixture = try LayerFixture("time_embedding")
        let embedding = SinusoidalTimeEmbedding.embed(try fixture.tensor("timesteps").scalars, dimension: try fixture.integer("dimension"))
        XCTAssertEqual(embedding.shape, try fixture.tensor("output").shape)
        // Arguments reach 999 rad, where one float32 rounding of the frequency moves sin by ~1e-4.
        LayerFixture.assertClose(embedding, try fixture.tensor("output"), 2e-4, "time_embedding")
    }

    func testTimeEmbeddingLayout() {
        let e = SinusoidalTimeEmbedding.embed([0, 3], dimension: 8)
        // t = 0: sines are 0 and cosines 1; the first frequency is 1, so t = 3 gives sin 3, cos 3.
        XCTAssertEqual(Array(e.scalars[0..<8]), [0, 0, 0, 0, 1, 1, 1, 1])
        XCTAssertEqual(e.scalars[8], Float(Foundation.sin(3.0)), accuracy: 1e-6)
        XCTAssertEqual(e.scalars[12], Float(Foundation.cos(3.0)), accuracy: 1e-6)
        // The last frequency is 1/10000.
        XCTAssertEqual(e.scalars[11], Float(Foundation.sin(3e-4)), accuracy: 1e-7)
    }
}
