import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { zeroCost } from '@bilevel/core';
import { readCheckpoint } from '@bilevel/optimizers/node';
import { addGaussianNoise, centerCrop, psnrFromLoss } from '@bilevel/imaging';
import { loadPhotograph, readPng, writePng } from '@bilevel/imaging/node';
import {
  RUN_FILES,
  createProgress,
  parseExperimentConfig,
  readJsonLines,
  runExperiment,
  stopWords,
  trainingStop,
  type EvalResult,
  type LogRow,
  type ParamsFile,
  type RunStatus,
} from '@bilevel/cli';
import { cli, tempDir, tinyConfig, writeConfig } from './helpers.js';

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

describe('bilevel train → eval → denoise, end to end (tiny experiment)', () => {
  const dir = tempDir();
  const out = join(dir, 'run');
  let trainOut = '';

  beforeAll(async () => {
    const r = await cli('train', writeConfig(dir, tinyConfig()), '--out', out, '--progress', 'plain');
    trainOut = r.out + r.err;
    expect(r.code, trainOut).toBe(0);
  });

  it('writes every output file, and they parse', () => {
    for (const f of ['config', 'params', 'log', 'report', 'checkpoint', 'status', 'trainGrid', 'testGrid'] as const) {
      expect(existsSync(join(out, RUN_FILES[f])), RUN_FILES[f]).toBe(true);
    }
    for (const f of ['loss-psnr-vs-cost', 'loss-psnr-vs-time', 'accuracy']) {
      expect(readFileSync(join(out, `${f}.svg`), 'utf8')).toMatch(/^<svg/);
      const png = readPng(join(out, `${f}.png`));
      expect(png.width).toBeGreaterThan(200);
    }
    const config = parseExperimentConfig(readJson(join(out, RUN_FILES.config)));
    expect(config.name).toBe('tiny');
    const params = readJson<ParamsFile>(join(out, RUN_FILES.params));
    expect(params.names).toEqual(['log_weight', 'log_nu']);
    expect(params.theta).toHaveLength(2);
    expect(params.iteration).toBe(6);
    const status = readJson<RunStatus>(join(out, RUN_FILES.status));
    expect(status.status).toBe('completed');
    expect(status.stopCause).toBe('max-iterations');
    expect(readCheckpoint(join(out, RUN_FILES.checkpoint)).method).toBe('maid');
    const grid = readPng(join(out, RUN_FILES.trainGrid));
    expect(grid.width).toBeGreaterThan(4 * 16);
    expect(trainOut).toMatch(/it 1\/6 {2}loss/);
  });

  it('logs one record per iteration and ends with a lower loss than it started', () => {
    const rows = readJsonLines<LogRow>(join(out, RUN_FILES.log));
    expect(rows.map((r) => r.iteration)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const r of rows) {
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.psnr).toBeCloseTo(psnrFromLoss(r.loss, 256, 'sum'), 10);
      expect(r.totalIterations).toBeGreaterThan(0);
    }
    expect(rows[rows.length - 1]!.loss).toBeLessThan(rows[0]!.loss);
    const status = readJson<RunStatus>(join(out, RUN_FILES.status));
    expect(status.results!.train.learned).toBeGreaterThan(status.results!.train.degraded);
  });

  it('writes a report with the numbers and the pictures', () => {
    const report = readFileSync(join(out, RUN_FILES.report), 'utf8');
    expect(report).toMatch(/^# tiny/);
    expect(report).toMatch(/Status: \*\*completed\*\*/);
    expect(report).toContain('](train-grid.png)');
    expect(report).toContain('](loss-psnr-vs-cost.png)');
    expect(report).toMatch(/\| learned θ \| \d+\.\d\d \| \d+\.\d\d \|/);
  });

  it('eval: test PSNR/SSIM against the noisy input and a tuned TV baseline', async () => {
    const r = await cli('eval', out);
    expect(r.code, r.err).toBe(0);
    const e = readJson<EvalResult>(join(out, RUN_FILES.eval));
    expect(e.methods.map((m) => m.method)).toEqual(['degraded', 'tv', 'learned']);
    expect(e.testCrops).toBe(1);
    expect(e.tv.grid.length).toBeGreaterThanOrEqual(4);
    for (const m of e.methods) {
      expect(m.psnr).toBeGreaterThan(10);
      expect(m.ssim).toBeGreaterThan(0);
      expect(m.ssim).toBeLessThanOrEqual(1);
    }
    expect(e.methods[2]!.psnr).toBeGreaterThan(e.methods[0]!.psnr);
    const report = readFileSync(join(out, RUN_FILES.report), 'utf8');
    expect(report).toContain('## Evaluation on the test crops');
    expect(readPng(join(out, RUN_FILES.evalGrid)).width).toBeGreaterThan(0);
    expect(readPng(join(out, 'eval-psnr.png')).width).toBeGreaterThan(0);
  });

  it('eval --compare: another run\'s model on the same test crops; a different degradation is refused', async () => {
    const r = await cli('eval', out, '--compare', out);
    expect(r.code, r.err).toBe(0);
    const e = readJson<EvalResult>(join(out, RUN_FILES.eval));
    expect(e.methods.map((m) => m.method)).toEqual(['degraded', 'tv', 'learned', 'compared']);
    // the same run compared with itself: the same reconstructions, the same numbers
    expect(e.methods[3]!.psnr).toBe(e.methods[2]!.psnr);
    expect(e.methods[3]!.label).toBe('tiny (smooth-tv)');
    const other = join(dir, 'other');
    cpSync(out, other, { recursive: true });
    const config = readJson<Record<string, { degradation: { sigma: number } }>>(join(other, RUN_FILES.config));
    config.data!.degradation.sigma = 0.05;
    writeFileSync(join(other, RUN_FILES.config), JSON.stringify(config));
    const bad = await cli('eval', out, '--compare', other);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/degradation .*sigma":0.05.* differs from this run's .*sigma":0.1/);
    const none = await cli('eval', out, '--compare', join(dir, 'missing'));
    expect(none.err).toMatch(/is not a run directory/);
  });

  it('denoise: applies the learned model to a PNG (each channel of a colour image)', async () => {
    const clean = centerCrop(loadPhotograph('march-pastoral', { maxSide: 96 }), 24, 32);
    const noisyPath = join(dir, 'noisy.png');
    writePng(noisyPath, addGaussianNoise(clean, { sigma: 0.1, seed: 2, clamp: true }));
    const r = await cli('denoise', '--model', out, noisyPath, join(dir, 'denoised.png'));
    expect(r.code, r.err).toBe(0);
    const img = readPng(join(dir, 'denoised.png'));
    expect([img.channels, img.height, img.width]).toEqual([3, 24, 32]);
    const wrong = await cli('deblur', '--model', out, noisyPath, join(dir, 'x.png'));
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/was trained for denoising; use `bilevel denoise`/);
  });

  it('replaces a completed run when started again', async () => {
    const r = await cli('train', join(out, RUN_FILES.config), '--out', out, '--progress', 'none', '--no-report');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/replacing the completed run/);
    expect(existsSync(join(out, RUN_FILES.eval))).toBe(false);
  });
});

