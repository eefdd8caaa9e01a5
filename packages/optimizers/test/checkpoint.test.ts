import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError, abortSignal, anyOf, run, runAsync, untilIteration, type HypergradientOracle } from '@bilevel/core';
import {
  gradientDescent, iadam, isgd, maid, optimizerCheckpoints, optimizerMachine, restoreOptimizer, withoutWallTime, zeroMeanProjection,
  paramLayout, type Checkpoint, type Optimizer, type OptimizerState, type StepRecord,
} from '@bilevel/optimizers';
import {
  JsonlWriter, checkpointToFile, readCheckpoint, readJsonl, writeCheckpointAtomic, writeFileAtomic,
} from '@bilevel/optimizers/node';
import { QuadraticBilevel, RidgeLearning } from './problems.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bilevel-optimizers-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** MAID with its default options on {@link QuadraticBilevel}, started at `θ₀ = 0 ∈ ℝ⁵`. */
function maidOnQuadratic() {
  const q = new QuadraticBilevel();
  const opt = maid();
  return { q, opt, s: opt.init(new Float64Array(5)) };
}

const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/**
 * Run uninterrupted to `total`; then run again with checkpoints every `every` steps to a file,
 * "kill" the process (a throw from onStep) at step `killAt`, restore from the file alone with a
 * fresh oracle and continue to `total`. Compare θ (bitwise), the state and every record
 * (except wall-time fields).
 */
function killAndResume<S extends OptimizerState>(
  makeOpt: () => Optimizer<S>, makeOracle: () => HypergradientOracle, theta0: Float64Array,
  opts: { total: number; every: number; killAt: number; project?: Parameters<typeof restoreOptimizer>[1] },
) {
  const a = makeOpt();
  const sa = a.init(theta0);
  const full: StepRecord[] = [];
  run(optimizerMachine(a, makeOracle()), sa, { stop: untilIteration(opts.total), callbacks: { onStep: (e) => void full.push(e.record) } });

  const path = join(tempDir(), 'checkpoint.json');
  const b = makeOpt();
  const sb = b.init(theta0);
  const first: StepRecord[] = [];
  expect(() =>
    run(optimizerMachine(b, makeOracle()), sb, {
      stop: untilIteration(opts.total),
      callbacks: [
        {
          onStep: ({ record: r }) => {
            first.push(r);
            if (r.iteration + 1 === opts.killAt) throw new Error('killed');
          },
        },
        checkpointToFile(b, path, opts.every),
      ],
    }),
  ).toThrow('killed');

  const ckpt = readCheckpoint(path);
  const resumedAt = Math.floor((opts.killAt - 1) / opts.every) * opts.every;
  const { optimizer, state } = restoreOptimizer(ckpt, opts.project ?? {});
  expect(state.iteration).toBe(resumedAt);
  const second: StepRecord[] = [];
  run(optimizerMachine(optimizer, makeOracle()), state, { stop: untilIteration(opts.total), callbacks: { onStep: (e) => void second.push(e.record) } });

  const stitched = [...first.slice(0, resumedAt), ...second];
  expect(stitched.length).toBe(full.length);
  expect(stitched.map(withoutWallTime)).toEqual(full.map(withoutWallTime));
  expect(bytes(state.theta).equals(bytes(sa.theta))).toBe(true);
  // the whole state (moments, tolerances, RNG, permutation, warm starts…) matches, except wall time
  const ca = JSON.parse(JSON.stringify(a.checkpoint(sa))) as { state: Record<string, unknown> };
  const cb = JSON.parse(JSON.stringify(optimizer.checkpoint(state))) as { state: Record<string, unknown> };
  delete ca.state['elapsed'];
  delete cb.state['elapsed'];
  expect(cb).toEqual(ca);
  return { full, ckpt };
}

