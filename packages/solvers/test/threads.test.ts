/**
 * One fused Huber-TV solve split into row bands over worker threads: iterates, step sums and
 * certificates bit-identical to the one-thread kernel for 1, 2 and 3 threads (isotropic,
 * anisotropic, TV, PDHG and piggyback; odd sizes, several channels, fewer rows than threads,
 * width 1), through the kernel and through `Pdhg` / `Piggyback` with the `threads` option; the
 * option's validation and size rule; the fallback to one thread without worker threads; and the
 * lifecycle: workers go back to an idle pool on release, a failing worker is an error of the
 * caller carrying the worker's error as its cause (not a hang, nothing on stderr), and a process
 * that used threads exits by itself.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { BilevelError, Rng, ValidationError, WasmKernel, maxIterations, run, type Loss, type SaddleProblem } from '@bilevel/core';
import { Gradient2D } from '@bilevel/operators';
import { HuberConjugate, QuadraticFidelity } from '@bilevel/prox';
import { MAX_THREADS, MIN_PIXELS_PER_THREAD, Pdhg, Piggyback, huberTvThreads, type PiggybackProblem } from '@bilevel/solvers';
import { CONTROL } from '../src/wasm/band-program.js';
import { BandTeam, bandWorkerCounts, controlBytes, terminateIdleBandWorkers } from '../src/wasm/band-team.js';
import { HuberTvKernel, type HuberTvParams } from '../src/wasm/huber-tv-kernel.js';
import { wasmSharedBase64 } from '../src/wasm/huber-tv.wasm.js';

afterAll(() => terminateIdleBandWorkers());

/** Index of the first entry whose bits differ (`-1`: identical, signed zeros and NaN payloads included). */
function firstDifference(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const u = new BigInt64Array(a.buffer, a.byteOffset, a.length);
  const v = new BigInt64Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < u.length; i++) if (u[i] !== v[i]) return i;
  return -1;
}

/** The bits of every number of `o` (objects of numbers), for an exact comparison. */
const bits = (o: object): Record<string, string> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? new BigInt64Array(Float64Array.of(v).buffer)[0]!.toString(16) : String(v)]));

function params(C: number, H: number, W: number, fStar: 'iso' | 'aniso' | 'tv', seed: number): HuberTvParams {
  const rng = Rng.seeded(seed);
  const N = C * H * W;
  return {
    C,
    H,
    W,
    scale: 1.3,
    lambda: 1.1,
    c: rng.normalVec(N),
    constant: 0.4,
    alpha: 0.2,
    epsilon: fStar === 'tv' ? 0 : 0.05,
    isotropic: fStar !== 'aniso',
    loss: { scale: 0.7, target: rng.normalVec(N) },
  };
}

/** Steps with changing τ, σ, ϑ (as the accelerated rule), certificates after steps 5 and 17. */
function trajectory(p: HuberTvParams, adjoint: boolean, bands: number) {
  const k = new HuberTvKernel(p, adjoint, bands);
  const rng = Rng.seeded(99);
  // a warm start with signed zeros and varied values
  k.y.set(rng.normalVec(k.y.length).map((v, i) => (i % 7 === 0 ? -0 : 0.1 * v)));
  k.x.set(rng.normalVec(k.x.length));
  k.xPrev.set(k.x);
  if (adjoint) {
    k.Y.set(rng.normalVec(k.Y.length).map((v) => 0.05 * v));
    k.X.set(rng.normalVec(k.X.length));
    k.XPrev.set(k.X);
  }
  const sums: number[] = [];
  const certificates: ReturnType<HuberTvKernel['certificate']>[] = [];
  let tau = 0.35;
  for (let n = 1; n <= 17; n++) {
    const theta = 1 / Math.sqrt(1 + 0.2 * tau);
    sums.push(k.step(tau, 0.3 / tau / 8, theta));
    tau *= theta;
    if (n === 5 || n === 17) certificates.push(k.certificate());
  }
  const out = {
    threads: k.threads,
    arrays: [k.x, k.xPrev, k.y, k.X, k.XPrev, k.Y].map((a) => Float64Array.from(a)),
    sums: Float64Array.from(sums),
    certificates: certificates.map(bits),
  };
  k.release();
  return out;
}