describe('interruption and --resume', () => {
  it('an interrupted run resumes to the same θ as an uninterrupted one', async () => {
    const dir = tempDir();
    const config = parseExperimentConfig(tinyConfig({ checkpointEvery: 5, budget: { iterations: 4 } }));
    const quiet = { progress: 'none' as const, write: () => {}, artifacts: false };
    const full = await runExperiment(config, { outDir: join(dir, 'full'), ...quiet });
    expect(full.status).toBe('completed');

    const controller = new AbortController();
    const part = await runExperiment(config, {
      outDir: join(dir, 'part'),
      ...quiet,
      signal: controller.signal,
      onStep: (row) => {
        if (row.iteration === 1) controller.abort();
      },
    });
    expect(part.status).toBe('interrupted');
    expect(part.iterations).toBe(2);
    const status = readJson<RunStatus>(join(dir, 'part', RUN_FILES.status));
    expect(status.status).toBe('interrupted');
    expect(status.checkpointIteration).toBe(2);

    await expect(runExperiment(config, { outDir: join(dir, 'part'), ...quiet })).rejects.toThrow(
      /holds an interrupted run of "tiny" \(checkpoint at iteration 2\); continue it with --resume, replace it with --force/,
    );
    const resumed = await runExperiment(config, { outDir: join(dir, 'part'), ...quiet, resume: true });
    expect(resumed.status).toBe('completed');
    expect(resumed.iterations).toBe(4);
    expect(Array.from(resumed.theta)).toEqual(Array.from(full.theta));
    const rows = readJsonLines<LogRow>(join(dir, 'part', RUN_FILES.log));
    expect(rows.map((r) => r.iteration)).toEqual([0, 1, 2, 3]);
    expect(readJson<RunStatus>(join(dir, 'part', RUN_FILES.status)).sessions).toBe(2);
  });

  it('--resume continues with a larger budget through the CLI', async () => {
    const dir = tempDir();
    const out = join(dir, 'run');
    const first = await cli('train', writeConfig(dir, tinyConfig({ budget: { iterations: 2 } })), '--out', out, '--progress', 'none', '--no-report');
    expect(first.code, first.err).toBe(0);
    const more = writeConfig(dir, tinyConfig({ budget: { iterations: 3 } }), 'more.json');
    const r = await cli('train', more, '--out', out, '--resume', '--progress', 'none', '--no-report');
    expect(r.code, r.err).toBe(0);
    expect(readJsonLines<LogRow>(join(out, RUN_FILES.log))).toHaveLength(3);
  });

  it('--resume refuses a changed model and a missing checkpoint', async () => {
    const dir = tempDir();
    const out = join(dir, 'run');
    expect((await cli('train', writeConfig(dir, tinyConfig({ budget: { iterations: 1 } })), '--out', out, '--progress', 'none', '--no-report')).code).toBe(0);
    const changed = writeConfig(dir, tinyConfig({ seed: 2, budget: { iterations: 2 } }), 'changed.json');
    const r = await cli('train', changed, '--out', out, '--resume', '--progress', 'none');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--resume: the config differs .* at: seed/);
    const none = await cli('train', changed, '--out', join(dir, 'empty'), '--resume', '--progress', 'none');
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/--resume: .*empty does not exist, so there is no run to resume; start the run without --resume/);
  });
});