describe('kill-and-resume reproduces the uninterrupted run exactly', () => {
  const quad = () => new QuadraticBilevel();
  const ridge = () => new RidgeLearning({ N: 60 });

  it('MAID', () => {
    const { full } = killAndResume(() => maid({ stepSize0: 0.15 }), quad, new Float64Array(5), { total: 40, every: 10, killAt: 27 });
    expect(full.some((r) => r.backtracks > 0)).toBe(true); // the resumed part includes line searches
  });

  it('ISGD (SGD) with decreasing schedules, across epoch boundaries', () => {
    killAndResume(
      () => isgd({ stepSize0: 0.5, stepSchedule: { kind: 'poly', exponent: 0.5 }, epsilon0: 1, accuracySchedule: { kind: 'poly', exponent: 1 }, batchSize: 7, seed: 9 }),
      ridge, new Float64Array(20), { total: 50, every: 12, killAt: 31 },
    );
  });

  it('Adam (moments, bias-correction counter) with a projection hook passed again on restore', () => {
    const layout = paramLayout([{ name: 'w', shape: 20 }]);
    const project = zeroMeanProjection({ layout, blocks: 'w' }, { groupSize: 5 });
    killAndResume(
      () => iadam({ stepSize0: 0.05, epsilon0: 0.5, accuracySchedule: { kind: 'log', exponent: 2 }, batchSize: 8, seed: 2, project }),
      ridge, new Float64Array(20), { total: 30, every: 5, killAt: 18, project: { project } },
    );
  });

  it('gradient descent', () => {
    killAndResume(() => gradientDescent({ stepSize: 0.05, epsilon: 1e-4 }), quad, new Float64Array(5), { total: 20, every: 4, killAt: 11 });
  });
});

