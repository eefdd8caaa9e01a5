/**
 * Piggyback hypergradients on the fast path vs the generic composition: one cold
 * `PiggybackOracle.evaluate` (a fresh oracle, so no warm start) on a 64² denoising crop (noise
 * σ = 0.1) at tolerance `ε = δ = 1e-6`.
 *
 * - `huber-tv-iso`, `huber-tv-aniso`: the registry's `huber-tv` model (`K = e^θ∇`, Huber 0.002)
 *   at θ = −4 (the start of the bundled `huber-tv-denoising` experiment: a few dozen joint
 *   iterations, so set-up and certificates weigh) and θ = −2 (a few hundred iterations, where
 *   the per-iteration speed dominates). Fast: the fused WebAssembly kernel `kernel: 'auto'`
 *   selects; generic: `kernel: 'js-f64'`.
 * - `filters-4x3x3`, `foe-24x7x7`: the `foe` model (Huber potential, saddle form, reflect
 *   boundary) with 4 filters 3×3 and with the 24 filters 7×7 of the bundled `foe-denoising`
 *   experiment, at that experiment's start (two forward differences of weight 0.08, the others
 *   Xavier-normal × 0.005, seed 31). Fast: `kernel: 'auto'`, which selects the fused
 *   `filter-bank` kernel (WebAssembly sweeps, `K` on the bank's WebAssembly loops); generic:
 *   `kernel: 'js-f64'` with the same bank on its JavaScript loops (`backend: 'js'`).
 *
 * `speedup_vs_generic` = generic / fast median over the repeats, the two paths timed alternately
 * solve by solve in this run (so load on the machine affects both alike); `kernel` is what the
 * fast path ran. JSON lines.
 *
 * Run: `cd packages/hypergrad && npx tsx --conditions=@bilevel/source bench/hypergradient.ts`
 */
import { Rng, type SaddleModel } from '@bilevel/core';
import { report, sig } from '@bilevel/core/bench';
import { PiggybackOracle, squaredError } from '@bilevel/hypergrad';
import { addGaussianNoise, crop } from '@bilevel/imaging';
import { loadPhotograph } from '@bilevel/imaging/node';
import { TrainingSet, models, type ModelSpec } from '@bilevel/models';
import { ConvFilterBank } from '@bilevel/operators';

const SIZE = 64;
const TOL = 1e-6;
const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const photo = loadPhotograph('airplane-from-above', { gray: true, maxSide: 256 });
const clean = crop(photo, { top: 64, left: 96, height: SIZE, width: SIZE });
const degraded = addGaussianNoise(clean, { sigma: 0.1, seed: 1 });
const shape = [1, SIZE, SIZE];

/** The saddle model of `spec` on the crop. */
function saddleModelOf(spec: ModelSpec): SaddleModel {
  const set = new TrainingSet(models.build(spec, shape), [{ degraded: degraded.data, clean: clean.data }], { start: 'zero' });
  return set.saddleModel();
}

/** The same model with its filter bank on the JavaScript loops (θ kept in step with the original). */
function onJsLoops(model: SaddleModel): SaddleModel {
  const K = model.K as ConvFilterBank;
  const [inChannels, height, width] = K.domain as [number, number, number];
  const js = new ConvFilterBank({ inChannels, outChannels: K.outChannels, height, width, kernelSize: K.kernelSize, boundary: K.boundary, kernels: K.params, backend: 'js' });
  return Object.assign(Object.create(model) as SaddleModel, {
    K: js,
    setParams: (theta: ArrayLike<number>) => {
      model.setParams(theta);
      js.setParams(theta);
    },
  });
}

interface Row {
  readonly problem: string;
  readonly theta?: number;
  readonly fast: SaddleModel;
  readonly generic: SaddleModel;
  readonly repeats: number;
  readonly target: number;
}

function huberTv(mode: 'isotropic' | 'anisotropic', logWeight: number): Row {
  const model = saddleModelOf({ kind: 'huber-tv', options: { huber: 0.002, mode }, theta: [logWeight] });
  return { problem: mode === 'isotropic' ? 'huber-tv-iso' : 'huber-tv-aniso', theta: logWeight, fast: model, generic: model, repeats: 11, target: 8 };
}

function foe(filters: number, filterSize: number, problem: string): Row {
  const spec = models.initial('foe', { filters, filterSize, potential: 'huber', huber: 0.002 }, { filterScale: 0.005, derivativeWeight: 0.08 }, {
    rng: Rng.seeded(31),
    seed: 31,
    shape,
  });
  const fast = saddleModelOf(spec);
  return { problem, fast, generic: onJsLoops(fast), repeats: 5, target: 4 };
}

const rows: (() => Row)[] = [
  () => huberTv('isotropic', -4),
  () => huberTv('anisotropic', -4),
  () => huberTv('isotropic', -2),
  () => huberTv('anisotropic', -2),
  () => foe(4, 3, 'filters-4x3x3'),
  () => foe(24, 7, 'foe-24x7x7'),
];

for (const row of rows) {
  const { problem, theta: logWeight, fast, generic, repeats, target } = row();
  const theta = Float64Array.from(fast.params);
  const loss = squaredError();
  const solve = (kernel: 'auto' | 'js-f64') => {
    const oracle = new PiggybackOracle({ model: kernel === 'auto' ? fast : generic, loss, kernel });
    const t0 = performance.now();
    const r = oracle.evaluate(theta, [0], { epsilon: TOL, delta: TOL });
    return { ms: performance.now() - t0, oracle, iterations: r.cost.iterations, gradient: r.gradient };
  };
  let fastRun = solve('auto');
  let genericRun = solve('js-f64');
  const ms: Record<'auto' | 'js-f64', number[]> = { auto: [], 'js-f64': [] };
  // the two paths alternate solve by solve, so load on the machine affects both alike
  for (let k = 0; k < repeats; k++) {
    fastRun = solve('auto');
    genericRun = solve('js-f64');
    ms.auto.push(fastRun.ms);
    ms['js-f64'].push(genericRun.ms);
  }
  const fastMs = median(ms.auto);
  const genericMs = median(ms['js-f64']);
  let diff = 0;
  let norm = 0;
  genericRun.gradient.forEach((g, i) => {
    diff = Math.max(diff, Math.abs(fastRun.gradient[i]! - g));
    norm = Math.max(norm, Math.abs(g));
  });
  const K = fast.K as Partial<ConvFilterBank>;
  report({
    bench: 'piggyback-hypergradient',
    problem,
    size: `${SIZE}x${SIZE}`,
    tol: TOL,
    ...(logWeight !== undefined ? { theta: logWeight } : {}),
    kernel: `${fastRun.oracle.lastKernel?.name}/${fastRun.oracle.lastKernel?.backend}${K.backend ? `, filter bank ${K.backend}` : ''}`,
    iterations: fastRun.iterations,
    generic_iterations: genericRun.iterations,
    median_ms: sig(fastMs),
    generic_median_ms: sig(genericMs),
    speedup_vs_generic: sig(genericMs / fastMs),
    target_speedup: target,
    gradient_rel_diff: sig(diff / norm),
  });
}
