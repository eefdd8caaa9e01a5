/**
 * Estimators agree on real-image models: Huber-TV and Fields of Experts in saddle form
 * (piggyback, unrolled, finite differences) and smoothed TV in smooth form (implicit, finite
 * differences), on small crops of a bundled photograph.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, nrm2, type HypergradientEstimate, type SaddleModel, type SmoothModel } from '@bilevel/core';
import { relativeDistance } from '@bilevel/core/testing';
import { noisyCrops } from '@bilevel/imaging';
import { loadPhotograph } from '@bilevel/imaging/node';
import { SmoothedTV, models, smoothedTvBoundConstants } from '@bilevel/models';
import { trained, type Pair } from './fixtures.js';
import { FiniteDifferenceOracle, ImplicitOracle, PiggybackOracle, UnrolledOracle, squaredError } from '@bilevel/hypergrad';

let pairs: Pair[] = [];
const S = 16;

beforeAll(() => {
  const photo = loadPhotograph('airplane-from-above', { gray: true, maxSide: 96 });
  pairs = noisyCrops(photo, [[10, 20], [40, 30]], S, { sigma: 0.1, seed: 1 }).map((p) => ({ degraded: p.degraded.data, target: p.clean.data }));
});

/**
 * The implicit hypergradient of a smooth-form model on both samples at `θ = model.params`: it
 * matches central finite differences to 1e-6 (relative) at accuracy 1e-12, its bound is certified,
 * and at each accuracy `ε = δ` in `tolerances` the bound is finite and covers the true error.
 */
function expectImplicitCertified(model: SmoothModel, tolerances: readonly number[]): void {
  const theta = Float64Array.from(model.params);
  const oracle = new ImplicitOracle({ model, loss: squaredError() });
  const exact = oracle.evaluate(theta, [0, 1], { epsilon: 1e-12, delta: 1e-12 });
  const fd = new FiniteDifferenceOracle(new ImplicitOracle({ model, loss: squaredError() }), { step: 1e-5, epsilon: 1e-12 }).evaluate(theta, [0, 1], {
    epsilon: 1e-12,
    delta: 1e-12,
  });
  expect(relativeDistance(exact.gradient, fd.gradient)).toBeLessThan(1e-6);
  expect(oracle.boundCertified).toBe(true);
  for (const tol of tolerances) {
    const r = new ImplicitOracle({ model, loss: squaredError() }).evaluate(theta, [0, 1], { epsilon: tol, delta: tol });
    const err = relativeDistance(r.gradient, exact.gradient) * nrm2(exact.gradient.length, exact.gradient);
    expect(Number.isFinite(r.bound)).toBe(true);
    expect(r.bound).toBeGreaterThanOrEqual(err);
  }
}

/**
 * The piggyback hypergradient of a saddle-form model on the samples `batch` at `θ = model.params`
 * and accuracy 1e-11 matches central finite differences of the loss and the unrolled gradient to
 * 1e-6 (relative); returns the piggyback result.
 */
function expectSaddleEstimatorsAgree(model: SaddleModel, batch: readonly number[]): HypergradientEstimate {
  const theta = Float64Array.from(model.params);
  const tol = { epsilon: 1e-11, delta: 1e-11 };
  const piggy = new PiggybackOracle({ model, loss: squaredError() }).evaluate(theta, batch, tol);
  const unrolled = new UnrolledOracle({ model, loss: squaredError(), maxIterations: 20000 }).evaluate(theta, batch, tol);
  const fd = new FiniteDifferenceOracle(new PiggybackOracle({ model, loss: squaredError() }), { step: 1e-4, epsilon: 1e-12 }).evaluate(theta, batch, tol);
  expect(relativeDistance(piggy.gradient, fd.gradient)).toBeLessThan(1e-6);
  expect(relativeDistance(unrolled.gradient, piggy.gradient)).toBeLessThan(1e-6);
  return piggy;
}

