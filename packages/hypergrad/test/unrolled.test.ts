import { describe, expect, it } from 'vitest';
import { relativeDistance } from '@bilevel/core/testing';
import { FiniteDifferenceOracle, PiggybackOracle, UnrolledOracle, squaredError } from '@bilevel/hypergrad';
import { smoothSaddleModel } from './fixtures.js';

describe('UnrolledOracle', () => {
  it('is the exact derivative of the N-step map (finite differences of the truncated loss)', () => {
    const fx = smoothSaddleModel({ samples: 1, seed: 21, n: 5, m: 7, cg: 0.4 });
    const theta = Float64Array.from(fx.K.params);
    // Steps held fixed (explicit τ, σ): the unrolled derivative treats them as constants.
    for (const steps of [{ scheme: 'plain' as const, tau: 0.1, sigma: 0.3 }, { scheme: 'plain' as const, tau: 0.2, sigma: 0.2 }]) {
      const oracle = new UnrolledOracle({ model: fx.model, loss: squaredError(), iterations: 7, steps });
      const r = oracle.evaluate(theta, [0], { epsilon: 1, delta: 1 });
      const fd = new FiniteDifferenceOracle(oracle, { step: 1e-5 }).evaluate(theta, [0], { epsilon: 1, delta: 1 });
      expect(relativeDistance(r.gradient, fd.gradient)).toBeLessThan(1e-7);
      expect(r.bound).toBe(Infinity);
      expect(oracle.lastStoredBytes).toBe(8 * 7 * 2 * (5 + 7));
    }
  });

  it('converges to the piggyback hypergradient as the iterations grow', () => {
    const fx = smoothSaddleModel({ samples: 2, seed: 22, n: 6, m: 9 });
    const theta = Float64Array.from(fx.K.params);
    const piggy = new PiggybackOracle({ model: fx.model, loss: squaredError() }).evaluate(theta, [0, 1], { epsilon: 1e-12, delta: 1e-12 });
    const unrolled = new UnrolledOracle({ model: fx.model, loss: squaredError() }).evaluate(theta, [0, 1], { epsilon: 1e-12, delta: 1 });
    expect(relativeDistance(unrolled.gradient, piggy.gradient)).toBeLessThan(1e-8);
  });
});
