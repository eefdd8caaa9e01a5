/**
 * Group-Huber conjugate prox and its Jacobian-vector product on a 2×512×512 dual variable (the
 * dual of isotropic Huber-TV on a 512² image), the dual step of every PDHG iteration.
 *
 * Run: `cd packages/prox && npx tsx --conditions=@bilevel/source bench/huber-conjugate.ts`.
 * Prints one JSON line per case: median_ms and effective bandwidth (GB/s, counting one read of
 * each input array and one write of the output, 8 bytes per entry). A hand-specialised
 * isotropic loop (no group abstraction) is timed as a baseline for the cost of the shared,
 * group-size-generic kernels. Each case is warmed up with 30 calls (steady state, as in a long
 * PDHG run) before 51 timed calls.
 */
import { Rng, type Vec } from '@bilevel/core';
import { measure, report, sig } from '@bilevel/core/bench';
import { HuberConjugate } from '@bilevel/prox';

const H = 512;
const W = 512;
const n = 2 * H * W;
const alpha = 0.05;
const epsilon = 0.01;
const sigma = 0.7;

const rng = Rng.seeded(1);
const w = rng.normalVec(n).map((t) => 0.06 * t); // about half of the groups active
const dw = rng.normalVec(n);
const out = new Float64Array(n);

function gbs(bytes: number, ms: number): number {
  return sig(bytes / (ms * 1e6), 3);
}

function run(bench: string, fn: () => void, arrays: number, extra: Record<string, string | number> = {}): void {
  const t = measure(fn, { warmup: 30, repeats: 51 });
  report({ bench, size: `2x${H}x${W}`, ...extra, median_ms: sig(t.median_ms), min_ms: sig(t.min_ms), 'GB/s': gbs(arrays * n * 8, t.median_ms) });
}

for (const groupSize of [2, 1]) {
  const mode = groupSize === 2 ? 'isotropic' : 'anisotropic';
  const f = new HuberConjugate({ shape: [2, H, W], groupSize, alpha, epsilon });
  run('huberConjugate.prox', () => f.prox(w, sigma, out), 2, { mode });
  run('huberConjugate.proxJvp', () => f.proxJvp(w, sigma, dw, out), 3, { mode });
}

/** Baseline: the isotropic prox written out by hand for groupSize 2. */
function handProx(v: Vec, s: number, o: Vec): void {
  const N = n / 2;
  const c = alpha / (alpha + s * epsilon);
  for (let j = 0; j < N; j++) {
    const a = v[j]!;
    const b = v[j + N]!;
    const k = Math.min(c, alpha / Math.sqrt(a * a + b * b));
    o[j] = k * a;
    o[j + N] = k * b;
  }
}

/** Baseline: the isotropic prox Jacobian written out by hand for groupSize 2. */
function handJvp(v: Vec, s: number, u: Vec, o: Vec): void {
  const N = n / 2;
  const c = alpha / (alpha + s * epsilon);
  for (let j = 0; j < N; j++) {
    const a = v[j]!;
    const b = v[j + N]!;
    const r = Math.sqrt(a * a + b * b);
    if (c * r <= alpha) {
      o[j] = c * u[j]!;
      o[j + N] = c * u[j + N]!;
    } else {
      const k = alpha / r;
      const d = (k * (a * u[j]! + b * u[j + N]!)) / (r * r);
      o[j] = k * u[j]! - d * a;
      o[j + N] = k * u[j + N]! - d * b;
    }
  }
}

run('baseline.handwritten.prox', () => handProx(w, sigma, out), 2, { mode: 'isotropic' });
run('baseline.handwritten.proxJvp', () => handJvp(w, sigma, dw, out), 3, { mode: 'isotropic' });
