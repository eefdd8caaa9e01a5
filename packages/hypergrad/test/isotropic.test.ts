/**
 * Isotropic Huber-TV piggyback (docs/math/certificates.md#generalised-hessian-at-the-pair): the
 * Lemma-3 adjoint certificates use the generalised Hessian of `f*` at the pair `(y, Kx)`, so they
 * converge with the iterates, as for the anisotropic potential; the hypergradient matches finite
 * differences and the Theorem 2 bound (constants at the pair) bounds the true error.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@bilevel/core';
import { addGaussianNoise, crop, type Image } from '@bilevel/imaging';
import { loadPhotograph } from '@bilevel/imaging/node';
import { trained, type Pair } from './fixtures.js';
import { FiniteDifferenceOracle, PiggybackOracle, squaredError } from '@bilevel/hypergrad';

let photo: Image;
beforeAll(() => {
  photo = loadPhotograph('airplane-from-above', { gray: true, maxSide: 128 });
});

/** The registry's `huber-tv` model (K = e^θ∇, θ = log weight) over `pairs` (cold start zero). */
function huberTv(size: number, pairs: Pair[], weight: number, huber: number, mode: 'isotropic' | 'anisotropic') {
  return trained({ kind: 'huber-tv', options: { huber, mode }, theta: [Math.log(weight)] }, [1, size, size], pairs).saddle();
}

function pairOf(size: number, top: number, left: number, sigma: number, seed: number): Pair[] {
  const clean = crop(photo, { top, left, height: size, width: size });
  const noisy = addGaussianNoise(clean, { sigma, seed });
  return [{ degraded: Float64Array.from(noisy.data), target: Float64Array.from(clean.data) }];
}

describe('isotropic Huber-TV piggyback (γ = 1e-3, K = αD)', () => {
  for (const size of [32, 64]) {
    it(`${size}²: reaches ε, δ ≤ 1e-8 in at most 1.5× the iterations of the anisotropic variant`, () => {
      const pairs = pairOf(size, 20, 40, 0.1, 1);
      const iterations = { isotropic: 0, anisotropic: 0 };
      for (const mode of ['isotropic', 'anisotropic'] as const) {
        const model = huberTv(size, pairs, 0.08, 1e-3, mode);
        const r = new PiggybackOracle({ model, loss: squaredError() }).evaluate(Float64Array.from(model.params), [0], { epsilon: 1e-8, delta: 1e-8 });
        expect(r.stop).toBe('converged');
        expect(r.capped).toBe(0);
        expect(r.epsilon).toBeLessThanOrEqual(1e-8);
        expect(r.delta).toBeLessThanOrEqual(1e-8);
        expect(Number.isFinite(r.bound)).toBe(true);
        iterations[mode] = r.cost.iterations;
      }
      expect(iterations.isotropic).toBeLessThanOrEqual(1.5 * iterations.anisotropic);
    });
  }

  it('64²: the hypergradient matches central finite differences to 1e-6 relative', () => {
    const pairs = pairOf(64, 20, 40, 0.1, 2);
    const model = huberTv(64, pairs, 0.08, 1e-3, 'isotropic');
    const theta = Float64Array.from(model.params);
    // ε, δ ≤ 1e-11 (δ_Y = ‖·‖/μ_f* with μ_f* = γ = 1e-3 has a rounding floor near 1e-12); the FD step
    // is small because the loss is only piecewise smooth in α (pixels change activity at ‖(Kx)_j‖ = γ).
    const tol = { epsilon: 1e-11, delta: 1e-11 };
    const piggy = new PiggybackOracle({ model, loss: squaredError() }).evaluate(theta, [0], tol);
    expect(piggy.stop).toBe('converged');
    const fd = new FiniteDifferenceOracle(new PiggybackOracle({ model, loss: squaredError() }), { step: 1e-6, epsilon: 1e-11 }).evaluate(theta, [0], tol);
    expect(Math.abs(piggy.gradient[0]! - fd.gradient[0]!) / Math.abs(fd.gradient[0]!)).toBeLessThanOrEqual(1e-6);
  });

  it('the bound bounds the true error on 200 randomized instances (sizes, weights, γ, noise, tolerances)', () => {
    const ratios: number[] = [];
    for (let trial = 0; trial < 50; trial++) {
      const rng = Rng.seeded(500 + trial);
      const size = 8 + rng.int(0, 9);
      const pairs = pairOf(size, rng.int(0, 90 - size), rng.int(0, 128 - size), 0.05 + 0.1 * rng.uniform(), trial);
      const model = huberTv(size, pairs, 0.03 + 0.15 * rng.uniform(), 10 ** (-3 + 1.5 * rng.uniform()), 'isotropic');
      const oracle = new PiggybackOracle({ model, loss: squaredError(), certificateEvery: 1 + rng.int(0, 4), maxIterations: 200_000 });
      const theta = Float64Array.from(model.params);
      const reference = oracle.evaluate(theta, [0], { epsilon: 1e-11, delta: 1e-11 });
      expect(reference.stop).toBe('converged');
      const exact = reference.gradient[0]!;
      for (const tol of [1e-2, 1e-3, 1e-4, 1e-6]) {
        const r = oracle.evaluate(theta, [0], { epsilon: tol, delta: tol * (0.1 + rng.uniform()) });
        ratios.push(r.bound / Math.abs(r.gradient[0]! - exact));
      }
    }
    ratios.sort((a, b) => a - b);
    console.warn(
      `isotropic Huber-TV piggyback bound/true error over ${ratios.length} cases: min ${ratios[0]!.toPrecision(3)}, ` +
        `median ${ratios[ratios.length >> 1]!.toPrecision(3)}, max ${ratios.at(-1)!.toPrecision(3)}`,
    );
    expect(ratios.length).toBe(200);
    expect(ratios[0]).toBeGreaterThanOrEqual(1);
  });

  it('reports an iteration cap instead of hiding it', () => {
    const pairs = pairOf(16, 10, 10, 0.1, 3);
    const model = huberTv(16, pairs, 0.08, 1e-3, 'isotropic');
    const oracle = new PiggybackOracle({ model, loss: squaredError(), maxIterations: 20 });
    const theta = Float64Array.from(model.params);
    const uncapped = new PiggybackOracle({ model, loss: squaredError() });
    const r = oracle.evaluate(theta, [0], { epsilon: 1e-10, delta: 1e-10 });
    expect(r.stop).toBe('max-iterations');
    expect(r.capped).toBe(1);
    expect(r.epsilon).toBeGreaterThan(1e-10);
    const l = oracle.loss(theta, [0], 1e-10);
    expect(l.stop).toBe('max-iterations');
    expect(l.capped).toBe(1);
    expect(uncapped.loss(theta, [0], 1e-10)).toMatchObject({ stop: 'converged', capped: 0 });
  });
});

describe('one ‖K‖ for the step rule and the bound', () => {
  it('PiggybackOracle.constants uses the upper bound of ‖K‖ that pdhgSteps uses', async () => {
    const { pdhgSteps } = await import('@bilevel/solvers');
    const pairs = pairOf(12, 5, 5, 0.1, 4);
    const model = huberTv(12, pairs, 0.08, 1e-2, 'isotropic');
    const oracle = new PiggybackOracle({ model, loss: squaredError() });
    const s = model.sample(0);
    const problem = { K: model.K, g: s.g, fStar: model.fStar };
    expect(oracle.constants(problem).normK).toBe(pdhgSteps(problem).normK);
  });
});
