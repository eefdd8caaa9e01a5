/**
 * Parallel hypergradients: one piggyback evaluation of a FoE batch (8 samples of 64², the bundled
 * FoE experiment's model: 24 filters 7×7, Huber potential, TV-like start) on the inline engine,
 * on worker threads and on Redis workers (a local `redis-server` and local worker processes, when
 * Debian's redis-server is installed). One JSON line per engine and worker count:
 * `{"bench":"parallel-hypergradient","engine","workers","samples","median_ms","speedup_vs_inline","efficiency",…}`
 * with the machine's load average, so a loaded machine shows in the numbers. Then the bytes per
 * evaluation on the wire and the serial fraction `s` of Amdahl's law fitted to the 2-worker
 * speedup (`S = 1 / (s + (1 − s)/N)`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Rng } from '@bilevel/core';
import { measure } from '@bilevel/core/bench';
import { models } from '@bilevel/models';
import { ParallelOracle, type ComputeOptions, type SampleProblem } from '@bilevel/parallel';
import { startRedis } from '@bilevel/parallel/testing';

const SIZE = 64;
const SAMPLES = 8;

function problem(): SampleProblem {
  const rng = Rng.seeded(31);
  const options = { filters: 24, filterSize: 7, potential: 'huber', huber: 0.002 };
  const model = models.initial('foe', options, { filterScale: 0.005, derivativeWeight: 0.08 }, { rng, seed: 31, shape: [1, SIZE, SIZE] });
  const samples = Array.from({ length: SAMPLES }, (_, s) => {
    const clean = new Float64Array(SIZE * SIZE);
    for (let r = 0; r < SIZE; r++) {
      for (let c = 0; c < SIZE; c++) clean[r * SIZE + c] = 0.5 + 0.3 * Math.sin((r + 3 * s) / 5) * Math.cos((c - 2 * s) / 7) + (r + c > SIZE + s ? 0.15 : 0);
    }
    return { clean, degraded: Float64Array.from(clean, (v) => v + 0.1 * rng.normal()) };
  });
  return { model, shape: [1, SIZE, SIZE], samples, oracle: { kind: 'piggyback', maxIterations: 400 } };
}

const p = problem();
const theta = Float64Array.from(p.model.theta);
const batch = Array.from({ length: SAMPLES }, (_, i) => i);
const tol = { epsilon: 1e-3, delta: 1e-3 };
const options = { warmup: 1, repeats: 5, maxMs: 60_000 };

function time(compute: ComputeOptions): { median_ms: number; bytes: number } {
  const oracle = new ParallelOracle(p, compute);
  try {
    const t = measure(() => void oracle.evaluate(theta, batch, tol), options);
    const s = oracle.stats.totals();
    return { median_ms: t.median_ms, bytes: (s.bytesOut + s.bytesIn) / s.calls };
  } finally {
    oracle.close();
  }
}

const line = (engine: string, workers: number, median: number, inline: number, bytes: number): void =>
  console.log(
    JSON.stringify({
      bench: 'parallel-hypergradient',
      engine,
      workers,
      samples: SAMPLES,
      size: `${SIZE}x${SIZE}`,
      median_ms: Number(median.toFixed(1)),
      speedup_vs_inline: Number((inline / median).toFixed(3)),
      efficiency: Number((inline / median / workers).toFixed(3)),
      bytes_per_evaluation: Math.round(bytes),
      cores: availableParallelism(),
      load: loadavg().map((l) => Number(l.toFixed(2))),
    }),
  );

const inline = time({ engine: 'inline' }).median_ms;
line('inline', 1, inline, inline, 0);
const speedups: Record<string, number> = {};
for (const workers of [1, 2]) {
  const t = time({ engine: 'threads', workers });
  line('threads', workers, t.median_ms, inline, t.bytes);
  speedups[`threads-${workers}`] = inline / t.median_ms;
}

// Redis: a local server and local worker processes (skipped without Debian's redis-server).
const redisBin = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
if (redisBin) {
  const redis = await startRedis(redisBin);
  const url = redis.url;
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const script = new URL('../test/processes/worker.ts', import.meta.url).pathname;
  const workers: ChildProcess[] = [];
  const startWorker = (): Promise<void> =>
    new Promise((resolve) => {
      const w = spawn(process.execPath, ['--import', tsx, '--conditions=@bilevel/source', script, url, '--heartbeat', '1000'], { stdio: ['ignore', 'pipe', 'inherit'] });
      workers.push(w);
      w.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) resolve();
      });
    });
  try {
    for (const count of [1, 2]) {
      await startWorker();
      const t = time({ engine: 'redis', redis: { url, waitForWorkersMs: 60_000 } });
      line('redis', count, t.median_ms, inline, t.bytes);
      speedups[`redis-${count}`] = inline / t.median_ms;
    }
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await redis.stop();
  }
} else {
  console.log(JSON.stringify({ bench: 'parallel-hypergradient', engine: 'redis', skipped: 'redis-server not installed (apt-get install redis-server)' }));
}

// Amdahl: S(N) = 1 / (s + (1 − s)/N)  ⇒  s = (N/S − 1)/(N − 1), from the 2-worker threads speedup.
const s2 = speedups['threads-2']!;
const serial = Math.max(0, (2 / s2 - 1) / (2 - 1));
const predicted = (n: number): number => 1 / (serial + (1 - serial) / n) / n;
console.log(JSON.stringify({ bench: 'parallel-hypergradient-model', serial_fraction: Number(serial.toFixed(4)), predicted_efficiency_64: Number(predicted(64).toFixed(3)) }));
