/**
 * Piggyback vs PDHG cost per iteration (target ≤ 2.2×), and piggyback vs unrolled time and
 * stored memory at 128² for 200 and 1000 iterations, on Huber-TV denoising
 * (g = ½‖x − b‖², K = 2-D gradient, f* = isotropic Huber conjugate). JSON lines.
 */
import { Rng, type SaddleModel } from '@bilevel/core';
import { measure, report, sig } from '@bilevel/core/bench';
import { PiggybackOracle, UnrolledOracle, squaredError } from '@bilevel/hypergrad';
import { Gradient2D, ScalarMultiple, compose } from '@bilevel/operators';
import { HuberConjugate, QuadraticFidelity } from '@bilevel/prox';
import { Pdhg } from '@bilevel/solvers';

function model(N: number): SaddleModel {
  const rng = Rng.seeded(0);
  const target = new Float64Array(N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) target[i * N + j] = (i > N / 3 && j > N / 4 && j < (3 * N) / 4 ? 0.8 : 0.2) + 0.05 * Math.sin(j / 3);
  const b = target.map((t) => t + 0.1 * rng.normal());
  const weight = new ScalarMultiple([2, 1, N, N], 1);
  const K = compose(weight, new Gradient2D({ channels: 1, height: N, width: N }));
  const fStar = new HuberConjugate({ shape: [2, 1, N, N], groupSize: 2, alpha: 0.1, epsilon: 0.01 });
  const g = new QuadraticFidelity({ shape: [1, N, N], data: b });
  const gStar = g.conjugate();
  const f = fStar.conjugate();
  return {
    K,
    fStar,
    f,
    numSamples: 1,
    params: weight.params,
    paramNames: () => ['weight'],
    setParams: (t: ArrayLike<number>) => weight.setParams(t),
    sample: () => ({ g, gStar, target }),
  } as unknown as SaddleModel;
}

// Per-iteration cost by differences of two run lengths, so set-up (init, certificates,
// assembly) cancels: cost(it) = (T(base + it) − T(base)) / it.
for (const N of [128, 256, 512]) {
  const m = model(N);
  const s = m.sample(0);
  const pdhg = new Pdhg();
  const state = pdhg.init({ K: m.K, g: s.g, fStar: m.fStar });
  const iters = N >= 512 ? 20 : 60;
  const tPdhg = measure(() => {
    for (let k = 0; k < iters; k++) pdhg.step(state);
  }, { repeats: 7 });
  const theta = Float64Array.from(m.params);
  const run = (maxIterations: number) => {
    const oracle = new PiggybackOracle({ model: m, loss: squaredError(), maxIterations, certificateEvery: maxIterations });
    return measure(() => oracle.evaluate(theta, [0], { epsilon: 0, delta: 0 }), { repeats: 7 }).median_ms;
  };
  const pdhgMs = tPdhg.median_ms / iters;
  const pigMs = (run(10 + iters) - run(10)) / iters;
  report({ bench: 'piggyback-vs-pdhg-iteration', size: `${N}x${N}`, pdhg_ms: sig(pdhgMs), piggyback_ms: sig(pigMs), ratio: sig(pigMs / pdhgMs), target_ratio: 2.2 });
}

const N = 128;
const m = model(N);
const theta = Float64Array.from(m.params);
const pixels = N * N;
for (const iterations of [200, 1000]) {
  const pig = new PiggybackOracle({ model: m, loss: squaredError(), maxIterations: iterations, certificateEvery: iterations });
  const unr = new UnrolledOracle({ model: m, loss: squaredError(), iterations });
  const tPig = measure(() => pig.evaluate(theta, [0], { epsilon: 0, delta: 0 }), { warmup: 1, repeats: 3 });
  const tUnr = measure(() => unr.evaluate(theta, [0], { epsilon: 0, delta: 0 }), { warmup: 1, repeats: 3 });
  // Piggyback keeps a fixed set of arrays: PDHG state (x, xPrev, v, kty: n; y, w, kx, kxPrev: m)
  // plus the adjoint (X, XPrev, ktY, gl, sDom, d1, d2: n; Y, KX, KXPrev, tRan, r1, r2: m).
  const n = pixels;
  const mm = 2 * pixels;
  const piggyBytes = 8 * (11 * n + 10 * mm);
  report({
    bench: 'piggyback-vs-unrolled',
    size: `${N}x${N}`,
    iterations,
    piggyback_ms: sig(tPig.median_ms),
    unrolled_ms: sig(tUnr.median_ms),
    piggyback_bytes: piggyBytes,
    unrolled_tape_bytes: unr.lastStoredBytes,
    unrolled_bytes_per_pixel_per_iteration: sig(unr.lastStoredBytes / (pixels * iterations)),
    memory_ratio: sig(unr.lastStoredBytes / piggyBytes),
  });
}
