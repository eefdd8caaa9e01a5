/**
 * Isotropic vs anisotropic Huber-TV piggyback on a 64² photograph crop (σ = 0.1, γ = 1e-3,
 * K = e^θ∇ with e^θ = 0.08): iterations to reach ε, δ ≤ tol and the bound / true-error ratio
 * (true error against a solve to 1e-11), at tol 1e-4, 1e-6, 1e-8 (issue 14). JSON lines.
 */
import { report, sig } from '@bilevel/core/bench';
import { PiggybackOracle, squaredError } from '@bilevel/hypergrad';
import { addGaussianNoise, crop } from '@bilevel/imaging';
import { loadPhotograph } from '@bilevel/imaging/node';
import { TrainingSet, models } from '@bilevel/models';

const S = 64;
const photo = loadPhotograph('airplane-from-above', { gray: true, maxSide: 256 });
const clean = crop(photo, { top: 40, left: 60, height: S, width: S });
const degraded = Float64Array.from(addGaussianNoise(clean, { sigma: 0.1, seed: 1 }).data);
for (const mode of ['anisotropic', 'isotropic'] as const) {
  const spec = { kind: 'huber-tv', options: { huber: 1e-3, mode }, theta: [Math.log(0.08)] };
  const set = new TrainingSet(models.build(spec, [1, S, S]), [{ degraded, clean: Float64Array.from(clean.data) }], { start: 'zero' });
  const oracle = new PiggybackOracle({ model: set.saddleModel(), loss: squaredError() });
  const theta = Float64Array.from(spec.theta);
  const reference = oracle.evaluate(theta, [0], { epsilon: 1e-11, delta: 1e-11 }).gradient[0]!;
  for (const tol of [1e-4, 1e-6, 1e-8]) {
    const t0 = performance.now();
    const r = oracle.evaluate(theta, [0], { epsilon: tol, delta: tol });
    const ms = performance.now() - t0;
    const error = Math.abs(r.gradient[0]! - reference);
    report({
      bench: 'piggyback-certificates',
      problem: `huber-tv-${mode === 'isotropic' ? 'iso' : 'aniso'}`,
      size: `${S}x${S}`,
      tol,
      iterations: r.cost.iterations,
      stop: r.stop,
      bound: sig(r.bound),
      true_error: sig(error),
      bound_over_error: sig(r.bound / error),
      ms: sig(ms),
    });
  }
}
