import { describe, expect, it } from 'vitest';
import { buildProblem, ParallelOracle, type ComputeOptions } from '@bilevel/parallel';
import { foeProblem, smoothTvProblem } from './fixtures.js';
import { OPTIMIZERS, trajectory } from './trajectories.js';

// The same θ trajectory, step records and checkpoint, bit for bit, from the batch oracle itself,
// the inline engine and worker threads (1 and 2), for MAID, the adaptive step and inexact Adam.
const ENGINES: [string, ComputeOptions][] = [
  ['inline', { engine: 'inline' }],
  ['threads ×1', { engine: 'threads', workers: 1 }],
  ['threads ×2', { engine: 'threads', workers: 2 }],
];

describe('bit-identical trajectories for every engine and worker count', () => {
  for (const [name, problem] of [['smooth-tv / implicit', smoothTvProblem(4, 10)], ['foe / piggyback', foeProblem(3, 8)]] as const) {
    it(name, () => {
      const reference = buildProblem(problem).oracle;
      const want = Object.fromEntries(Object.entries(OPTIMIZERS).map(([k, o]) => [k, trajectory(o.make(), reference, problem.model.theta, o.steps)]));
      for (const [engine, compute] of ENGINES) {
        const oracle = new ParallelOracle(problem, compute);
        try {
          for (const [k, o] of Object.entries(OPTIMIZERS)) {
            const got = trajectory(o.make(), oracle, problem.model.theta, o.steps);
            expect(got.thetas, `${engine} ${k}`).toEqual(want[k]!.thetas);
            expect(got.records, `${engine} ${k}`).toEqual(want[k]!.records);
            expect(got.checkpoint, `${engine} ${k}`).toBe(want[k]!.checkpoint);
          }
          expect(oracle.stats.totals().tasks).toBeGreaterThan(0);
        } finally {
          oracle.close();
        }
      }
      // the trajectories move
      expect(new Set(want.maid!.thetas).size).toBeGreaterThan(1);
    });
  }
});
