/**
 * Training an ICNN regularizer with the adaptive piggyback method (issue 10): a few steps on two
 * 8×8 photograph crops decrease the exact loss and keep the hidden weights nonnegative. (Lives in
 * the app because it needs both `@bilevel/hypergrad` and `@bilevel/optimizers`.)
 */
import { describe, expect, it } from 'vitest';
import { addGaussianNoise, crop, loadPhotograph } from '@bilevel/imaging';
import { PiggybackOracle, squaredError } from '@bilevel/hypergrad';
import { adaptivePiggyback, runSync } from '@bilevel/optimizers';
import { icnnSaddleModel } from '@bilevel/prox';

describe('ICNN: training with the adaptive piggyback method', () => {
  it('a few adaptivePiggyback steps (projection W_A ≥ 0) decrease the loss on two 8×8 crops', () => {
    const S = 8;
    const photo = loadPhotograph('airplane-from-above', { gray: true, maxSide: 96 });
    const pairs = [
      [12, 30],
      [40, 52],
    ].map(([top, left], k) => {
      const clean = crop(photo, { top: top!, left: left!, height: S, width: S });
      const noisy = addGaussianNoise(clean, { sigma: 0.1, seed: k + 1 });
      return { degraded: Float64Array.from(noisy.data), target: Float64Array.from(clean.data) };
    });
    const model = icnnSaddleModel({
      shape: [1, S, S],
      pairs,
      network: { filters: 2, kernelSize: 3, poolFactor: 2, units: 3, smoothing: 0.05, hiddenSmoothing: 0.05, seed: 3 },
      zWeight: 0.05,
      epigraphSmoothing: 0.05,
    });
    const oracle = new PiggybackOracle({ model, loss: model.imageLoss(squaredError()) });
    const theta0 = Float64Array.from(model.params);
    const exactLoss = (theta: Float64Array): number => oracle.loss(theta, [0, 1], 1e-9).loss;
    const before = exactLoss(theta0);
    const opt = adaptivePiggyback({ lossSmoothness: 1, project: model.project, epsilon0: 1e-2, delta0: 1e-2, stepSize0: 0.05, rho: 0.5 });
    const state = opt.init(theta0);
    let accepted = 0;
    runSync(opt, oracle, state, { budget: { maxIterations: 4 }, onStep: (r) => void (accepted += r.accepted ? 1 : 0) });
    expect(accepted).toBeGreaterThan(0);
    expect(exactLoss(state.theta)).toBeLessThan(before);
    expect(state.theta.subarray(model.regularizer.layout.hidden.offset).every((w) => w >= 0)).toBe(true);
  });
});
