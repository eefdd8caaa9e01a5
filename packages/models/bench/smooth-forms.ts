/**
 * Cost of the smooth forms FISTA and implicit differentiation call per iteration, on a 64² gray
 * crop at the sizes of the pretrained gray models: the smooth FoE (24 filters 7×7), the FoE with
 * weakly convex experts (same filters, two potentials), and the convolutional ICNN in smooth form
 * (48 filters 7×7, one hidden unit 3×3). Medians of `gradient`, `hvp` and `mixedVjp` in ms, and
 * their ratio to the FoE's gradient (within one run). JSON lines.
 */
import { Rng, type ParametricSmooth } from '@bilevel/core';
import { measure, report, sig } from '@bilevel/core/bench';
import { models } from '@bilevel/models';

const S = 64;
const shape = [1, S, S] as const;
const cases: { name: string; kind: string; options: object; init?: object }[] = [
  { name: 'foe-smooth-24x7x7', kind: 'foe', options: { filters: 24, filterSize: 7, potential: 'smooth' } },
  { name: 'foe-weakly-convex-24x7x7', kind: 'foe', options: { filters: 24, filterSize: 7, potential: 'weakly-convex', boundary: 'zero' } },
  {
    name: 'conv-icnn-smooth-48x7x7-1x3x3',
    kind: 'conv-icnn',
    options: { form: 'smooth', filters: 48, filterSize: 7, hiddenFilterSize: 3, units: 1, smoothing: 3e-4, hiddenSmoothing: 0.01, hiddenBias: 0.02, outputWeight: 1, boundary: 'reflect' },
  },
];

const r = Rng.seeded(1);
const x = r.fillUniform(new Float64Array(S * S));
const v = r.normalVec(S * S);
let reference = NaN;
for (const c of cases) {
  const spec = models.initial(c.kind, c.options, c.init ?? {}, { rng: Rng.seeded(2), seed: 2, shape: [...shape] });
  const R = models.build(spec, [...shape]).smooth!.R as ParametricSmooth;
  const out = new Float64Array(S * S);
  const grad = new Float64Array(R.params.length);
  const gradient = measure(() => R.gradient(x, out), { repeats: 30 });
  const hvp = measure(() => R.hvp(x, v, out), { repeats: 30 });
  const mixedVjp = measure(() => R.mixedVjp(x, v, grad, 1), { repeats: 30 });
  if (Number.isNaN(reference)) reference = gradient.median_ms;
  report({
    bench: 'smooth-forms',
    model: c.name,
    size: `${S}x${S}`,
    params: R.params.length,
    gradient_ms: sig(gradient.median_ms),
    hvp_ms: sig(hvp.median_ms),
    mixed_vjp_ms: sig(mixedVjp.median_ms),
    gradient_vs_foe: sig(gradient.median_ms / reference, 3),
  });
}