const cases: [C: number, H: number, W: number, threads: readonly number[]][] = [
  [1, 37, 53, [2, 3]],
  [1, 129, 64, [2, 3]],
  [2, 5, 7, [2, 3]], // bands across the channel boundary
  [3, 1, 5, [2, 3]], // one row per channel
  [1, 2, 9, [3]], // fewer rows than threads: 2 bands
  [1, 1, 13, [2]], // one row: one band
  [1, 7, 1, [2, 3]], // width 1
];

describe('Huber-TV kernel in row bands over worker threads', () => {
  for (const [C, H, W, threads] of cases)
    for (const fStar of ['iso', 'aniso', 'tv'] as const)
      for (const adjoint of fStar === 'tv' ? [false] : [false, true])
        it(`${C}×${H}×${W} ${fStar} ${adjoint ? 'piggyback' : 'pdhg'}: threads ${threads.join(', ')} bit-identical to one thread`, () => {
          const p = params(C, H, W, fStar, C * 1000 + H * 10 + W);
          const one = trajectory(p, adjoint, 1);
          expect(one.threads).toBe(1);
          for (const t of threads) {
            const many = trajectory(p, adjoint, t);
            expect(many.threads).toBe(Math.min(t, C * H));
            many.arrays.forEach((a, k) => expect(firstDifference(a, one.arrays[k]!), `array ${k}, ${t} threads`).toBe(-1));
            expect(firstDifference(many.sums, one.sums), `step sums, ${t} threads`).toBe(-1);
            expect(many.certificates).toEqual(one.certificates);
          }
        });
});

describe('row bands under churn', () => {
  it('300 alternating steps and certificates on a small image (6 bands, 3 threads): every sum and certificate bit-identical', () => {
    // tiny bands finish before a worker wakes: late threads, claimed bands and skipped programs all happen
    const p = params(2, 3, 7, 'iso', 5);
    const one = new HuberTvKernel(p, true, 1);
    const many = new HuberTvKernel(p, true, 3);
    expect(many.threads).toBe(3);
    try {
      for (let n = 0; n < 300; n++) {
        const tau = 0.2 + 0.1 * Math.sin(n);
        expect(Object.is(many.step(tau, 0.3, 1), one.step(tau, 0.3, 1)), `step ${n}`).toBe(true);
        if (n % 3 === 0) expect(bits(many.certificate()), `certificate ${n}`).toEqual(bits(one.certificate()));
      }
      [
        [many.x, one.x],
        [many.Y, one.Y],
      ].forEach(([a, b]) => expect(firstDifference(Float64Array.from(a!), Float64Array.from(b!))).toBe(-1));
    } finally {
      one.release();
      many.release();
    }
  });
});

const squaredError: Loss = {
  convex: true,
  description: 'squared error',
  value: (x, t) => x.reduce((s, v, i) => s + (v - t[i]!) ** 2, 0) / 2,
  gradient: (x, t, out) => {
    for (let i = 0; i < x.length; i++) out[i] = x[i]! - t[i]!;
    return out;
  },
  lipschitz: () => 1,
  describe: () => ({ kind: 'squared-error', reduction: 'sum' }),
};

function huberTv(H: number, W: number, groupSize: 1 | 2): PiggybackProblem {
  const rng = Rng.seeded(H * W + groupSize);
  const b = Float64Array.from(rng.normalVec(H * W), (v, k) => ((k % W) * 2 > W ? 0.8 : 0.2) + 0.1 * v);
  const K = new Gradient2D({ channels: 1, height: H, width: W, boundary: 'neumann' });
  const fStar = new HuberConjugate({ shape: K.range, groupSize, alpha: 0.1, epsilon: 0.01 });
  const g = new QuadraticFidelity({ shape: K.domain, data: b });
  return { K, g, fStar, f: fStar.conjugate(), gStar: g.conjugate(), loss: squaredError, target: rng.normalVec(H * W) };
}

