import { describe, expect, it } from 'vitest';
import { Rng, nrm2 } from '@bilevel/core';
import { relativeDistance } from '@bilevel/core/testing';
import { PiggybackOracle, squaredError, FiniteDifferenceOracle } from '@bilevel/hypergrad';
import { exactHypergradient, smoothSaddleModel } from './fixtures.js';

describe('PiggybackOracle on a smooth dense saddle problem (Theorem 2 assumptions hold)', () => {
  it('matches the exact hypergradient (block system) to 1e-9 at tight tolerances', () => {
    const fx = smoothSaddleModel({ samples: 2, seed: 0 });
    const oracle = new PiggybackOracle({ model: fx.model, loss: squaredError() });
    const theta = Float64Array.from(fx.K.params);
    const r = oracle.evaluate(theta, [0, 1], { epsilon: 1e-12, delta: 1e-12 });
    const e0 = exactHypergradient(fx, 0);
    const e1 = exactHypergradient(fx, 1);
    const exact = e0.z.map((t, k) => 0.5 * (t + e1.z[k]!));
    expect(relativeDistance(r.gradient, exact)).toBeLessThan(1e-9);
    expect(Math.abs(r.loss - 0.5 * (e0.loss + e1.loss))).toBeLessThan(1e-10);
    expect(r.lossLower).toBeLessThanOrEqual(0.5 * (e0.loss + e1.loss));
    expect(r.lossUpper).toBeGreaterThanOrEqual(0.5 * (e0.loss + e1.loss));
  });

  it('agrees with central finite differences of the loss', () => {
    const fx = smoothSaddleModel({ samples: 1, seed: 3, n: 5, m: 7 });
    const oracle = new PiggybackOracle({ model: fx.model, loss: squaredError() });
    const theta = Float64Array.from(fx.K.params);
    const r = oracle.evaluate(theta, [0], { epsilon: 1e-12, delta: 1e-12 });
    const fd = new FiniteDifferenceOracle(oracle, { step: 1e-5, epsilon: 1e-13 }).evaluate(theta, [0], { epsilon: 1e-13, delta: 1e-13 });
    expect(relativeDistance(r.gradient, fd.gradient)).toBeLessThan(1e-6);
  });

  it('the bound bounds the true error over 240 random instances and truncation levels', () => {
    const ratios: number[] = [];
    for (let trial = 0; trial < 60; trial++) {
      const rng = Rng.seeded(100 + trial);
      const fx = smoothSaddleModel({
        samples: 1,
        seed: 100 + trial,
        n: 4 + rng.int(0, 6),
        m: 4 + rng.int(0, 10),
        mu: rng.uniform() * 0.5,
        cg: rng.uniform(),
        a: 0.2 + rng.uniform(),
        c: rng.uniform(),
      });
      const exact = exactHypergradient(fx, 0).z;
      const oracle = new PiggybackOracle({ model: fx.model, loss: squaredError(), certificateEvery: 1 + rng.int(0, 4) });
      const theta = Float64Array.from(fx.K.params);
      for (const tol of [1e-1, 1e-2, 1e-3, 1e-5]) {
        const r = oracle.evaluate(theta, [0], { epsilon: tol, delta: tol * (0.1 + rng.uniform()) });
        const err = relativeDistance(r.gradient, exact) * nrm2(exact.length, exact);
        ratios.push(r.bound / err);
      }
    }
    ratios.sort((a, b) => a - b);
    const median = ratios[ratios.length >> 1]!;
    console.warn(`piggyback bound/true error over ${ratios.length} cases: min ${ratios[0]!.toPrecision(3)}, median ${median.toPrecision(3)}, max ${ratios.at(-1)!.toPrecision(3)}`);
    expect(ratios.length).toBe(240);
    expect(ratios[0]).toBeGreaterThanOrEqual(1);
  });
});

describe('saddleHypergradientBound', () => {
  it('is Infinity (not NaN) without strong convexity on both sides', async () => {
    const { saddleHypergradientBound } = await import('@bilevel/hypergrad');
    const c = { muG: 1, lipGradG: 1, lipHessGStar: 0, muFStar: 0, lipGradFStar: 1, lipHessF: 0, lipLoss: 1, normK: 1, paramVjpBound: 1 };
    const m = { epsX: 0.1, epsY: 0.1, deltaX: 0.1, deltaY: 0.1, normX: 1, normY: 1, normAdjX: 1, normAdjY: 1, gradLossNorm: 1 };
    expect(saddleHypergradientBound(c, m).bound).toBe(Infinity);
    expect(saddleHypergradientBound({ ...c, muFStar: 1, muG: 0 }, m).bound).toBe(Infinity);
  });
});
