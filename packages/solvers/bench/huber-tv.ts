/**
 * Huber-TV denoising PDHG at 256², 512², 1024² (float64): g = ½‖x − b‖², K = 2-D gradient
 * (Neumann), f* = isotropic Huber conjugate. Median milliseconds per iteration of `Pdhg` on the
 * generic composition (backend js-f64, on `Gradient2D`, `HuberConjugate`, `QuadraticFidelity`)
 * and on the fused WebAssembly kernel the same problem dispatches to (backend wasm-f64), on one
 * thread and with the option `threads: 2` (row bands on a worker thread; the `threads` field is
 * what ran), each also with the certificate every 10 iterations; and, when a C compiler is on the
 * machine, of the same sweep in C (`huber-tv.c`, `-O3 -march=native -fno-math-errno`, one
 * thread), compiled and timed here: `ratio_to_c` is fused / C (absent without a compiler), for
 * both thread counts against the same C run. `ratio_to_c_128` compares with the same C source
 * built for 128-bit vectors without fused multiply-add (`-mno-avx -mno-fma`: SSE4.2, the vector
 * width and instruction set WebAssembly SIMD has), which separates the cost of the narrower
 * vectors from the cost of WebAssembly itself. `load_avg_1m` is the machine's load when the row
 * was measured (other processes share the cores).
 *
 * Run: `cd packages/solvers && npx tsx --conditions=@bilevel/source bench/huber-tv.ts [sizes…]`
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, type SaddleProblem } from '@bilevel/core';
import { measure, report, sig, type MeasureOptions, type Timing } from '@bilevel/core/bench';
import { Gradient2D } from '@bilevel/operators';
import { HuberConjugate, QuadraticFidelity } from '@bilevel/prox';
import { Pdhg } from '@bilevel/solvers';

const C_FLAGS = ['-O3', '-march=native', '-fno-math-errno'];
/** The same build limited to 128-bit vectors and no FMA (what WebAssembly SIMD offers). */
const C_FLAGS_128 = [...C_FLAGS, '-mno-avx', '-mno-fma'];

/** Compile `huber-tv.c` with `flags` by the first C compiler that works; `undefined` without one. */
function compileC(flags: readonly string[]): { run(n: number, iterations: number, blocks: number): { median: number; min: number } | undefined; dispose(): void } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'bilevel-bench-'));
  const exe = join(dir, 'huber-tv');
  const source = join(dirname(fileURLToPath(import.meta.url)), 'huber-tv.c');
  for (const cc of ['cc', 'gcc', 'clang']) {
    const r = spawnSync(cc, [...flags, '-o', exe, source, '-lm'], { encoding: 'utf8' });
    if (r.status === 0) {
      return {
        run(n, iterations, blocks) {
          const out = spawnSync(exe, [String(n), String(iterations), String(blocks)], { encoding: 'utf8' });
          if (out.status !== 0) return undefined;
          const j = JSON.parse(out.stdout) as { median_ms_per_iter: number; min_ms_per_iter: number };
          return { median: j.median_ms_per_iter, min: j.min_ms_per_iter };
        },
        dispose: () => rmSync(dir, { recursive: true, force: true }),
      };
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return undefined;
}
const c = compileC(C_FLAGS);
const c128 = compileC(C_FLAGS_128);

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const alpha = 0.1;
const epsilon = 0.01;
const block = 10; // iterations per timed call; the certificate variant adds one certificate per block

/**
 * Reference point "a naive JavaScript loop": one PDHG iteration in three plain
 * passes (dual with per-pixel boundary tests, divergence into a buffer, primal + extrapolation).
 */
function naiveStep(n: number, x: Float64Array, xb: Float64Array, y: Float64Array, d: Float64Array, b: Float64Array, tau: number, sigma: number): void {
  const N = n * n;
  const c = alpha / (alpha + sigma * epsilon);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const k = i * n + j;
      const gx = j < n - 1 ? xb[k + 1]! - xb[k]! : 0;
      const gy = i < n - 1 ? xb[k + n]! - xb[k]! : 0;
      const w0 = y[k]! + sigma * gx;
      const w1 = y[k + N]! + sigma * gy;
      const s = Math.min(c, alpha / Math.sqrt(w0 * w0 + w1 * w1));
      y[k] = s * w0;
      y[k + N] = s * w1;
    }
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const k = i * n + j;
      d[k] = (j < n - 1 ? y[k]! : 0) - (j > 0 ? y[k - 1]! : 0) + (i < n - 1 ? y[k + N]! : 0) - (i > 0 ? y[k + N - n]! : 0);
    }
  for (let k = 0; k < N; k++) {
    const xo = x[k]!;
    const xn = (xo + tau * d[k]! + tau * b[k]!) / (1 + tau);
    x[k] = xn;
    xb[k] = xn + (xn - xo);
  }
}

function image(n: number): Float64Array {
  const rng = Rng.seeded(n);
  const b = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const inside = (i - n / 2) ** 2 + (j - n / 2) ** 2 < (n / 4) ** 2;
      b[i * n + j] = (inside ? 0.8 : 0.2) + 0.1 * rng.normal();
    }
  return b;
}

