/** A shared check of the ICNN model tests: the epigraph lifting of the saddle form is exact. */
import { expect } from 'vitest';
import { nrm2, type Vec } from '@bilevel/core';
import type { IcnnRegularizer, TrainingSet } from '@bilevel/models';

/**
 * At `z = σ(W₀x + b₀)` the lifted saddle form reproduces the objective,
 * `g(x, z) + f(K(x, z)) = ½‖x − b‖² + R(x) + (γ/2)‖z‖²` (to 1e-12 relative), and one step below
 * the epigraph (`z₀ − 0.1`) `f` is `+∞`. `model` is the saddle form of a one-sample training set
 * with degraded image `degraded`, `gamma` its `zWeight`, `x` the image to lift.
 */
export function expectExactLifting(R: IcnnRegularizer, model: ReturnType<TrainingSet['saddleModel']>, degraded: Vec, gamma: number, x: Vec): void {
  const n = x.length;
  const X = new Float64Array(n + R.auxiliarySize);
  X.set(x);
  const z = R.activations(x, X.subarray(n));
  const f = (model.fStar as unknown as { conjugate(): { value(v: Vec): number } }).conjugate();
  const KX = model.K.apply(X, new Float64Array(model.K.range[0]!));
  let data = 0;
  for (let i = 0; i < n; i++) data += 0.5 * (x[i]! - degraded[i]!) ** 2;
  const lifted = model.sample(0).g.value(X) + f.value(KX);
  const expected = data + R.value(x) + 0.5 * gamma * nrm2(z.length, z) ** 2;
  expect(Math.abs(lifted - expected)).toBeLessThan(1e-12 * (1 + expected));
  // below the epigraph: infeasible
  z[0] = z[0]! - 0.1;
  expect(f.value(model.K.apply(X, KX))).toBe(Infinity);
}
