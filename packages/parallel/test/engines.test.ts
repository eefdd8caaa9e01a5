import { describe, expect, it } from 'vitest';
import { buildProblem, ParallelOracle } from '@bilevel/parallel';
import { foeProblem, smoothTvProblem } from './fixtures.js';

const bits = (a: Float64Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

describe('engines', () => {
  for (const [name, make] of [['smooth-tv / implicit', smoothTvProblem], ['foe / piggyback', foeProblem]] as const) {
    it(`${name}: inline and threads reproduce the batch oracle bit for bit`, () => {
      const problem = make();
      const reference = buildProblem(problem).oracle;
      const theta = Float64Array.from(problem.model.theta);
      const batch = [2, 0, 1];
      const tol = { epsilon: 1e-3, delta: 1e-3 };
      const want = reference.evaluate(theta, batch, tol);
      const again = reference.evaluate(theta, batch, { epsilon: 1e-4, delta: 1e-4 }, want.warm);
      for (const compute of [{ engine: 'inline' as const }, { engine: 'threads' as const, workers: 2 }]) {
        const oracle = new ParallelOracle(problem, compute);
        try {
          const got = oracle.evaluate(theta, batch, tol);
          expect(bits(got.gradient)).toBe(bits(want.gradient));
          expect([got.loss, got.lossLower, got.lossUpper, got.bound, got.epsilon, got.delta]).toEqual([want.loss, want.lossLower, want.lossUpper, want.bound, want.epsilon, want.delta]);
          expect(got.cost).toEqual(want.cost);
          const got2 = oracle.evaluate(theta, batch, { epsilon: 1e-4, delta: 1e-4 }, got.warm);
          expect(bits(got2.gradient)).toBe(bits(again.gradient));
          expect(got2.cost).toEqual(again.cost);
          for (const i of batch) expect(bits(got2.warm.get(i)!.x!)).toBe(bits(again.warm.get(i)!.x!));
          const l = oracle.loss(theta, [1], 1e-5, got2.warm);
          const lw = reference.loss(theta, [1], 1e-5, again.warm);
          expect([l.loss, l.lossUpper]).toEqual([lw.loss, lw.lossUpper]);
        } finally {
          oracle.close();
        }
      }
    });
  }
});