describe('Huber-TV (saddle form, real crops)', () => {
  it('piggyback, unrolled and finite differences agree to 1e-6', () => {
    const piggy = expectSaddleEstimatorsAgree(trained({ kind: 'huber-tv', options: { huber: 0.05 }, theta: [Math.log(0.08)] }, [1, S, S], pairs).saddle(), [0, 1]);
    expect(Number.isFinite(piggy.bound)).toBe(true);
  });
});

describe('Fields of Experts (saddle form, real crops)', () => {
  it.each(['symmetric', 'valid'])('boundary %s: piggyback matches finite differences to 1e-6 and the unrolled gradient', (boundary) => {
    // three random 3×3 filters, made zero-mean by the model's own projection (as after each training step)
    const options = { potential: 'huber', filters: 3, filterSize: 3, huber: 0.05, boundary };
    const kernels = Rng.seeded(3).normalVec(3 * 3 * 3).map((t) => 0.3 * t);
    for (const project of models.build({ kind: 'foe', options, theta: [...kernels] }, [1, S, S]).projections) project(kernels);
    const model = trained({ kind: 'foe', options, theta: [...kernels] }, [1, S, S], pairs.slice(0, 1)).saddle();
    expectSaddleEstimatorsAgree(model, [0]);
  });
});

describe('Smoothed TV (smooth form, real crops)', () => {
  it('implicit matches finite differences to 1e-6 and its bound is certified and holds', () => {
    const model = trained({ kind: 'smooth-tv', options: {}, theta: [-2, -3] }, [1, S, S], pairs).smooth();
    expectImplicitCertified(model, [1e-1, 1e-2, 1e-4]);
  });
});

describe('Smooth Fields of Experts (smooth form, real crops, random filters)', () => {
  it.each(['reflect', 'valid'])('boundary %s: implicit matches finite differences to 1e-6; its MAID bound is certified and covers the true error', (boundary) => {
    const rng = Rng.seeded(5);
    const m = 2;
    const k = 3;
    const kernels = rng.normalVec(m * k * k).map((t) => 0.4 * t);
    const theta = [-0.5, ...Array.from({ length: m }, () => -0.5 + rng.uniform()), ...Array.from({ length: m }, () => -2.5 + rng.uniform()), ...kernels];
    const model = trained({ kind: 'foe', options: { potential: 'smooth', filters: m, filterSize: k, boundary }, theta }, [1, S, S], pairs).smooth();
    expectImplicitCertified(model, [1e-1, 1e-2, 1e-3, 1e-5]);
  });
});

describe('Convolutional ICNN in smooth form (real crops)', () => {
  // ∇R is only C¹ (piecewise-quadratic smoothings), so the hypergradient, which holds ∇²R, jumps where
  // an activation crosses a piece boundary and central differences lose their O(h²): 1e-5, not 1e-6
  it('implicit differentiation (CG on ∇²R, the mixed derivatives of IcnnRegularizer) matches finite differences to 1e-5; no certified bound', () => {
    const options = { form: 'smooth', filters: 4, filterSize: 3, hiddenFilterSize: 3, units: 2, smoothing: 0.2, hiddenSmoothing: 0.2, hiddenBias: 0.05, outputWeight: 0.5 };
    const spec = models.initial('conv-icnn', options, { derivativeWeight: 0.5, hiddenWeight: 0.3, randomScale: 0.5 }, { rng: Rng.seeded(8), seed: 8, shape: [1, S, S] });
    const model = trained(spec, [1, S, S], pairs).smooth();
    const theta = Float64Array.from(model.params);
    const exact = new ImplicitOracle({ model, loss: squaredError() }).evaluate(theta, [0, 1], { epsilon: 1e-12, delta: 1e-12 });
    const fd = new FiniteDifferenceOracle(new ImplicitOracle({ model, loss: squaredError() }), { step: 1e-5, epsilon: 1e-12 }).evaluate(theta, [0, 1], { epsilon: 1e-12, delta: 1e-12 });
    expect(nrm2(exact.gradient.length, exact.gradient)).toBeGreaterThan(0);
    expect(relativeDistance(exact.gradient, fd.gradient)).toBeLessThan(1e-5);
    expect(new ImplicitOracle({ model, loss: squaredError() }).evaluate(theta, [0, 1], { epsilon: 1e-3, delta: 1e-3 }).bound).toBe(Infinity);
  }, 300_000);
});