describe('the budget as stop criteria of the core run loop', () => {
  const check = (budget: Record<string, number>, state: { iteration: number; lowerLevel: number; elapsed: number }, signal?: AbortSignal) =>
    trainingStop(parseExperimentConfig(tinyConfig({ budget })), signal).check({
      iterations: 0,
      state: { ...state, cost: { ...zeroCost(), iterations: state.lowerLevel } } as never,
      elapsedMs: 0,
      certificate: undefined,
      record: undefined,
    });

  it('iterations over sessions, total work and cumulative wall time, then the abort signal, in that order', () => {
    const budget = { iterations: 10, lowerLevelIterations: 500, wallTimeSeconds: 2 };
    expect(check(budget, { iteration: 9, lowerLevel: 499, elapsed: 1999 })).toBeUndefined();
    expect(check(budget, { iteration: 10, lowerLevel: 0, elapsed: 0 })).toBe('max-iterations');
    expect(check(budget, { iteration: 3, lowerLevel: 500, elapsed: 0 })).toBe('budget');
    // state.elapsed (ms) sums the optimizer steps of all sessions, not this session's clock
    expect(check(budget, { iteration: 3, lowerLevel: 0, elapsed: 2000 })).toBe('time-limit');
    const aborted = new AbortController();
    aborted.abort();
    expect(check(budget, { iteration: 3, lowerLevel: 0, elapsed: 0 }, aborted.signal)).toBe('aborted');
    expect(check(budget, { iteration: 10, lowerLevel: 0, elapsed: 0 }, aborted.signal)).toBe('max-iterations');
    expect(check({ iterations: 10 }, { iteration: 3, lowerLevel: 1e9, elapsed: 1e9 })).toBeUndefined();
  });

  it('a work budget stops with "budget"; a wall time already used up in an earlier session stops the resumed one at once', async () => {
    const dir = tempDir();
    const quiet = { progress: 'none' as const, write: () => {}, artifacts: false };
    const work = await runExperiment(parseExperimentConfig(tinyConfig({ budget: { iterations: 6, lowerLevelIterations: 1 } })), { outDir: join(dir, 'work'), ...quiet });
    expect([work.status, work.stopCause, work.iterations]).toEqual(['completed', 'budget', 1]);
    expect(readJson<RunStatus>(join(dir, 'work', RUN_FILES.status)).stopCause).toBe('budget');

    const first = await runExperiment(parseExperimentConfig(tinyConfig({ budget: { iterations: 2 } })), { outDir: join(dir, 'time'), ...quiet });
    expect(first.stopCause).toBe('max-iterations');
    const seconds = readJsonLines<LogRow>(join(dir, 'time', RUN_FILES.log)).at(-1)!.wallTime / 1000;
    const config = parseExperimentConfig(tinyConfig({ budget: { iterations: 6, wallTimeSeconds: seconds } }));
    const resumed = await runExperiment(config, { outDir: join(dir, 'time'), ...quiet, resume: true });
    expect([resumed.status, resumed.stopCause, resumed.iterations]).toEqual(['completed', 'time-limit', 2]);
  });

  it('the CLI prints words for the reasons; other strings (older run files) pass through', () => {
    expect(stopWords('max-iterations')).toBe('iteration budget reached');
    expect(stopWords('aborted')).toBe('interrupted');
    expect(stopWords('iterations')).toBe('iterations');
  });
});

describe('progress and helpers', () => {
  it('plain progress prints lines with loss, bound, PSNR and ETA', () => {
    const lines: string[] = [];
    const p = createProgress('plain', (l) => lines.push(l));
    p.start(10, 0);
    p.update({ iteration: 1, loss: 1.5, bound: 0.01, psnr: 24.5, cost: 100, fraction: 0.1 });
    p.update({ iteration: 2, loss: 1.4, bound: 0.01, psnr: 24.6, cost: 200, fraction: 0.2 });
    p.stop();
    expect(lines[0]).toBe('training: 10 iterations');
    expect(lines[1]).toMatch(/^it 1\/10 {2}loss 1\.500 {2}bound 0\.010 {2}PSNR 24\.50 dB {2}cost 100 {2}ETA/);
    expect(lines[2]).toMatch(/^it 2\/10/);
  });
});
