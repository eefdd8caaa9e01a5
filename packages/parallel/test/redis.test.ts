import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildProblem, ParallelOracle } from '@bilevel/parallel';
import { foeProblem, smoothTvProblem } from './fixtures.js';
import { redisServerPath, startRedis, type TestRedis } from '@bilevel/parallel/testing';
import { spawnScript, stopScript, type Script } from './processes/spawn.js';
import { OPTIMIZERS, trajectory } from './trajectories.js';

// Real Redis, real worker processes: identical θ with 1 and 2 workers, a worker killed with
// SIGKILL mid-job, a Redis restart mid-run, a worker of another version.
const bin = redisServerPath();
const WORKER = new URL('./processes/worker.ts', import.meta.url);
const TRAINER = new URL('./processes/trainer.ts', import.meta.url);

describe.skipIf(!bin)('redis engine (real Redis server)', () => {
  let redis: TestRedis;
  const scripts: Script[] = [];
  const worker = async (...args: string[]): Promise<Script> => {
    const s = spawnScript(WORKER, [redis.url, ...args]);
    scripts.push(s);
    await s.waitFor(/ready /);
    return s;
  };
  const stopAll = async (): Promise<void> => {
    await Promise.all(scripts.splice(0).map(stopScript));
  };

  beforeAll(async () => {
    redis = await startRedis(bin!);
  });
  afterEach(stopAll);
  afterAll(async () => {
    await redis?.stop();
  });

  const reference = (problem: ReturnType<typeof smoothTvProblem>, steps: number) => trajectory(OPTIMIZERS.maid!.make(), buildProblem(problem).oracle, problem.model.theta, steps);

  it('one and two workers give the inline θ, records and checkpoint bit for bit', async () => {
    const problem = smoothTvProblem(4, 10);
    const want = reference(problem, 3);
    const wantAdam = trajectory(OPTIMIZERS.iadam!.make(), buildProblem(problem).oracle, problem.model.theta, 3);
    await worker();
    for (const count of [1, 2]) {
      if (count === 2) await worker();
      const oracle = new ParallelOracle(problem, { engine: 'redis', redis: { url: redis.url, waitForWorkersMs: 30_000 } });
      try {
        expect(trajectory(OPTIMIZERS.maid!.make(), oracle, problem.model.theta, 3)).toEqual(want);
        expect(trajectory(OPTIMIZERS.iadam!.make(), oracle, problem.model.theta, 3)).toEqual(wantAdam);
        const t = oracle.stats.totals();
        expect(t.workers).toBe(count);
        expect(t.bytesOut).toBeGreaterThan(0);
        expect(t.bytesIn).toBeGreaterThan(t.bytesOut);
      } finally {
        oracle.close();
      }
    }
  });

  it('a worker killed with SIGKILL mid-job: its task is retried on another worker and θ is unchanged', async () => {
    const problem = foeProblem(4, 8);
    const want = reference(problem, 2);
    const doomed = await worker('--die-after', '3');
    await worker();
    const oracle = new ParallelOracle(problem, { engine: 'redis', redis: { url: redis.url, waitForWorkersMs: 30_000 } });
    try {
      expect(trajectory(OPTIMIZERS.maid!.make(), oracle, problem.model.theta, 2)).toEqual(want);
      expect(await doomed.exit).toBe(null);
      expect(doomed.child.signalCode).toBe('SIGKILL');
      expect(oracle.stats.totals().resent).toBeGreaterThan(0);
    } finally {
      oracle.close();
    }
  });

  it('Redis restarted mid-run: the trainer waits, reconnects and ends with the same θ', async () => {
    const problem = foeProblem(4, 8);
    const want = reference(problem, 3);
    const workers = [await worker(), await worker()];
    const trainer = spawnScript(TRAINER, [redis.url, 'foe', '3']);
    scripts.push(trainer);
    await trainer.waitFor(/"step":0/);
    // restart while a worker runs a task of step 1 (the trainer is waiting for outcomes)
    const seen = workers.map((w) => w.output().length);
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (workers.some((w, k) => /start /.test(w.output().slice(seen[k])))) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });
    expect(trainer.output()).not.toMatch(/"step":1/);
    await redis.restart(500);
    expect(await trainer.exit, trainer.output()).toBe(0);
    const thetas = trainer
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{"step"'))
      .map((l) => (JSON.parse(l) as { theta: string }).theta);
    expect(thetas).toEqual(want.thetas);
    await stopAll();
  });

  it('a worker of another version is refused; the run goes on with the others', async () => {
    const problem = smoothTvProblem(3, 10);
    const want = reference(problem, 2);
    await worker('--version', 'bilevel-parallel/0');
    await worker();
    const lines: string[] = [];
    const oracle = new ParallelOracle(problem, { engine: 'redis', redis: { url: redis.url, waitForWorkersMs: 30_000 } }, { log: (l) => lines.push(l) });
    try {
      expect(trajectory(OPTIMIZERS.maid!.make(), oracle, problem.model.theta, 2)).toEqual(want);
      expect(oracle.stats.totals().workers).toBe(1);
      expect(lines.join('\n')).toMatch(/refused worker .* runs bilevel-parallel\/0/);
    } finally {
      oracle.close();
    }
  });
});
