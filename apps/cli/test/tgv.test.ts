/**
 * The contributed `tgv` kind (packages/models/src/kinds/tgv.ts) end to end: its piggyback
 * hypergradient against finite differences of the loss, the Theorem 2 bound against the true
 * error, and `bilevel train` + `bilevel eval` from a config naming the kind (the app was not
 * edited for it). Lives in the app because it needs `@bilevel/hypergrad`, which
 * `@bilevel/models` may not depend on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dist2, nrm2 } from '@bilevel/core';
import { FiniteDifferenceOracle, PiggybackOracle, squaredError } from '@bilevel/hypergrad';
import { TrainingSet, models } from '@bilevel/models';
import { QUIET, cli, noisySamples, tempDir, tinyConfig, writeConfig } from './helpers.js';

const S = 8;
let samples: { degraded: Float64Array; clean: Float64Array }[] = [];

beforeAll(() => {
  samples = noisySamples(S);
});

/** The piggyback oracle of a TGV model at θ = [log α₁, log α₀] over the two crops. */
function tgvOracle(alpha1: number, alpha0: number): { oracle: PiggybackOracle; theta: Float64Array } {
  const theta = [Math.log(alpha1), Math.log(alpha0)];
  const model = models.build({ kind: 'tgv', options: { huber: 0.05, auxiliaryWeight: 0.2 }, theta }, [1, S, S]);
  const set = new TrainingSet(model, samples);
  return { oracle: new PiggybackOracle({ model: set.saddleModel(), loss: set.loss(squaredError()) }), theta: Float64Array.from(theta) };
}

describe('TGV: piggyback hypergradient', () => {
  it('matches central differences of the loss to ≤ 1e-6 (relative) on two 8×8 crops', () => {
    for (const [a1, a0] of [
      [0.1, 0.2],
      [0.05, 0.4],
    ] as const) {
      const { oracle, theta } = tgvOracle(a1, a0);
      const tight = { epsilon: 1e-11, delta: 1e-11 };
      const g = oracle.evaluate(theta, [0, 1], tight);
      const fd = new FiniteDifferenceOracle(tgvOracle(a1, a0).oracle, { step: 1e-5, epsilon: 1e-11 }).evaluate(theta, [0, 1], tight);
      const rel = dist2(2, g.gradient, fd.gradient) / nrm2(2, fd.gradient);
      console.warn(`TGV piggyback vs FD at α = (${a1}, ${a0}): ∇ = [${[...g.gradient].map((t) => t.toExponential(6))}], relative error ${rel.toExponential(2)}`);
      expect(rel).toBeLessThan(1e-6);
      expect(nrm2(2, fd.gradient)).toBeGreaterThan(1e-3);
    }
  });

  it('the Theorem 2 bound is finite and bounds the true error at every accuracy tried', () => {
    for (const [a1, a0] of [
      [0.1, 0.2],
      [0.2, 0.1],
    ] as const) {
      const { oracle, theta } = tgvOracle(a1, a0);
      const exact = oracle.evaluate(theta, [0, 1], { epsilon: 1e-12, delta: 1e-12 }).gradient;
      for (const tol of [1e-2, 1e-4, 1e-6]) {
        const est = oracle.evaluate(theta, [0, 1], { epsilon: tol, delta: tol });
        const err = dist2(2, est.gradient, exact);
        expect(Number.isFinite(est.bound)).toBe(true);
        expect(err).toBeLessThanOrEqual(est.bound);
        console.warn(`TGV bound at α = (${a1}, ${a0}), ε = δ = ${tol}: true error ${err.toExponential(2)} ≤ bound ${est.bound.toExponential(2)}`);
      }
      expect(oracle.boundAssumesActiveSet).toBe(true); // Huber-type f*: L_{∇²f} = 0 on the identified active set
    }
  });
});

describe('TGV: bilevel train and eval from a config', () => {
  it('trains the tgv kind with piggyback + the adaptive step and evaluates it against TV', async () => {
    const dir = tempDir();
    const config = tinyConfig({
      name: 'tiny-tgv',
      model: { kind: 'tgv', huber: 0.01, auxiliaryWeight: 0.1, init: { logAlpha1: -3, logAlpha0: -2.3 } },
      hypergradient: { kind: 'piggyback' },
      optimizer: { kind: 'adaptive-piggyback' },
      budget: { iterations: 2 },
    });
    const out = join(dir, 'run');
    const train = await cli('train', writeConfig(dir, config), '--out', out, ...QUIET);
    expect(train.code, train.err).toBe(0);
    const params = JSON.parse(readFileSync(join(out, 'params.json'), 'utf8')) as { model: string; names: string[]; theta: number[]; derived: Record<string, number> };
    expect(params.model).toBe('tgv');
    expect(params.names).toEqual(['log_alpha1', 'log_alpha0']);
    expect(params.theta).not.toEqual([-3, -2.3]);
    expect(params.derived['α₁ = e^θ₀ (first order)']).toBeCloseTo(Math.exp(params.theta[0]!), 12);
    const rows = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss: number; bound: number });
    expect(rows.length).toBe(2);
    expect(rows[1]!.loss).toBeLessThan(rows[0]!.loss);
    expect(rows.every((r) => Number.isFinite(r.bound))).toBe(true);
    const evaluated = await cli('eval', out, '--json');
    expect(evaluated.code, evaluated.err).toBe(0);
    const e = JSON.parse(evaluated.out) as { methods: { method: string; psnr: number }[] };
    expect(e.methods.map((m) => m.method)).toEqual(['degraded', 'tv', 'learned']);
    expect(e.methods[2]!.psnr).toBeGreaterThan(e.methods[0]!.psnr);
  });
});