describe('the threads option of Pdhg and Piggyback', () => {
  it('Pdhg with threads 2 (256², isotropic) runs on 2 threads, bit-identical to threads 1, iterates and certificates', () => {
    const problem: SaddleProblem = huberTv(256, 256, 2);
    const trace = (threads: number) => {
      const pdhg = new Pdhg({ threads });
      const state = pdhg.init(problem);
      const certificates: Record<string, string>[] = [];
      run(pdhg, state, { stop: maxIterations(12), certificateEvery: 4, callbacks: { onStep: ({ certificate }) => void (certificate && certificates.push(bits(certificate))) } });
      certificates.push(bits(pdhg.certificate(state)));
      const out = { threads: state.work.fused!.threads, x: Float64Array.from(state.x), y: Float64Array.from(state.y), certificates, change: state.primalChange };
      pdhg.release(state);
      return out;
    };
    const one = trace(1);
    const two = trace(2);
    expect([one.threads, two.threads]).toEqual([1, 2]);
    expect(firstDifference(two.x, one.x)).toBe(-1);
    expect(firstDifference(two.y, one.y)).toBe(-1);
    expect(Object.is(two.change, one.change)).toBe(true);
    expect(two.certificates.length).toBeGreaterThan(1);
    expect(two.certificates).toEqual(one.certificates);
  });

  it('Piggyback with threads 2 (256², anisotropic): PDHG and adjoint iterates and Lemma 2/3 certificates bit-identical', () => {
    const problem = huberTv(256, 256, 1);
    const trace = (threads: number) => {
      const pig = new Piggyback({ threads });
      const state = pig.init(problem);
      for (let n = 0; n < 9; n++) pig.step(state);
      const certificate = bits(pig.certificate(state));
      const out = { threads: state.work.fused!.threads, arrays: [state.x, state.y, state.X, state.Y].map((a) => Float64Array.from(a)), certificate };
      pig.release(state);
      return out;
    };
    const one = trace(1);
    const two = trace(2);
    expect([one.threads, two.threads]).toEqual([1, 2]);
    two.arrays.forEach((a, k) => expect(firstDifference(a, one.arrays[k]!), `array ${k}`).toBe(-1));
    expect(two.certificate).toEqual(one.certificate);
  });

  it('runs on at most one thread per 2¹⁵ pixels and per row', () => {
    expect(MIN_PIXELS_PER_THREAD).toBe(2 ** 15);
    expect(huberTvThreads(1, 1, 1024, 1024)).toBe(1);
    expect(huberTvThreads(2, 1, 255, 256)).toBe(1);
    expect(huberTvThreads(2, 1, 256, 256)).toBe(2);
    expect(huberTvThreads(4, 1, 256, 256)).toBe(2);
    expect(huberTvThreads(64, 1, 1024, 1024)).toBe(32);
    expect(huberTvThreads(8, 1, 4, 2 ** 16)).toBe(4);
    expect(huberTvThreads(3, 2, 1, 2 ** 17)).toBe(2);
    const pdhg = new Pdhg({ threads: 4 });
    const state = pdhg.init(huberTv(64, 64, 2));
    expect(state.work.fused!.threads).toBe(1);
    pdhg.release(state);
  });

  it('refuses thread counts that are not whole numbers from 1 to 64, naming the option', () => {
    for (const threads of [0, -1, 1.5, MAX_THREADS + 1, Number.NaN, Number.POSITIVE_INFINITY, '2' as unknown as number]) {
      expect(() => new Pdhg({ threads }), String(threads)).toThrow(ValidationError);
      expect(() => new Pdhg({ threads }), String(threads)).toThrow(/threads/);
      expect(() => new Piggyback({ threads }), String(threads)).toThrow(ValidationError);
    }
    expect(() => new Pdhg({ threads: MAX_THREADS })).not.toThrow();
  });

  it('runs on one thread, without an error, where worker threads are not available (browsers)', () => {
    const spy = vi.spyOn(process, 'getBuiltinModule').mockReturnValue(undefined as never);
    try {
      expect(huberTvThreads(2, 1, 256, 256)).toBe(1);
      const k = new HuberTvKernel(params(1, 9, 8, 'iso', 1), false, 3);
      expect(k.threads).toBe(1);
      k.step(0.3, 0.3, 1);
      k.release();
      const pdhg = new Pdhg({ threads: 2 });
      const state = pdhg.init(huberTv(256, 256, 2));
      expect(state.work.fused!.threads).toBe(1);
      pdhg.step(state);
      pdhg.release(state);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('worker threads lifecycle', () => {
  it('release gives the workers back to an idle pool, the next solve reuses them, and they can be ended', async () => {
    const problem = huberTv(256, 256, 2);
    const pdhg = new Pdhg({ threads: 3 });
    const state = pdhg.init(problem);
    expect(state.work.fused!.threads).toBe(2);
    const during = bandWorkerCounts();
    expect(during.busy).toBe(1);
    pdhg.step(state);
    pdhg.release(state);
    pdhg.release(state);
    expect(() => pdhg.step(state)).toThrow(/released/);
    const after = bandWorkerCounts();
    expect(after.busy).toBe(0);
    expect(after.idle).toBe(during.idle + 1);
    const again = pdhg.init(problem);
    expect(bandWorkerCounts()).toEqual({ busy: 1, idle: after.idle - 1 });
    pdhg.release(again);
    await terminateIdleBandWorkers();
    expect(bandWorkerCounts()).toEqual({ busy: 0, idle: 0 });
  });

  it('a failing worker is an error of the caller, not a hang, carrying the worker\'s error, and the team still detaches', async () => {
    // the worker's error reaches the caller as the cause of its error, not as a line on stderr
    const written: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const kernel = new WasmKernel<Record<string, never>>(wasmSharedBase64, 'a test team', 'nothing', { shared: true });
    const lease = kernel.acquire(65536, 'test');
    const control = 1024;
    expect(controlBytes(2)).toBeLessThan(65536 - control);
    const failed = new Int32Array(lease.buffer, control + 4 * CONTROL.failed, 1);
    // the caller's band 0 waits until the worker, on its band 1, has failed: its export does not exist
    const team = new BandTeam({
      module: kernel.module(),
      memory: lease.memory,
      control,
      threads: 2,
      bands: 2,
      exports: [(band: number) => void (band === 0 && Atomics.wait(failed, 0, 0, 30_000))],
      names: ['no such export'],
      who: 'a test team',
    });
    let thrown: unknown;
    try {
      team.run([{ first: 0, args: [] }]);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(BilevelError);
    expect((thrown as Error).message).toMatch(/a worker thread failed: TypeError: .* is not a function/);
    expect(((thrown as Error).cause as Error).name).toBe('TypeError');
    expect(() => team.run([{ first: 0, args: [] }])).toThrow(/worker thread failed: TypeError/);
    team.detach();
    expect(bandWorkerCounts().busy).toBe(0);
    kernel.release(lease);
    // a worker's stderr reaches this thread through its event loop: give it a few turns
    for (let k = 0; k < 20; k++) await new Promise((resolve) => setTimeout(resolve, 10));
    stderr.mockRestore();
    expect(written.join('')).not.toMatch(/is not a function/);
  });

  it('a process that solved with threads (released or not) exits by itself', () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
    const script = join(dirname(fileURLToPath(import.meta.url)), 'threads-exit.ts');
    const r = spawnSync(join(root, 'node_modules', '.bin', 'tsx'), ['--conditions=@bilevel/source', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('threads 2 2');
  });
});