describe('checkpoint files', () => {
  it('are JSON with typed arrays as base64 of their bytes (lossless)', () => {
    const q = new QuadraticBilevel();
    const opt = maid();
    const s = opt.init(new Float64Array([0.1, -0, 1e-310, 1 / 3, -2]));
    opt.step(q, s);
    const path = join(tempDir(), 'c.json');
    writeCheckpointAtomic(path, opt.checkpoint(s));
    const raw = JSON.parse(readFileSync(path, 'utf8')) as Checkpoint;
    expect(raw.format).toBe('bilevel-optimizer-checkpoint');
    expect(raw.method).toBe('maid');
    expect((raw.state as { theta: { $float64: string } }).theta.$float64).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const back = opt.restore(readCheckpoint(path));
    expect(bytes(back.theta).equals(bytes(s.theta))).toBe(true);
    expect(back.warm.get(2)!['q']).toEqual(s.warm.get(2)!['q']);
    expect([back.epsilon, back.delta, back.stepSize, back.iteration]).toEqual([s.epsilon, s.delta, s.stepSize, s.iteration]);
  });

  it('atomic write: a crash between the temp write and the rename leaves the previous checkpoint intact', () => {
    const dir = tempDir();
    const path = join(dir, 'ckpt.json');
    const { q, opt, s } = maidOnQuadratic();
    opt.step(q, s);
    const older = opt.checkpoint(s);
    writeCheckpointAtomic(path, older);
    const olderText = readFileSync(path, 'utf8');
    opt.step(q, s);
    const newer = opt.checkpoint(s);
    let tmpSeen = '';
    expect(() =>
      writeCheckpointAtomic(path, newer, {
        beforeRename: (tmp) => {
          tmpSeen = tmp;
          throw new Error('simulated crash');
        },
      }),
    ).toThrow('simulated crash');
    // the previous checkpoint is untouched and still restores
    expect(readFileSync(path, 'utf8')).toBe(olderText);
    expect(opt.restore(readCheckpoint(path)).iteration).toBe(1);
    // the temp file sat in the same directory (same file system: rename is atomic) and was complete
    expect(tmpSeen.startsWith(dir)).toBe(true);
    expect(JSON.parse(readFileSync(tmpSeen, 'utf8'))).toEqual(JSON.parse(JSON.stringify(newer)));
    // a later successful write replaces the file
    writeCheckpointAtomic(path, newer);
    expect(opt.restore(readCheckpoint(path)).iteration).toBe(2);
    expect(readdirSync(dir).filter((f) => f === 'ckpt.json')).toHaveLength(1);
  });

  it('writeFileAtomic replaces content and a torn/corrupt checkpoint is rejected clearly', () => {
    const dir = tempDir();
    const path = join(dir, 'x.json');
    writeFileAtomic(path, '{"a":1}');
    writeFileAtomic(path, '{"a":2}');
    expect(readFileSync(path, 'utf8')).toBe('{"a":2}');
    writeFileSync(path, '{"format":"bilevel-optimizer-checkpoint","vers');
    expect(() => readCheckpoint(path)).toThrow(ValidationError);
    writeFileSync(path, JSON.stringify({ format: 'other', version: 1 }));
    expect(() => readCheckpoint(path)).toThrow(/format/);
  });

  it('restore rejects a checkpoint of another method or with different options, naming them', () => {
    const q = new QuadraticBilevel();
    const a = maid();
    const s = a.init(new Float64Array(5));
    a.step(q, s);
    const c = a.checkpoint(s);
    expect(() => maid({ rho: 0.9 }).restore(c)).toThrow(/rho/);
    expect(() => gradientDescent({ stepSize: 1 }).restore(c)).toThrow(/maid/);
    expect(maid({ rho: 0.5 }).restore(c).iteration).toBe(1); // explicit default is the same option
  });

  it('checkpoints every N steps and at stop; an abort signal stops with a final checkpoint', async () => {
    const dir = tempDir();
    const path = join(dir, 'c.json');
    const saves: number[] = [];
    const { q, opt, s } = maidOnQuadratic();
    const ac = new AbortController();
    const res = await runAsync(optimizerMachine(opt, q), s, {
      stop: abortSignal(ac.signal),
      callbacks: [
        {
          onStep: ({ record: r }) => {
            if (r.iteration === 6) ac.abort(); // e.g. Ctrl-C during step 7
          },
        },
        optimizerCheckpoints(opt, 3, async (c) => {
          writeCheckpointAtomic(path, c);
          saves.push((c.state as { iteration: number }).iteration);
        }),
      ],
    });
    expect(res.reason).toBe('aborted');
    expect(res.iterations).toBe(7);
    expect(saves).toEqual([3, 6, 7]);
    expect(opt.restore(readCheckpoint(path)).iteration).toBe(7);
  });

  it('the async run yields to the event loop so an external abort is seen', async () => {
    const { q, opt, s } = maidOnQuadratic();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 0);
    const res = await runAsync(optimizerMachine(opt, q), s, { stop: anyOf(abortSignal(ac.signal), untilIteration(100_000)) });
    expect(res.reason).toBe('aborted');
    expect(res.iterations).toBeLessThan(100_000);
  });
});

describe('JSON-lines logs', () => {
  it('writes one record per line, and on resume keeps only the lines before the checkpoint', () => {
    const dir = tempDir();
    const path = join(dir, 'log.jsonl');
    const { q, opt, s } = maidOnQuadratic();
    const w = new JsonlWriter(path, { truncate: true });
    run(optimizerMachine(opt, q), s, { stop: untilIteration(6), callbacks: { onStep: (e) => w.write(e.record) } });
    w.write({ loss: Infinity, note: 'non-finite numbers survive' });
    w.close();
    const lines = readJsonl(path) as Record<string, unknown>[];
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatchObject({ method: 'maid', iteration: 0, epsilon: 0.1 });
    expect(lines[6]!['loss']).toBe(Infinity);
    expect(readFileSync(path, 'utf8')).toContain('"loss":"Infinity"');
    const w2 = new JsonlWriter(path, { keep: (r) => typeof r['iteration'] === 'number' && r['iteration'] < 4 });
    w2.write({ iteration: 4 });
    w2.close();
    expect((readJsonl(path) as { iteration: number }[]).map((r) => r.iteration)).toEqual([0, 1, 2, 3, 4]);
    // a torn last line (crash mid-append) is ignored
    writeFileSync(path, readFileSync(path, 'utf8') + '{"iteration": 5, "lo');
    expect(readJsonl(path)).toHaveLength(5);
    expect(existsSync(path)).toBe(true);
  });
});
