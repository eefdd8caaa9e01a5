/**
 * Training an ICNN regularizer with the adaptive piggyback method (issue 10): a few steps on two
 * 8×8 photograph crops decrease the exact loss and keep the hidden weights nonnegative. (Lives in
 * the app because it needs both `@bilevel/hypergrad` and `@bilevel/optimizers`.)
 */
import { describe, expect, it } from 'vitest';
import { PiggybackOracle, squaredError } from '@bilevel/hypergrad';
import { run, untilIteration } from '@bilevel/core';
import { adaptivePiggyback, optimizerMachine } from '@bilevel/optimizers';
import { IcnnRegularizer, TrainingSet, icnnModel } from '@bilevel/models';
import { initialModelSpec, parseExperimentConfig } from '@bilevel/cli';
import { noisySamples } from './helpers.js';

describe('ICNN: training with the adaptive piggyback method', () => {
  it('a few adaptivePiggyback steps (projection W_A ≥ 0) decrease the loss on two 8×8 crops', () => {
    const S = 8;
    const R = new IcnnRegularizer({ shape: [1, S, S], filters: 2, kernelSize: 3, poolFactor: 2, units: 3, smoothing: 0.05, hiddenSmoothing: 0.05, seed: 3 });
    const variational = icnnModel(R, { zWeight: 0.05, epigraphSmoothing: 0.05 });
    const set = new TrainingSet(variational, noisySamples(S), { start: 'zero' });
    const model = set.saddleModel();
    const oracle = new PiggybackOracle({ model, loss: set.loss(squaredError()) });
    const theta0 = Float64Array.from(model.params);
    const exactLoss = (theta: Float64Array): number => oracle.loss(theta, [0, 1], 1e-9).loss;
    const before = exactLoss(theta0);
    const opt = adaptivePiggyback({ project: variational.projections[0]!, epsilon0: 1e-2, delta0: 1e-2, stepSize0: 0.05, rho: 0.5 });
    const state = opt.init(theta0);
    let accepted = 0;
    run(optimizerMachine(opt, oracle), state, { stop: untilIteration(4), callbacks: { onStep: ({ record }) => void (accepted += record.accepted ? 1 : 0) } });
    expect(accepted).toBeGreaterThan(0);
    expect(exactLoss(state.theta)).toBeLessThan(before);
    expect(state.theta.subarray(R.layout.hidden.offset).every((w) => w >= 0)).toBe(true);
  });
});

describe('ICNN experiment config: the TV-like start', () => {
  const config = (init: Record<string, number>, filters = 6) =>
    parseExperimentConfig({
      name: 'icnn-start',
      data: { train: { cropSize: 8 }, test: { cropSize: 8 }, degradation: { kind: 'noise', sigma: 0.1 } },
      model: { kind: 'icnn', filters, filterSize: 3, poolFactor: 2, units: 2, init },
      hypergradient: { kind: 'piggyback' },
      optimizer: { kind: 'adaptive-piggyback' },
      budget: { iterations: 1 },
    });

  it('filters 0–3 are ±w∂ₓ, ±w∂ᵧ, their hidden weights c; the rest is the random start scaled by r', () => {
    const random = initialModelSpec(config({}), [1, 8, 8]).theta;
    const t = Float64Array.from(initialModelSpec(config({ derivativeWeight: 2, hiddenWeight: 0.3, randomScale: 0.5 }), [1, 8, 8]).theta);
    const per = 9;
    // 3×3 kernels: centre 4, right neighbour 5, lower neighbour 7
    const expected = [
      [4, -2, 5, 2],
      [4, 2, 5, -2],
      [4, -2, 7, 2],
      [4, 2, 7, -2],
    ];
    expected.forEach(([c, vc, n, vn], f) => {
      const kernel = Array.from(t.subarray(f * per, (f + 1) * per));
      expect(kernel.filter((v) => v !== 0)).toHaveLength(2);
      expect(kernel[c!]).toBe(vc);
      expect(kernel[n!]).toBe(vn);
    });
    for (let i = 4 * per; i < 6 * per; i++) expect(t[i]).toBeCloseTo(0.5 * random[i]!, 15);
    const hidden = t.subarray(6 * per);
    const cells = hidden.length / (2 * 6);
    for (let u = 0; u < 2; u++) {
      for (let f = 0; f < 6; f++) {
        for (let c = 0; c < cells; c++) {
          const i = (u * 6 + f) * cells + c;
          expect(hidden[i]).toBeCloseTo(f < 4 ? 0.3 : 0.5 * random[6 * per + i]!, 15);
          expect(hidden[i]!).toBeGreaterThanOrEqual(0);
        }
      }
    }
  });

  it('needs at least four filters', () => {
    expect(() => config({ derivativeWeight: 1 }, 3)).toThrow(/needs filters ≥ 4/);
  });
});
