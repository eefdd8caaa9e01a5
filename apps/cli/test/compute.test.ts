import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildReport, readJsonLines, runFile } from '@bilevel/cli';
import { redisServerPath, startRedis, type TestRedis } from '@bilevel/parallel/testing';
import { QUIET, cli, spawnCli, tempDir, tinyConfig, trainTiny, writeConfig, type CliChild } from './helpers.js';

// Where the per-sample solves run never changes what a run writes: the log (but its wall-clock
// and compute fields), the checkpoint (but the elapsed time) and params.json are identical for
// the inline engine, worker threads (the default) and Redis workers, also across a trainer killed
// and resumed.

const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

/** What must be identical between engines: log rows without wall-clock fields, checkpoint without elapsed time, params. */
function outcome(dir: string): { log: unknown[]; checkpoint: unknown; params: unknown } {
  const log = readJsonLines(runFile(dir, 'log')).map((r) => {
    const { wallTime: _w, stepTime: _s, compute: _c, ...rest } = r as Record<string, unknown>;
    return rest;
  });
  const checkpoint = readJson(runFile(dir, 'checkpoint'));
  const { elapsed: _e, ...state } = checkpoint.state as Record<string, unknown>;
  return { log, checkpoint: { ...checkpoint, state }, params: readJson(runFile(dir, 'params')) };
}

describe('compute engines in the app', () => {
  it('inline, two threads and the default (threads) write the same log, checkpoint and params', async () => {
    const dir = tempDir();
    const inline = await trainTiny(dir, 'inline');
    const threads = await trainTiny(dir, 'threads', { compute: { engine: 'threads', workers: 2 } });
    const byDefault = await trainTiny(dir, 'default', { compute: undefined });
    expect(outcome(threads)).toEqual(outcome(inline));
    expect(outcome(byDefault)).toEqual(outcome(inline));
    const rows = readJsonLines(runFile(threads, 'log')) as { compute: { engine: string; workers: number; utilisation: number[]; queueMs: number; bytes: number } }[];
    for (const r of rows) {
      expect(r.compute.engine).toBe('threads');
      expect(r.compute.workers).toBe(2);
      expect(r.compute.utilisation).toHaveLength(2);
      expect(r.compute.bytes).toBeGreaterThan(0);
    }
    expect((readJsonLines(runFile(byDefault, 'log'))[0] as { compute: { engine: string } }).compute.engine).toBe('threads');
    const status = readJson(runFile(threads, 'status')) as { compute: { engine: string; workers: number; seconds: { total: number; solve: number } } };
    expect(status.compute.engine).toBe('threads');
    expect(status.compute.seconds.solve).toBeLessThanOrEqual(status.compute.seconds.total);
    expect(buildReport(threads)).toMatch(/## Compute[\s\S]*threads\*\* engine, 2 worker\(s\)[\s\S]*solve [\d.]+ s/);
  });

  const bin = redisServerPath();
  describe.skipIf(!bin)('redis (real Redis server, `bilevel worker` processes)', () => {
    let redis: TestRedis | undefined;
    const children: CliChild[] = [];
    const startWorker = async (threads: number): Promise<CliChild> => {
      redis ??= await startRedis(bin!);
      const worker = spawnCli(['worker', '--redis', redis.url, '--threads', String(threads)]);
      children.push(worker);
      await worker.waitFor(new RegExp(`ready: ${threads} worker`));
      return worker;
    };
    afterEach(async () => {
      for (const c of children.splice(0)) {
        c.child.kill('SIGTERM');
        await c.exit;
      }
    });
    afterAll(async () => {
      await redis?.stop();
    });

    /** Resolve once the run in `out` has a checkpoint at iteration ≥ 2 and is before iteration 10 (of 12). */
    const midRun = (out: string): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        const poll = setInterval(() => {
          try {
            const s = readJson(runFile(out, 'status')) as { iteration: number; checkpointIteration?: number };
            if ((s.checkpointIteration ?? 0) >= 2 && s.iteration < 10) {
              clearInterval(poll);
              resolve();
            } else if (s.iteration >= 10) {
              clearInterval(poll);
              reject(new Error('the trainer got too far before the fault could be injected'));
            }
          } catch {
            // run.json not written yet (or being replaced)
          }
        }, 10);
      });
    const overrides = { budget: { iterations: 12 }, checkpointEvery: 2 };

    it('a trainer killed with SIGKILL and resumed with --resume ends as an uninterrupted inline run', async () => {
      await startWorker(2);
      const dir = tempDir();
      const reference = await trainTiny(dir, 'reference', overrides);
      const config = writeConfig(dir, tinyConfig(overrides), 'redis.json');
      const out = join(dir, 'redis');
      const trainer = spawnCli(['train', config, '--out', out, '--redis', redis!.url, '--progress', 'plain', '--no-report']);
      await midRun(out);
      trainer.child.kill('SIGKILL');
      await trainer.exit;
      const resumed = await cli('train', config, '--out', out, '--resume', '--redis', redis!.url, ...QUIET);
      expect(resumed.code, resumed.err).toBe(0);
      expect(outcome(out)).toEqual(outcome(reference));
      const rows = readJsonLines(runFile(out, 'log')) as { compute?: { engine: string } }[];
      expect(rows.at(-1)!.compute!.engine).toBe('redis');
    });

    it('a `bilevel worker` killed with SIGKILL during training: its samples go to the other worker and the run ends as the inline run', async () => {
      // two workers of one thread each: each owns one of the two training crops
      const doomed = await startWorker(1);
      await startWorker(1);
      const dir = tempDir();
      const reference = await trainTiny(dir, 'reference', overrides);
      const config = writeConfig(dir, tinyConfig({ ...overrides, compute: { engine: 'redis', redis: redis!.url } }), 'redis.json');
      const out = join(dir, 'redis');
      const trainer = spawnCli(['train', config, '--out', out, '--progress', 'plain', '--no-report']);
      await midRun(out);
      doomed.child.kill('SIGKILL');
      expect((await doomed.exit).signal).toBe('SIGKILL');
      const done = await trainer.exit;
      expect(done.code, done.err).toBe(0);
      expect(outcome(out)).toEqual(outcome(reference));
      const status = readJson(runFile(out, 'status')) as { compute: { engine: string; resent: number } };
      expect(status.compute.engine).toBe('redis');
      expect(status.compute.resent).toBeGreaterThan(0);
    });
  });
});
