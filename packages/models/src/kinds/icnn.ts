/**
 * `icnn`: an input-convex neural network regularizer (arXiv 2412.06436; the saddle form of
 * arXiv 2410.12441), `R_θ(x) = Σ_m a_m h_{ω₁}(W_A P σ(W₀x + b₀) + b₁)`, in saddle form over the
 * lifted primal `(x, z)` by the epigraph constraint `z ≥ σ(W₀x + b₀)`:
 * `K_θ(x, z) = (W₀x, z, W_A P z)`, `f* = f*_epi ⊕ f*_hid`, `g = data + (γ/2)‖z‖²`
 * (docs/math/icnn.md). θ = `K.params` = `[W₀; W_A]`, with `W_A ≥ 0` kept by a projection. The
 * pooled hidden layer has one weight per pooled cell, so θ's length depends on the image size.
 * @module
 */
import { ValidationError, z, type Shape } from '@bilevel/core';
import { IcnnDualTerm, IcnnPotential, LeakyReluEpigraph, LeakyReluEpigraphConjugate, SmoothReluSum, SmoothReluSumConjugate } from '@bilevel/prox';
import { IcnnRegularizer } from '../icnn/regularizer.js';
import { thetaLayout, type ThetaLayout } from '../layout.js';
import { makeModel, type VariationalModel } from '../model.js';
import { defineModelKind } from '../registry.js';
import { initScale, nonNegativeOption, oddSize, positiveOption } from '../schemas.js';

const options = z.strictObject({
  filters: z.number().int('must be an integer').min(1, 'must be ≥ 1').max(64, 'must be ≤ 64').default(8).describe('Filters of the convolutional first layer.'),
  filterSize: oddSize.default(5).describe('Side of each (square, odd) filter.'),
  poolFactor: z.number().int('must be an integer').min(1, 'must be ≥ 1').default(4).describe('Average-pooling factor (the image size must be divisible by it).'),
  units: z.number().int('must be an integer').min(1, 'must be ≥ 1').default(8).describe('Nonnegative hidden units after pooling.'),
  slope: z.number().min(0, 'must be ≥ 0').lt(1, 'must be < 1').default(0.2).describe('Negative slope of the leaky ReLU.'),
  smoothing: nonNegativeOption.default(0.05).describe('Smoothing of the leaky ReLU (0: the kinked activation).'),
  hiddenSmoothing: positiveOption.default(0.05).describe('Smoothing of the hidden ReLU (> 0: strongly convex conjugate).'),
  zWeight: positiveOption.default(0.1).describe('γ of γ/2‖z‖² on the auxiliary variable (μ_g > 0).'),
  epigraphSmoothing: positiveOption.default(0.1).describe('Moreau smoothing ε of the epigraph constraint (μ_f* > 0).'),
});

type IcnnKindOptions = z.output<typeof options>;

function network(o: IcnnKindOptions, shape: Shape, seed = 0): IcnnRegularizer {
  return new IcnnRegularizer({
    shape,
    filters: o.filters,
    kernelSize: o.filterSize,
    poolFactor: o.poolFactor,
    units: o.units,
    slope: o.slope,
    smoothing: o.smoothing,
    hiddenSmoothing: o.hiddenSmoothing,
    seed,
  });
}

function layoutOf(o: IcnnKindOptions, shape: Shape): ThetaLayout {
  const R = network(o, shape);
  return thetaLayout([
    { name: 'kernels', size: R.layout.kernels.length, link: 'identity', description: 'W₀: the first layer’s filters', entry: (i) => R.paramNames()[R.layout.kernels.offset + i]! },
    { name: 'hidden', size: R.layout.hidden.length, link: 'identity', description: 'W_A ≥ 0: the pooled hidden layer', entry: (i) => R.paramNames()[R.layout.hidden.offset + i]! },
  ]);
}

/**
 * The TV-like start (in place on θ): filters 0–3 the forward differences ±w·∂ₓ, ±w·∂ᵧ
 * (`σ(t) + σ(−t) = (1 − a)|t|` for the leaky ReLU, up to its smoothing), hidden weight `c` on
 * their pooled features in every unit, the other filters and hidden weights scaled by `r`.
 */