/** Timings of `block` steps of a solver, without and with one certificate per block. */
function timeBlocks<S>(solver: { step(s: S): void; certificate(s: S): unknown }, state: S, opts: MeasureOptions) {
  const steps = measure(() => {
    for (let k = 0; k < block; k++) solver.step(state);
  }, opts);
  const withCertificate = measure(() => {
    for (let k = 0; k < block; k++) solver.step(state);
    solver.certificate(state);
  }, opts);
  return [steps, withCertificate] as const;
}

/** The report fields of timed blocks: ms per iteration, and with one certificate per block. */
function perIteration(steps: Timing, withCertificate?: Timing) {
  return {
    median_ms_per_iter: sig(steps.median_ms / block),
    min_ms_per_iter: sig(steps.min_ms / block),
    ...(withCertificate
      ? {
          with_certificate_every_10_ms_per_iter: sig(withCertificate.median_ms / block),
          certificate_overhead: sig(withCertificate.median_ms / steps.median_ms - 1),
        }
      : {}),
  };
}

for (const n of sizes.length ? sizes : [256, 512, 1024]) {
  const b = image(n);
  const K = new Gradient2D({ channels: 1, height: n, width: n, boundary: 'neumann' });
  const fStar = new HuberConjugate({ shape: K.range, groupSize: 2, alpha, epsilon });
  const g = new QuadraticFidelity({ shape: K.domain, data: b });
  const problem: SaddleProblem = { K, g, fStar, f: fStar.conjugate(), gStar: g.conjugate() };
  const opts = { repeats: n >= 1024 ? 7 : 15, warmup: 2, maxMs: 20000 };

  const generic = new Pdhg({ backend: 'js-f64' });
  const gs = generic.init(problem);
  const [tGeneric, tGenericCert] = timeBlocks(generic, gs, opts);
  const fusedRuns = [1, 2].map((threads) => {
    const fused = new Pdhg({ backend: 'wasm-f64', threads });
    const fs = fused.init(problem);
    const [steps, withCertificate] = timeBlocks(fused, fs, opts);
    const run = { threads: fs.work.fused!.threads, steps, withCertificate, load: loadavg()[0]!, tau: fs.tau, sigma: fs.sigma };
    fused.release(fs);
    return run;
  });
  const tFused = fusedRuns[0]!.steps;

  const nx = new Float64Array(n * n);
  const nxb = new Float64Array(n * n);
  const ny = new Float64Array(2 * n * n);
  const nd = new Float64Array(n * n);
  const tNaive = measure(() => {
    for (let k = 0; k < block; k++) naiveStep(n, nx, nxb, ny, nd, b, fusedRuns[0]!.tau, fusedRuns[0]!.sigma);
  }, opts);

  const N = n * n;
  const src = new Float64Array(4.5 * N);
  const dst = new Float64Array(4.5 * N);
  const tCopy = measure(() => dst.set(src), opts);
  const bytes = 72 * N;
  // the C sweep right after the fused kernel, so both see the same machine load
  const cTime = c?.run(n, block, opts.repeats);
  const c128Time = c128?.run(n, block, opts.repeats);

  const size = `${n}x${n}`;
  report({
    bench: 'huber-tv-pdhg-naive-loop',
    size,
    ...perIteration(tNaive),
  });
  report({
    bench: 'huber-tv-pdhg-generic',
    size,
    ...perIteration(tGeneric, tGenericCert),
  });
  for (const { threads, steps, withCertificate, load } of fusedRuns) {
    report({
      bench: 'huber-tv-pdhg-fused',
      size,
      threads,
      ...perIteration(steps, withCertificate),
      speedup_vs_generic: sig(tGeneric.median_ms / steps.median_ms),
      ...(threads > 1 ? { speedup_vs_one_thread: sig(tFused.median_ms / steps.median_ms) } : {}),
      ratio_to_naive_loop: sig(steps.median_ms / tNaive.median_ms),
      ratio_to_naive_loop_min: sig(steps.min_ms / tNaive.min_ms),
      effective_GB_per_s: sig(bytes / (steps.median_ms / block) / 1e6),
      copy_of_same_bytes_GB_per_s: sig(bytes / tCopy.median_ms / 1e6),
      load_avg_1m: sig(load),
      ...(cTime
        ? {
            c_median_ms_per_iter: sig(cTime.median),
            ratio_to_c: sig(steps.median_ms / block / cTime.median),
            ratio_to_c_min: sig(steps.min_ms / block / cTime.min),
            c_flags: C_FLAGS.join(' '),
            ...(c128Time
              ? {
                  c_128_median_ms_per_iter: sig(c128Time.median),
                  ratio_to_c_128: sig(steps.median_ms / block / c128Time.median),
                  c_128_flags: C_FLAGS_128.join(' '),
                }
              : {}),
          }
        : { note: c ? 'the C reference failed to run: ratio_to_c skipped' : 'no C compiler (cc, gcc, clang): ratio_to_c skipped' }),
    });
  }
}
c?.dispose();
c128?.dispose();
