import { describe, expect, it } from 'vitest';
import { Rng, nrm2 } from '@bilevel/core';
import { ImplicitOracle, PiggybackOracle, squaredError } from '@bilevel/hypergrad';
import { exactHypergradient, smoothFormModel, smoothSaddleModel } from './fixtures.js';

const errNorm = (a: Float64Array, b: Float64Array) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(d);
};

describe('ImplicitOracle', () => {
  it('matches the closed-form hypergradient of a quadratic bilevel problem, and piggyback agrees', () => {
    // f*(y) = a/2‖y‖², g = ½‖x − b‖²: h(x) = ½‖x − b‖² + ‖Kx‖²/(2a), x̂ = (I + KᵀK/a)⁻¹b.
    const fx = smoothSaddleModel({ samples: 2, seed: 4, n: 8, m: 10, a: 0.7, c: 0, cg: 0 });
    const theta = Float64Array.from(fx.K.params);
    const z1 = exactHypergradient(fx, 1).z;
    const exact = exactHypergradient(fx, 0).z.map((t, k) => 0.5 * (t + z1[k]!));
    const implicit = new ImplicitOracle({ model: smoothFormModel(fx), loss: squaredError() }).evaluate(theta, [0, 1], {
      epsilon: 1e-12,
      delta: 1e-13,
    });
    const piggy = new PiggybackOracle({ model: fx.model, loss: squaredError() }).evaluate(theta, [0, 1], { epsilon: 1e-12, delta: 1e-12 });
    const ne = nrm2(exact.length, exact);
    expect(errNorm(implicit.gradient, exact) / ne).toBeLessThan(1e-9);
    expect(errNorm(piggy.gradient, exact) / ne).toBeLessThan(1e-9);
    expect(implicit.cost.cgIterations).toBeGreaterThan(0);
  });

  it('agrees with the exact hypergradient on a non-quadratic smooth problem', () => {
    const fx = smoothSaddleModel({ samples: 1, seed: 8, n: 6, m: 9, a: 0.5, c: 0.8, cg: 0.5 });
    const theta = Float64Array.from(fx.K.params);
    const exact = exactHypergradient(fx, 0).z;
    const r = new ImplicitOracle({ model: smoothFormModel(fx), loss: squaredError() }).evaluate(theta, [0], { epsilon: 1e-12, delta: 1e-13 });
    expect(errNorm(r.gradient, exact) / nrm2(exact.length, exact)).toBeLessThan(1e-9);
  });

  it('the MAID bound bounds the true error on quadratic problems over 200 cases', () => {
    const ratios: number[] = [];
    for (let trial = 0; trial < 50; trial++) {
      const rng = Rng.seeded(500 + trial);
      const fx = smoothSaddleModel({ samples: 1, seed: 500 + trial, n: 3 + rng.int(0, 8), m: 3 + rng.int(0, 8), a: 0.2 + rng.uniform(), c: 0, cg: 0, mu: rng.uniform() });
      const exact = exactHypergradient(fx, 0).z;
      const oracle = new ImplicitOracle({ model: smoothFormModel(fx), loss: squaredError(), certificateEvery: 1 });
      const theta = Float64Array.from(fx.K.params);
      for (const tol of [1, 1e-1, 1e-3, 1e-6]) {
        const r = oracle.evaluate(theta, [0], { epsilon: tol, delta: tol * rng.uniform() });
        ratios.push(r.bound / errNorm(r.gradient, exact));
      }
    }
    ratios.sort((a, b) => a - b);
    console.warn(`implicit bound/true error over ${ratios.length} cases: min ${ratios[0]!.toPrecision(3)}, median ${ratios[ratios.length >> 1]!.toPrecision(3)}, max ${ratios.at(-1)!.toPrecision(3)}`);
    expect(ratios[0]).toBeGreaterThanOrEqual(1);
  });

  it('warm starts reuse the previous solution and CG solution', () => {
    const fx = smoothSaddleModel({ samples: 1, seed: 9, n: 6, m: 9, a: 0.5, c: 0.3 });
    const oracle = new ImplicitOracle({ model: smoothFormModel(fx), loss: squaredError() });
    const theta = Float64Array.from(fx.K.params);
    const cold = oracle.evaluate(theta, [0], { epsilon: 1e-8, delta: 1e-8 });
    const warm = oracle.evaluate(theta, [0], { epsilon: 1e-8, delta: 1e-8 }, cold.warm);
    expect(warm.cost.iterations).toBeLessThan(cold.cost.iterations);
    expect(warm.cost.cgIterations).toBeLessThanOrEqual(1);
  });

  it('without bound constants: ‖B‖ by power iteration (its products counted as hvp), the bound is not certified', () => {
    const fx = smoothSaddleModel({ samples: 1, seed: 11, n: 6, m: 9, a: 0.5, c: 0.3 });
    const certified = smoothFormModel(fx);
    const model = { ...certified, sample: (i: number) => ({ ...certified.sample(i), boundConstants: undefined }) };
    const theta = Float64Array.from(fx.K.params);
    const tol = { epsilon: 1e-8, delta: 1e-8 };
    const withConstants = new ImplicitOracle({ model: certified, loss: squaredError() });
    const a = withConstants.evaluate(theta, [0], tol);
    const estimating = new ImplicitOracle({ model, loss: squaredError(), powerIterations: 7 });
    const b = estimating.evaluate(theta, [0], tol);
    expect(withConstants.boundCertified).toBe(true);
    expect(estimating.boundCertified).toBe(false);
    expect(b.bound).toBe(Infinity); // L_B and L_{A⁻¹} are unknown
    expect(Array.from(b.gradient)).toEqual(Array.from(a.gradient));
    const extra = b.cost.hvp - a.cost.hvp;
    expect(extra).toBeGreaterThan(0);
    expect(extra).toBeLessThanOrEqual(2 * 7);
    expect(extra % 2).toBe(0); // one B·dθ and one Bᵀq per round
  });
});