function tvStart(theta: Float64Array, R: IcnnRegularizer, init: { derivativeWeight: number; hiddenWeight: number; randomScale: number }): void {
  const { kernels, hidden } = R.layout;
  const k = R.kernelSize;
  const per = kernels.length / R.filters;
  const centre = ((k - 1) / 2) * (k + 1);
  const w = init.derivativeWeight;
  for (let t = kernels.offset + 4 * per; t < kernels.offset + kernels.length; t++) theta[t] = theta[t]! * init.randomScale;
  [
    [1, 1],
    [1, -1],
    [k, 1],
    [k, -1],
  ].forEach(([step, sign], f) => {
    const o = kernels.offset + f * per;
    theta.fill(0, o, o + per);
    theta[o + centre] = -sign! * w;
    theta[o + centre + step!] = sign! * w;
  });
  const cells = hidden.length / (R.units * R.filters);
  for (let u = 0; u < R.units; u++) {
    for (let f = 0; f < R.filters; f++) {
      const o = hidden.offset + (u * R.filters + f) * cells;
      for (let t = o; t < o + cells; t++) theta[t] = f < 4 ? init.hiddenWeight : theta[t]! * init.randomScale;
    }
  }
}

/**
 * The ICNN variational model of a network `R` (what the `icnn` kind builds; also usable with a
 * hand-made `IcnnRegularizer`): the saddle form over `(x, z)` with `γ = zWeight` and the
 * epigraph smoothing `ε`, θ = `R.operator.params`, projection `W_A ≥ 0`.
 */
export function icnnModel(
  R: IcnnRegularizer,
  o: Pick<IcnnKindOptions, 'zWeight' | 'epigraphSmoothing'> & Partial<IcnnKindOptions>,
  layout: ThetaLayout = thetaLayout([{ name: 'theta', size: R.params.length, link: 'identity', description: '[W₀; W_A]', entry: (i) => R.paramNames()[i]! }]),
): VariationalModel {
  const K = R.operator;
  const epi = { shape: [2, R.filters, ...R.shape.slice(1)], slope: R.slope, smoothing: R.smoothing, bias: R.convBias, epsilon: o.epigraphSmoothing };
  const hid = { shape: [R.units], smoothing: R.hiddenSmoothing, weight: R.outputWeights, bias: R.hiddenBias };
  const fStar = new IcnnDualTerm(new LeakyReluEpigraphConjugate(epi), new SmoothReluSumConjugate(hid));
  // With ε = 0 the potential holds the epigraph constraint: no gradient, no primal certificate 6a.
  const f = o.epigraphSmoothing > 0 ? new IcnnPotential(new LeakyReluEpigraph(epi), new SmoothReluSum(hid)) : undefined;
  return makeModel({
    kind: 'icnn',
    options: o,
    shape: R.shape,
    layout,
    // K.params is a snapshot of the two layers, refreshed on every read.
    get params() {
      return K.params;
    },
    setParams: (theta) => K.setParams(theta),
    saddle: {
      K,
      fStar,
      ...(f ? { f } : {}),
      trainable: true,
      lifting: { auxiliarySize: R.auxiliarySize, auxiliaryWeight: o.zWeight, start: (x, out) => R.activations(x, out) },
    },
    projections: [R.project],
    formula:
      `R_θ(x), an ICNN (${R.filters} filters ${R.kernelSize}×${R.kernelSize}, leaky ReLU, avg-pool ${R.poolFactor}, ` +
      `${R.units} nonnegative units), saddle form by the epigraph lifting with γ = ${o.zWeight}, ε = ${o.epigraphSmoothing}`,
  });
}

/** The `icnn` kind. */
export const icnn = defineModelKind({
  kind: 'icnn',
  summary: 'input-convex neural network, saddle form by the epigraph lifting (piggyback)',
  options,
  init: z.strictObject({
    derivativeWeight: initScale(nonNegativeOption)
      .default(0)
      .describe('> 0: a TV-like start: filters 0–3 become ±w·∂ₓ, ±w·∂ᵧ, every unit weights their pooled features by hiddenWeight, the other filters and hidden weights are scaled by randomScale (needs ≥ 4 filters). 0: all random.'),
    hiddenWeight: initScale(positiveOption).default(0.4).describe('Hidden weight of the derivative filters’ pooled features (TV-like start).'),
    randomScale: initScale(nonNegativeOption).default(0.1).describe('Scale of the remaining random filters and hidden weights (TV-like start).'),
  }),
  layout: layoutOf,
  initialTheta(o, init, { seed, shape }) {
    const R = network(o, shape, seed);
    const theta = Float64Array.from(R.params);
    if (init.derivativeWeight > 0) {
      if (o.filters < 4) throw new ValidationError(`icnn init: derivativeWeight > 0 (the TV-like start) needs filters ≥ 4, got ${o.filters}`);
      tvStart(theta, R, init);
    }
    return theta;
  },
  build(o, shape) {
    return icnnModel(network(o, shape), o, layoutOf(o, shape));
  },
  report(_o, theta) {
    let negative = 0;
    for (const t of theta) if (t < 0) negative++;
    return { parameters: theta.length, 'negative entries (W₀ only; W_A is projected ≥ 0)': negative };
  },
});
