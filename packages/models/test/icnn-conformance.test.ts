/**
 * Conformance of the ICNN's operators (the pooled dense layer, the lifted operator) and of the
 * regularizer's smooth form, through the suites of `@bilevel/core/testing`.
 */
import { Rng } from '@bilevel/core';
import type { FunctionalCase, OperatorCase } from '@bilevel/core/testing';
import { describeFunctionalSuite, describeOperatorSuite } from '@bilevel/core/testing/vitest';
import { IcnnRegularizer, PooledDense } from '@bilevel/models';

const pooled = (seed: number, nonneg: boolean): PooledDense => {
  const p = new PooledDense({ channels: 2, height: 4, width: 6, factor: 2, units: 3 });
  const w = Rng.seeded(seed).normalVec(p.params.length);
  p.setParams(nonneg ? w.map(Math.abs) : w);
  return p;
};

const network = (o: Partial<ConstructorParameters<typeof IcnnRegularizer>[0]> = {}): IcnnRegularizer =>
  new IcnnRegularizer({ shape: [1, 4, 8], filters: 2, kernelSize: 3, poolFactor: 2, units: 3, seed: 7, convBias: [0.1, -0.2], hiddenBias: 0.05, ...o });

const operatorCases: OperatorCase[] = [
  { name: 'PooledDense 2×4×6 → 3, factor 2, signed weights', make: () => pooled(1, false) },
  { name: 'PooledDense 2×4×6 → 3, factor 2, nonnegative weights', make: () => pooled(2, true) },
  { name: 'PooledDense 1×8×8 → 2, factor 4', make: () => new PooledDense({ channels: 1, height: 8, width: 8, factor: 4, units: 2, weights: Rng.seeded(3).normalVec(8) }) },
  { name: 'IcnnLiftedOperator 1×4×8, 2 filters 3×3, pool 2, 3 units', make: () => network().operator },
  { name: 'IcnnLiftedOperator 2×4×4, 3 filters 5×5 zero boundary, pool 4', make: () => network({ shape: [2, 4, 4], filters: 3, kernelSize: 5, boundary: 'zero', poolFactor: 4, convBias: 0 }).operator },
];

describeOperatorSuite('ICNN operators', operatorCases);

const functionalCases: FunctionalCase[] = [
  // the regularizer, smooth form
  {
    name: 'IcnnRegularizer 1×4×8, smoothed (ω₀=ω₁=0.2)',
    make: () => network({ smoothing: 0.2, hiddenSmoothing: 0.2, hiddenBias: [0.1, -0.05, 0.02] }),
    point: (r, n) => r.normalVec(n).map((t) => 0.5 + 0.3 * t),
  },
  {
    name: 'IcnnRegularizer 2×4×4, 5×5 zero boundary, pool 4',
    make: () => network({ shape: [2, 4, 4], filters: 3, kernelSize: 5, boundary: 'zero', poolFactor: 4, smoothing: 0.3, hiddenSmoothing: 0.3, convBias: 0.05 }),
  },
];

describeFunctionalSuite('ICNN regularizer', functionalCases);
