import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '@bilevel/core';
import { describe, expect, it } from 'vitest';
import { compareRuns, type ComparisonResult } from '../src/compare.js';
import { loadExperimentConfig } from '../src/config/experiment-file.js';
import { COMPARISONS_DIR } from '../src/experiments.js';
import { readJsonLines } from '../src/run/files.js';
import { readStatus } from '../src/run/status.js';
import { QUIET, cli, snapshot, tempDir, tinyConfig, writeConfig } from './helpers.js';

const tracked = (testEvery: number, overrides: Record<string, unknown> = {}) =>
  tinyConfig({ eval: { tvWeights: { min: 0.01, max: 1, count: 4 }, showImages: 2, testEvery }, ...overrides });

describe('bilevel compare', () => {
  it('trains the runs of a comparison file, overlays test PSNR against work and reuses completed runs', async () => {
    const dir = tempDir();
    writeConfig(dir, tracked(1, { name: 'ref-maid' }), 'maid.json');
    writeConfig(
      dir,
      tracked(2, { name: 'other-adam', optimizer: { kind: 'adam', batchSize: 1, stepSize0: 0.05, epsilon0: 0.01 } }),
      'adam.json',
    );
    const file = writeConfig(dir, { name: 'cmp', description: 'MAID vs Adam', runs: ['maid.json', 'adam.json'] }, 'cmp.json');
    const out = join(dir, 'out');
    const r = await cli('compare', file, '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out) as ComparisonResult;
    expect(result.reference).toBe('ref-maid');
    expect(result.runs.map((x) => x.name)).toEqual(['ref-maid', 'other-adam']);

    // the tracked test PSNR is the test PSNR of θ at that iteration: with testEvery 1 the last
    // logged one is that of the learned θ, which the report computes separately
    const refDir = join(out, 'ref-maid');
    const rows = readJsonLines(join(refDir, 'log.jsonl'));
    expect(rows.every((row) => typeof row.testPsnr === 'number')).toBe(true);
    const results = readStatus(refDir)!.results!;
    expect(rows.at(-1)!.testPsnr).toBe(results.test.learned);
    expect(result.target).toBe(results.test.learned);
    expect(result.runs[0]!.curve[0]).toEqual({ iteration: 0, cost: 0, psnr: results.test.initial });
    // testEvery 2: after steps 1, 3, 5 (of 6)
    const other = readJsonLines(join(out, 'other-adam', 'log.jsonl'));
    expect(other.filter((row) => typeof row.testPsnr === 'number').map((row) => Number(row.iteration) + 1)).toEqual([1, 3, 5]);
    expect(result.workRatio['ref-maid']).toBeLessThanOrEqual(1);
    for (const f of ['compare.json', 'compare.md', 'test-psnr-vs-work.svg', 'test-psnr-vs-work.png']) expect(readdirSync(out)).toContain(f);
    expect(readFileSync(join(out, 'compare.md'), 'utf8')).toContain('| ref-maid | maid / implicit |');

    // a second call trains nothing (the completed runs are kept as they are)
    const before = snapshot(refDir);
    const again = await cli('compare', file, '--out', out, '--json');
    expect(again.code, again.err).toBe(0);
    expect(snapshot(refDir)).toEqual(before);
    expect(JSON.parse(again.out)).toEqual(result);
  }, 300_000);

  it('refuses runs on other data and runs without test PSNR tracking', async () => {
    const dir = tempDir();
    const run = async (name: string, config: Record<string, unknown>): Promise<string> => {
      const out = join(dir, name);
      const r = await cli('train', writeConfig(dir, config, `${name}.json`), '--out', out, ...QUIET.slice(0, 2));
      expect(r.code, r.err).toBe(0);
      return out;
    };
    const a = await run('a', tracked(3, { name: 'a' }));
    const b = await run('b', tracked(3, { name: 'b', seed: 2 }));
    const c = await run('c', tinyConfig({ name: 'c' }));
    expect(() => compareRuns([a, b])).toThrow(/other data/);
    expect(() => compareRuns([a, c])).toThrow(/eval\.testEvery/);
    expect(() => compareRuns([a])).toThrow(ValidationError);
    const r = await cli('compare', a, join(dir, 'missing'));
    expect(r.code).toBe(1);
  }, 300_000);

  it('the bundled comparisons pair runs on the same data and track their test PSNR', () => {
    const files = readdirSync(COMPARISONS_DIR).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) {
      const spec = JSON.parse(readFileSync(join(COMPARISONS_DIR, f), 'utf8')) as { runs: string[] };
      const configs = spec.runs.map((p) => loadExperimentConfig(join(COMPARISONS_DIR, p)));
      const data = configs.map((c) => JSON.stringify({ data: c.data, seed: c.seed }));
      expect(new Set(data).size, f).toBe(1);
      expect(configs.every((c) => c.eval.testEvery !== undefined), f).toBe(true);
      expect(new Set(configs.map((c) => JSON.stringify(c.budget))).size, `${f}: equal budgets`).toBe(1);
    }
  });
});
