// The README's examples, kept runnable (keep in sync with README.md).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { abortSignal, anyOf, run, runAsync, untilIteration, zeroCost, type HypergradientOracle } from '@bilevel/core';
import { gradTolerance, maid, optimizerMachine, restoreOptimizer } from '@bilevel/optimizers';
import { JsonlWriter, checkpointToFile, readCheckpoint } from '@bilevel/optimizers/node';

// Toy bilevel problem: x̂(θ) = argmin_x ½(x − θ)² + ½x² = θ/2, upper loss ½(x̂ − 1)², so θ* = 2.
// Exact solves, so the bound is 0 and the bracket is tight. Real oracles: @bilevel/hypergrad.
const oracle: HypergradientOracle = {
  dimension: 1,
  numSamples: 1,
  loss(theta) {
    const loss = 0.5 * (theta[0]! / 2 - 1) ** 2;
    return { loss, lossLower: loss, lossUpper: loss, bracket: 'convex', epsilon: 0, stop: 'converged', capped: 0, cost: zeroCost(), warm: new Map() };
  },
  evaluate(theta, batch, tol, warm) {
    const est = this.loss(theta, batch, tol.epsilon, warm);
    return { ...est, gradient: new Float64Array([(theta[0]! / 2 - 1) / 2]), bound: 0, delta: 0 };
  },
};

describe('README examples', () => {
  it('quick start', () => {
    const opt = maid(); // the authors' defaults
    const state = opt.init(new Float64Array([0]));
    const result = run(optimizerMachine(opt, oracle), state, {
      stop: anyOf(untilIteration(500), gradTolerance(1e-8)),
      callbacks: {
        onStep: ({ record: r }) => {
          if (r.iteration % 100 === 0) expect(r.method).toBe('maid'); // e.g. console.log(r.iteration, r.loss, r.stepSize)
        },
      },
    });
    expect(result.reason).toBe('converged');
    expect(state.theta[0]).toBeCloseTo(2, 6);
  });

  it('checkpoints, JSONL log and resume', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bilevel-readme-'));
    try {
      const ckptPath = join(dir, 'checkpoint.json');
      const opt = maid();
      const state = opt.init(new Float64Array([0]));
      const log = new JsonlWriter(join(dir, 'log.jsonl'), { truncate: true });
      const controller = new AbortController(); // process.on('SIGINT', () => controller.abort())
      await runAsync(optimizerMachine(opt, oracle), state, {
        stop: anyOf(untilIteration(40), abortSignal(controller.signal)),
        callbacks: [{ onStep: (e) => log.write(e.record) }, checkpointToFile(opt, ckptPath, 10)],
      });
      log.close();
      // later, possibly in another process:
      const { optimizer, state: resumed } = restoreOptimizer(readCheckpoint(ckptPath));
      const result = await runAsync(optimizerMachine(optimizer, oracle), resumed, { stop: anyOf(untilIteration(500), gradTolerance(1e-8)) });
      expect(result.reason).toBe('converged');
      expect(resumed.theta[0]).toBeCloseTo(2, 6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