describe('Fields of Experts with weakly convex experts (real crops)', () => {
  it('implicit differentiation (CG on ∇²h ⪰ (1 − ρ)I) matches finite differences to 1e-6; ρ is capped at the start; no certified bound', () => {
    // logConcaveWeight 1 puts ρ far above 1: uncapped, the lower level would be refused as not strongly convex
    const options = { potential: 'weakly-convex', filters: 3, filterSize: 3, boundary: 'zero', maxWeakConvexity: 0.4 };
    const spec = models.initial('foe', options, { logWeight: -1, logSmoothing: -2, logConcaveWeight: 1, logConcaveSmoothing: -1 }, { rng: Rng.seeded(9), seed: 9, shape: [1, S, S] });
    const model = trained(spec, [1, S, S], pairs).smooth();
    const theta = Float64Array.from(model.params);
    const exact = new ImplicitOracle({ model, loss: squaredError() }).evaluate(theta, [0, 1], { epsilon: 1e-12, delta: 1e-12 });
    const fd = new FiniteDifferenceOracle(new ImplicitOracle({ model, loss: squaredError() }), { step: 1e-5, epsilon: 1e-12 }).evaluate(theta, [0, 1], { epsilon: 1e-12, delta: 1e-12 });
    // the concave weights carry gradient (they are not switched off by the cap)
    expect(Math.abs(exact.gradient[7]!)).toBeGreaterThan(0);
    expect(relativeDistance(exact.gradient, fd.gradient)).toBeLessThan(1e-6);
    expect(new ImplicitOracle({ model, loss: squaredError() }).evaluate(theta, [0, 1], { epsilon: 1e-3, delta: 1e-3 }).bound).toBe(Infinity);
  }, 120_000);
});

describe('Fields of Experts with non-convex experts (maxWeakConvexity null, real crops)', () => {
  it('the lower level has signed modulus 1 − ρ < 0; at its local minimiser implicit differentiation matches finite differences to 1e-6; the bound is Infinity', () => {
    const options = { potential: 'weakly-convex', filters: 3, filterSize: 3, boundary: 'reflect', maxWeakConvexity: null };
    const spec = models.initial('foe', options, { logWeight: -1, logSmoothing: -2, logConcaveWeight: -1.2, logConcaveSmoothing: -1 }, { rng: Rng.seeded(9), seed: 9, shape: [1, S, S] });
    const model = trained(spec, [1, S, S], pairs).smooth();
    expect(model.sample(0).h.strongConvexity).toBeLessThan(0);
    const theta = Float64Array.from(model.params);
    const exact = new ImplicitOracle({ model, loss: squaredError() }).evaluate(theta, [0, 1], { epsilon: 1e-12, delta: 1e-12 });
    expect(exact.stop).toBe('converged');
    expect(exact.capped).toBe(0);
    const fd = new FiniteDifferenceOracle(new ImplicitOracle({ model, loss: squaredError() }), { step: 1e-5, epsilon: 1e-12 }).evaluate(theta, [0, 1], { epsilon: 1e-12, delta: 1e-12 });
    // the concave weights carry gradient
    expect(Math.abs(exact.gradient[7]!)).toBeGreaterThan(0);
    expect(relativeDistance(exact.gradient, fd.gradient)).toBeLessThan(1e-6);
    expect(new ImplicitOracle({ model, loss: squaredError() }).evaluate(theta, [0, 1], { epsilon: 1e-3, delta: 1e-3 }).bound).toBe(Infinity);
  }, 120_000);
});

describe('smoothedTvBoundConstants', () => {
  it('refuses the isotropic smoothed TV, for which its constants are not derived', () => {
    const reg = new SmoothedTV({ shape: [1, 8, 8], mode: 'isotropic' });
    expect(() => smoothedTvBoundConstants(reg)).toThrow(/anisotropic/);
  });
});
