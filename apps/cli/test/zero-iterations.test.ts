/**
 * `budget.iterations: 0`: a run that takes no optimizer step evaluates its start — the TV baseline
 * is tuned, the model written, the learned θ equals θ₀ — and `bilevel eval` reads it like any run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir, tinyConfig, writeConfig } from './helpers.js';

describe('a run of zero iterations', () => {
  it('completes with θ = θ₀, a tuned TV baseline and a model file; eval reads it', async () => {
    const dir = tempDir();
    const run = join(dir, 'run');
    const r = await cli('train', writeConfig(dir, tinyConfig({ budget: { iterations: 0 } })), '--out', run, '--progress', 'plain');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/stopped after 0 iterations \(iteration budget reached\)/);
    const status = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
    expect([status.status, status.iteration, status.results.totalIterations]).toEqual(['completed', 0, 0]);
    expect(status.results.test.learned).toBe(status.results.test.initial);
    const model = JSON.parse(readFileSync(join(run, 'model.json'), 'utf8'));
    expect(model.theta).toEqual([-3, -3]);
    expect(model.meta.tvBaseline.weight).toBeGreaterThan(0);
    const e = await cli('eval', run, '--json');
    expect(e.code, e.err).toBe(0);
    expect(JSON.parse(e.out).iteration).toBe(0);
  });

  it('refuses a negative budget', async () => {
    const dir = tempDir();
    const r = await cli('train', writeConfig(dir, tinyConfig({ budget: { iterations: -1 } })), '--out', join(dir, 'run'));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/budget\.iterations: must be ≥ 0/);
  });
});
