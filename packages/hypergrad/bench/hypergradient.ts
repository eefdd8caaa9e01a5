/**
 * Piggyback hypergradients on the fused kernel vs the generic composition: one cold
 * `PiggybackOracle.evaluate` (a fresh oracle, so no warm start) on a 64² Huber-TV denoising crop
 * (the registry's `huber-tv` model, `K = e^θ∇`, Huber 0.002; noise σ = 0.1) at tolerance
 * `ε = δ = 1e-6`, isotropic and anisotropic, at θ = −4 (the start of the bundled
 * `huber-tv-denoising` experiment: a few dozen joint iterations, so set-up and certificates
 * weigh) and θ = −2 (a few hundred iterations, where the per-iteration speed dominates).
 * `speedup_vs_generic` = generic / fused median over the repeats, the two paths timed
 * alternately solve by solve in this run (so load on the machine affects both alike); the fused
 * path is what `kernel: 'auto'` selects (reported as `kernel`). JSON lines.
 *
 * Run: `cd packages/hypergrad && npx tsx --conditions=@bilevel/source bench/hypergradient.ts`
 */
import { report, sig } from '@bilevel/core/bench';
import { PiggybackOracle, squaredError } from '@bilevel/hypergrad';
import { addGaussianNoise, crop } from '@bilevel/imaging';
import { loadPhotograph } from '@bilevel/imaging/node';
import { TrainingSet, models } from '@bilevel/models';

const SIZE = 64;
const TOL = 1e-6;
const REPEATS = 11;
const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const photo = loadPhotograph('airplane-from-above', { gray: true, maxSide: 256 });
const clean = crop(photo, { top: 64, left: 96, height: SIZE, width: SIZE });
const degraded = addGaussianNoise(clean, { sigma: 0.1, seed: 1 });

for (const [mode, logWeight] of [['isotropic', -4], ['anisotropic', -4], ['isotropic', -2], ['anisotropic', -2]] as const) {
  const spec = { kind: 'huber-tv', options: { huber: 0.002, mode }, theta: [logWeight] };
  const set = new TrainingSet(models.build(spec, [1, SIZE, SIZE]), [{ degraded: degraded.data, clean: clean.data }], { start: 'zero' });
  const model = set.saddleModel();
  const theta = Float64Array.from(model.params);
  const loss = squaredError();
  const solve = (kernel: 'auto' | 'js-f64') => {
    const oracle = new PiggybackOracle({ model, loss, kernel });
    const t0 = performance.now();
    const r = oracle.evaluate(theta, [0], { epsilon: TOL, delta: TOL });
    return { ms: performance.now() - t0, oracle, iterations: r.cost.iterations, gradient: r.gradient };
  };
  let fused = solve('auto');
  let generic = solve('js-f64');
  const ms: Record<'auto' | 'js-f64', number[]> = { auto: [], 'js-f64': [] };
  // the two paths alternate solve by solve, so load on the machine affects both alike
  for (let k = 0; k < REPEATS; k++) {
    fused = solve('auto');
    generic = solve('js-f64');
    ms.auto.push(fused.ms);
    ms['js-f64'].push(generic.ms);
  }
  const fusedMs = median(ms.auto);
  const genericMs = median(ms['js-f64']);
  const g0 = generic.gradient[0]!;
  report({
    bench: 'piggyback-hypergradient',
    problem: mode === 'isotropic' ? 'huber-tv-iso' : 'huber-tv-aniso',
    size: `${SIZE}x${SIZE}`,
    tol: TOL,
    theta: logWeight,
    kernel: `${fused.oracle.lastKernel?.name}/${fused.oracle.lastKernel?.backend}`,
    iterations: fused.iterations,
    generic_iterations: generic.iterations,
    median_ms: sig(fusedMs),
    generic_median_ms: sig(genericMs),
    speedup_vs_generic: sig(genericMs / fusedMs),
    target_speedup: 8,
    gradient_rel_diff: sig(Math.abs(fused.gradient[0]! - g0) / Math.abs(g0)),
  });
}
