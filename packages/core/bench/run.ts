// Overhead of the run loop per step: CG on a 1-D Laplacian (n = 64 and n = 4096, 200 steps with
// an unreachable tolerance) driven by `run(cg, state, { stop: maxIterations(200) })`, with and
// without a callback, and by `runAsync`, against the bare `for (k < 200) solver.step(state)`.
import { measure, measureAsync, report, sig } from '@bilevel/core/bench';
import { ConjugateGradient, maxIterations, run, runAsync, type Vec } from '@bilevel/core';

const STEPS = 200;
for (const n of [64, 4096]) {
  // A = tridiag(−1, 2 + 1e-3, −1): SPD, condition ~ 4/1e-3, so 200 steps never converge.
  const A = (v: Vec, out: Vec): Vec => {
    for (let i = 0; i < n; i++) out[i] = (2 + 1e-3) * v[i]! - (i > 0 ? v[i - 1]! : 0) - (i < n - 1 ? v[i + 1]! : 0);
    return out;
  };
  const b = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
  const solver = new ConjugateGradient({ rtol: 0, atol: 0 });
  const fresh = () => solver.init({ A, b });
  const bare = measure(() => {
    const s = fresh();
    for (let k = 0; k < STEPS && !s.halt; k++) solver.step(s);
  }, { warmup: 20, repeats: 51 });
  const looped = measure(() => void run(solver, fresh(), { stop: maxIterations(STEPS) }), { warmup: 20, repeats: 51 });
  let seen = 0;
  const withCallback = measure(
    () => void run(solver, fresh(), { stop: maxIterations(STEPS), callbacks: { usesCertificate: false, onStep: () => void seen++ } }),
    { warmup: 20, repeats: 51 },
  );
  const asyncLoop = await measureAsync(() => runAsync(solver, fresh(), { stop: maxIterations(STEPS) }), { warmup: 5, repeats: 21 });
  const perStepUs = (ms: number) => sig((1000 * (ms - bare.median_ms)) / STEPS);
  report({
    bench: `run loop overhead, cg n=${n}, ${STEPS} steps`,
    bare_ms: sig(bare.median_ms),
    run_ms: sig(looped.median_ms),
    run_callback_ms: sig(withCallback.median_ms),
    runAsync_ms: sig(asyncLoop.median_ms),
    run_overhead_us_per_step: perStepUs(looped.median_ms),
    callback_overhead_us_per_step: perStepUs(withCallback.median_ms),
    runAsync_overhead_us_per_step: perStepUs(asyncLoop.median_ms),
    callbacks_seen: seen > 0,
  });
}
