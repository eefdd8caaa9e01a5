/**
 * `icnn`: an input-convex neural network regularizer (arXiv 2412.06436; the saddle form of
 * arXiv 2410.12441), `R_θ(x) = Σ_m a_m h_{ω₁}(W_A P σ(W₀x + b₀) + b₁)`, in saddle form over the
 * lifted primal `(x, z)` by the epigraph constraint `z ≥ σ(W₀x + b₀)`:
 * `K_θ(x, z) = (W₀x, z, W_A P z)`, `f* = f*_epi ⊕ f*_hid`, `g = data + (γ/2)‖z‖²`
 * (docs/math/icnn.md). θ = `K.params` = `[W₀; W_A]`, with `W_A ≥ 0` kept by a projection. The
 * pooled hidden layer has one weight per pooled cell, so θ's length depends on the image size.
 * @module
 */
import { ValidationError, z, type Shape, type Vec } from '@bilevel/core';
import { IcnnDualTerm, IcnnPotential, LeakyReluEpigraph, LeakyReluEpigraphConjugate, SmoothReluSum, SmoothReluSumConjugate } from '@bilevel/prox';
import { IcnnRegularizer, type IcnnOptions } from '../icnn/regularizer.js';
import { thetaLayout, type ThetaLayout } from '../layout.js';
import { makeModel, type ModelParts, type ThetaProjection, type VariationalModel } from '../model.js';
import { defineModelKind } from '../registry.js';
import { initScale, nonNegativeOption, oddSize, positiveOption } from '../schemas.js';
import { zeroMeanFilters } from '../zero-mean.js';
import { expertStart, expertsSchema } from './expert-start.js';

/** The options every ICNN kind shares (the pooled kind adds `poolFactor`, the convolutional one its hidden kernel). */
export const icnnSharedOptions = z.strictObject({
  filters: z.number().int('must be an integer').min(1, 'must be ≥ 1').max(64, 'must be ≤ 64').default(8).describe('Filters of the convolutional first layer.'),
  filterSize: oddSize.default(5).describe('Side of each (square, odd) filter.'),
  boundary: z
    .enum(['zero', 'symmetric', 'reflect', 'periodic'])
    .default('symmetric')
    .describe('Boundary rule of the convolutions: zero, symmetric, reflect or periodic extension of the image (a start at a FoE’s experts is exact with the FoE’s rule).'),
  units: z.number().int('must be an integer').min(1, 'must be ≥ 1').default(8).describe('Nonnegative hidden units after pooling.'),
  slope: z.number().min(0, 'must be ≥ 0').lt(1, 'must be < 1').default(0.2).describe('Negative slope of the leaky ReLU.'),
  smoothing: nonNegativeOption.default(0.05).describe('Smoothing of the leaky ReLU (0: the kinked activation).'),
  hiddenSmoothing: positiveOption.default(0.05).describe('Smoothing of the hidden ReLU (> 0: strongly convex conjugate).'),
  hiddenBias: z
    .number()
    .min(0, 'must be ≥ 0')
    .default(0)
    .describe('Fixed bias b₁ of every hidden unit, h(v + b₁). At b₁ ≥ hiddenSmoothing a unit fed by ± pairs (v ≥ 0) stays in the linear piece of its smoothed ReLU, so its experts keep their slope at small responses instead of turning quadratic.'),
  outputWeight: positiveOption.default(1).describe('Fixed output weight a of every hidden unit (R = Σ a·h(v)); below 1 it lets the hidden layer work at a larger scale, so the dual is better conditioned: μ_f*,hid = hiddenSmoothing/a.'),
  zWeight: positiveOption.default(0.1).describe('γ of γ/2‖z‖² on the auxiliary variable (μ_g > 0).'),
  epigraphSmoothing: positiveOption.default(0.1).describe('Moreau smoothing ε of the epigraph constraint (μ_f* > 0).'),
  form: z
    .enum(['saddle', 'smooth'])
    .default('saddle')
    .describe('The form the model is solved and trained in: "saddle" (the epigraph lifting: PDHG, piggyback; zWeight and epigraphSmoothing change the model slightly) or "smooth" (R_θ itself: FISTA and implicit differentiation by CG on the image alone; needs smoothing > 0; no certified bound, so not with MAID).'),
  zeroMean: z
    .boolean()
    .default(false)
    .describe('Project the first layer’s filters to zero mean after every update (as the FoE’s): R then ignores constant images, and an optimizer step cannot give a difference filter a response to the intensity (Adam’s first steps, ≈ stepSize per entry, do).'),
});

const options = icnnSharedOptions.extend({
  poolFactor: z.number().int('must be an integer').min(1, 'must be ≥ 1').default(4).describe('Average-pooling factor (the image size must be divisible by it).'),
});

type IcnnKindOptions = z.output<typeof options>;

/**
 * The network of an ICNN kind's options on images of `shape`: the pooled hidden layer by
 * default, `hidden` for another (e.g. the convolutional one of `conv-icnn`).
 */
export function icnnNetwork(
  o: z.output<typeof icnnSharedOptions>,
  shape: Shape,
  seed = 0,
  hidden: Pick<IcnnOptions, 'hidden' | 'poolFactor' | 'hiddenKernelSize'> = {},
): IcnnRegularizer {
  return new IcnnRegularizer({
    shape,
    filters: o.filters,
    kernelSize: o.filterSize,
    units: o.units,
    slope: o.slope,
    smoothing: o.smoothing,
    hiddenSmoothing: o.hiddenSmoothing,
    outputWeights: o.outputWeight,
    hiddenBias: o.hiddenBias,
    boundary: o.boundary,
    seed,
    ...hidden,
  });
}

function network(o: IcnnKindOptions, shape: Shape, seed = 0): IcnnRegularizer {
  return icnnNetwork(o, shape, seed, { poolFactor: o.poolFactor });
}

function layoutOf(o: IcnnKindOptions, shape: Shape): ThetaLayout {
  const R = network(o, shape);
  return thetaLayout([
    { name: 'kernels', size: R.layout.kernels.length, link: 'identity', description: 'W₀: the first layer’s filters', entry: (i) => R.paramNames()[R.layout.kernels.offset + i]! },
    { name: 'hidden', size: R.layout.hidden.length, link: 'identity', description: 'W_A ≥ 0: the pooled hidden layer', entry: (i) => R.paramNames()[R.layout.hidden.offset + i]! },
  ]);
}

/** The TV-like start's options (the kinds' `init`). */
export interface TvStartOptions {
  /** `w`: weight of the forward differences of filters 0–3. */
  readonly derivativeWeight: number;
  /** `c`: hidden weight of the features of the derivative (and, with `pairs`, the paired) filters. */
  readonly hiddenWeight: number;
  /** `r`: scale of the other filters and hidden weights (relative to `w` and `c` with `pairs`). */
  readonly randomScale: number;
  /** The other filters as `±` pairs of random filters, every feature weighted by `c`, each unit's weights jittered (default false). */
  readonly pairs?: boolean;
  /**
   * `λ > 0`: start at TV of weight `λ` (e.g. the TV weight tuned on the training crops): `c` is
   * derived from `λ` (see {@link tvStartHiddenWeight}) and the hidden kernels start as centre taps,
   * so `R_θ(x) = λ·(π/2D)·Σ_p Σ_k |n_k·∇x_p|` plus the other filters' experts, up to the smoothings.
   */
  readonly tvWeight?: number;
  /** `D`: directions of the TV start, `2` (`∂ₓ`, `∂ᵧ`: anisotropic TV) or `4` (also `(∂ₓ ± ∂ᵧ)/√2`: between 0.948 and 1.026 times isotropic TV); default 2. */
  readonly directions?: 2 | 4;
}

/**
 * The hidden weight `c` at which the TV start computes TV of weight `λ`:
 * `c = λ·π/(2D) / (Σ_m a_m·(1 − a)·w·τ)`, with `τ` the weight a hidden unit gives one activation
 * per unit of hidden weight (`1` for the centre taps of the convolutional layer, `1/s²` for the
 * pooled layer's cells).
 *
 * Why: a `±w·∂` pair gives `σ(wt) + σ(−wt) = (1 − a)w|t|` (up to the smoothing `ω₀`, a Huber
 * of width `ω₀/w` in `t`), each unit `m` adds it with hidden weight `c` and output weight
 * `a_m` (in the linear piece of `h_{ω₁}`, i.e. up to its smoothing), and
 * `Σ_{k<D}|n_k·g|` averages `2D/π·|g|` over the directions of `g` (`n_k` at angles `πk/D`), so the
 * sum of `D` directional experts matches isotropic TV of weight `λ` on average over edge directions.
 */
export function tvStartHiddenWeight(R: IcnnRegularizer, init: Pick<TvStartOptions, 'derivativeWeight' | 'directions'>, lambda: number): number {
  const D = init.directions ?? 2;
  let outputWeights = 0;
  for (const a of R.outputWeights) outputWeights += a;
  const tau = R.hiddenKind === 'convolutional' ? 1 : 1 / R.poolFactor ** 2;
  return (lambda * Math.PI) / (2 * D) / (outputWeights * (1 - R.slope) * init.derivativeWeight * tau);
}

/**
 * The TV-like start (in place on θ): filters `0 … 2D − 1` the `±w`-scaled directional forward
 * differences `±w·n_k·∇` (`D = 2`: `∂ₓ`, `∂ᵧ`; `D = 4`: also `(∂ₓ ± ∂ᵧ)/√2`; on every input
 * channel; `σ(t) + σ(−t) = (1 − a)|t|` for the leaky ReLU, up to its smoothing), hidden weight `c`
 * on their features (pooled cells, or hidden kernel taps) in every unit, the other filters and
 * hidden weights scaled by `r`.
 *
 * With `pairs` the other filters become `±` pairs `(k, −k)` of the seeded random filters, scaled
 * to norm `r·w·√2` (`r` times a difference filter's), so each pair adds an expert `(1 − a)|k ⋆ x|`,
 * and every feature gets the hidden weight `c·(1 + r·(2u − 1))`, `u` the seeded uniform draw of
 * the default initialisation (normalised to `[0, 1]`). Without it the units start identical and
 * get identical gradients (they stay one unit), and the random filters' features, weighted by
 * `r` times the random hidden weights, contribute so little that the projection `W_A ≥ 0`
 * switches them off for good within a few steps (their filters then get no gradient).
 *
 * With `tvWeight` `λ` the start is TV of weight `λ`: `c` = {@link tvStartHiddenWeight}, the
 * convolutional hidden kernels are centre taps (the difference features exactly `c`, the others
 * `c·(1 + r(2u − 1))` with `pairs`, `c·r·u` without), so up to the smoothings
 * `R_θ(x) = λ·(π/2D)·Σ_p Σ_k |n_k·∇x_p| + Σ_m a_m Σ_p (other experts) − const`.
 */
export function tvStart(theta: Float64Array, R: IcnnRegularizer, init: TvStartOptions): void {
  const { kernels, hidden } = R.layout;
  const k = R.kernelSize;
  const per = kernels.length / R.filters;
  const channels = per / (k * k);
  const centre = ((k - 1) / 2) * (k + 1);
  const w = init.derivativeWeight;
  const r = init.randomScale;
  const pairs = init.pairs ?? false;
  const directions = TV_DIRECTIONS.slice(0, init.directions ?? 2);
  const nd = 2 * directions.length;
  for (let f = nd; f < R.filters; f++) {
    const o = kernels.offset + f * per;
    if (!pairs) {
      for (let t = o; t < o + per; t++) theta[t] = theta[t]! * r;
    } else if ((f - nd) % 2 === 1) {
      for (let t = 0; t < per; t++) theta[o + t] = -theta[o - per + t]!;
    } else {
      let norm = 0;
      for (let t = o; t < o + per; t++) norm += theta[t]! ** 2;
      const scale = norm > 0 ? (r * w * Math.SQRT2) / Math.sqrt(norm) : 0;
      for (let t = o; t < o + per; t++) theta[t] = theta[t]! * scale;
    }
  }
  directions.forEach(([ax, ay], d) => {
    for (const [s, sign] of [1, -1].entries()) {
      const o = kernels.offset + (2 * d + s) * per;
      theta.fill(0, o, o + per);
      for (let c = 0; c < channels; c++) {
        const q = o + c * k * k + centre;
        theta[q] = -sign * w * (ax + ay);
        theta[q + 1] = theta[q + 1]! + sign * w * ax;
        theta[q + k] = theta[q + k]! + sign * w * ay;
      }
    }
  });
  const cells = hidden.length / (R.units * R.filters);
  // the default hidden weights are uniform on [0, 2/P], P = F·cells the weights per unit
  const top = 2 / (R.filters * cells);
  const tv = init.tvWeight !== undefined;
  const c = tv ? tvStartHiddenWeight(R, init, init.tvWeight!) : init.hiddenWeight;
  // the tvWeight start on the convolutional layer: only the centre tap of each hidden kernel
  const tap = tv && R.hiddenKind === 'convolutional' ? (cells - 1) / 2 : -1;
  for (let u = 0; u < R.units; u++) {
    for (let f = 0; f < R.filters; f++) {
      const o = hidden.offset + (u * R.filters + f) * cells;
      for (let t = o; t < o + cells; t++) {
        const draw = Math.min(1, theta[t]! / top);
        if (tap >= 0 && t - o !== tap) theta[t] = 0;
        else if (f < nd) theta[t] = pairs && !tv ? c * (1 + r * (2 * draw - 1)) : c;
        else theta[t] = pairs ? c * (1 + r * (2 * draw - 1)) : tv ? c * r * draw : theta[t]! * r;
      }
    }
  }
}

/** Directions `n_k = (αₓ, αᵧ)` of the TV start's differences `n_k·∇ = αₓ∂ₓ + αᵧ∂ᵧ`, at angles `πk/4` in the order `0, π/2, π/4, 3π/4`. */
const TV_DIRECTIONS: readonly (readonly [number, number])[] = [
  [1, 0],
  [0, 1],
  [Math.SQRT1_2, Math.SQRT1_2],
  [Math.SQRT1_2, -Math.SQRT1_2],
];

/**
 * The ICNN variational model of a network `R` (what the `icnn` and `conv-icnn` kinds build; also
 * usable with a hand-made `IcnnRegularizer`): with `form` `"smooth"` the smooth form `R_θ` itself,
 * otherwise the saddle form over `(x, z)` with `γ = zWeight` and the epigraph smoothing `ε`;
 * θ = `R.params` (shared with `R.operator`), projection `W_A ≥ 0` (and zero-mean filters with `zeroMean`).
 * @param kind the kind named in the model's data (default `icnn`)
 */
export function icnnModel(
  R: IcnnRegularizer,
  o: Pick<IcnnKindOptions, 'zWeight' | 'epigraphSmoothing'> & Partial<Omit<IcnnKindOptions, 'poolFactor'>>,
  layout: ThetaLayout = thetaLayout([{ name: 'theta', size: R.params.length, link: 'identity', description: '[W₀; W_A]', entry: (i) => R.paramNames()[i]! }]),
  kind = 'icnn',
): VariationalModel {
  const network = `an ICNN (${R.filters} filters ${R.kernelSize}×${R.kernelSize}, ${o.form === 'smooth' ? 'smoothed ' : ''}leaky ReLU, ${hiddenDescription(R)})`;
  const form = o.form === 'smooth' ? smoothForm(R, kind) : saddleForm(R, o);
  return makeModel({
    kind,
    options: o,
    shape: R.shape,
    layout,
    // R.params is a snapshot of the two layers, refreshed on every read (the lifted operator shares them).
    get params() {
      return R.params;
    },
    setParams: (theta) => R.setParams(theta),
    ...form.parts,
    projections: icnnProjections(R, o),
    formula: `R_θ(x), ${network}, ${form.formula}`,
  });
}

/** The smooth form: `R_θ` itself (FISTA, implicit differentiation), needing `ω₀ > 0`. */
function smoothForm(R: IcnnRegularizer, kind: string): { parts: Pick<ModelParts, 'smooth'>; formula: string } {
  if (!(R.smoothing > 0)) throw new ValidationError(`${kind} model: form "smooth" needs smoothing > 0 (a C¹ leaky ReLU; ∇R_θ is then Lipschitz)`);
  return { parts: { smooth: { R, certified: false } }, formula: 'smooth form' };
}

/** The saddle form over `(x, z)` by the epigraph lifting, with `γ = zWeight` and the epigraph smoothing `ε`. */
function saddleForm(R: IcnnRegularizer, o: Pick<IcnnKindOptions, 'zWeight' | 'epigraphSmoothing'>): { parts: Pick<ModelParts, 'saddle'>; formula: string } {
  const epi = { shape: [2, R.filters, ...R.shape.slice(1)], slope: R.slope, smoothing: R.smoothing, bias: R.convBias, epsilon: o.epigraphSmoothing };
  const hid = { shape: R.hidden.range, smoothing: R.hiddenSmoothing, weight: R.outputWeights, bias: R.hiddenBias };
  const fStar = new IcnnDualTerm(new LeakyReluEpigraphConjugate(epi), new SmoothReluSumConjugate(hid));
  // With ε = 0 the potential holds the epigraph constraint: no gradient, no primal certificate 6a.
  const f = o.epigraphSmoothing > 0 ? new IcnnPotential(new LeakyReluEpigraph(epi), new SmoothReluSum(hid)) : undefined;
  const lifting = { auxiliarySize: R.auxiliarySize, auxiliaryWeight: o.zWeight, start: (x: Vec, out: Vec) => R.activations(x, out) };
  return {
    parts: { saddle: { K: R.operator, fStar, ...(f ? { f } : {}), trainable: true, lifting } },
    formula: `saddle form by the epigraph lifting with γ = ${o.zWeight}, ε = ${o.epigraphSmoothing}`,
  };
}

/** The hidden layer in words, for formulas. */
function hiddenDescription(R: IcnnRegularizer): string {
  return R.hiddenKind === 'pooled'
    ? `avg-pool ${R.poolFactor}, ${R.units} nonnegative units`
    : `${R.units} nonnegative convolutional units ${Math.sqrt(R.hidden.params.length / (R.units * R.filters))}² summed over pixels`;
}

/** The projections after every update: `W_A ≥ 0` (convexity), and zero-mean filters with `zeroMean`. */
function icnnProjections(R: IcnnRegularizer, o: { readonly zeroMean?: boolean }): ThetaProjection[] {
  return o.zeroMean ? [R.project, zeroMeanFilters(R.layout.kernels.offset, R.filters, R.layout.kernels.length / R.filters)] : [R.project];
}

/** The initialisation options every ICNN kind shares (the TV-like start). */
export const icnnInit = z.strictObject({
    derivativeWeight: initScale(nonNegativeOption)
      .default(0)
      .describe('> 0: a TV-like start: filters 0–3 become ±w·∂ₓ, ±w·∂ᵧ (0–7 with directions 4), every unit weights their pooled features by hiddenWeight, the other filters and hidden weights are scaled by randomScale (needs ≥ 4 filters). 0: all random.'),
    hiddenWeight: initScale(positiveOption).default(0.4).describe('Hidden weight of the derivative filters’ pooled features (TV-like start).'),
    randomScale: initScale(nonNegativeOption).default(0.1).describe('Scale of the remaining random filters and hidden weights (TV-like start).'),
    pairs: z.boolean().default(false).describe('TV-like start: the other filters as ± pairs of random filters of norm randomScale·√2·derivativeWeight, every feature weighted by hiddenWeight with a per-unit jitter of ±randomScale (distinct units, no filter switched off by the W_A ≥ 0 projection).'),
    tvWeight: initScale(positiveOption)
      .optional()
      .describe('TV-like start at TV of this weight (e.g. the TV weight tuned on the training crops): the hidden weight is derived from it (hiddenWeight is ignored) and the hidden kernels start as centre taps, so R_θ = λ·(π/2D)·Σ_k |n_k·∇x| + the other filters’ small experts, up to the smoothings.'),
    directions: z
      .union([z.literal(2), z.literal(4)], { error: 'must be 2 (∂ₓ, ∂ᵧ) or 4 (also (∂ₓ ± ∂ᵧ)/√2)' })
      .default(2)
      .describe('Directions D of the TV-like start’s differences: 2 (anisotropic TV, filters 0–3) or 4 (also the diagonals (∂ₓ ± ∂ᵧ)/√2, filters 0–7: between 0.948 and 1.026 times isotropic TV).'),
    experts: expertsSchema
      .optional()
      .describe('Start at a sum of experts c_i·Σ_p φ_ν_i(k_i ⋆ x) (models.experts of a trained foe model; the bilevel CLI also takes a model name or file here): each expert becomes a ± pair of filters (filters ≥ 2J) added by every unit, so R_θ = Σ_i c_i Σ_p Huber_ν_i(k_i ⋆ x) + const while the hidden units stay in their linear piece (hiddenBias ≥ hiddenSmoothing). Needs smoothing > 0; the other filters are scaled by randomScale with zero hidden weights.'),
  });

/** θ₀ of an ICNN kind: the network's seeded initialisation, with the TV-like start when asked. */
export function icnnInitialTheta(kind: string, R: IcnnRegularizer, init: z.output<typeof icnnInit>): Float64Array {
  const theta = Float64Array.from(R.params);
  if (init.experts) {
    if (init.derivativeWeight > 0) throw new ValidationError(`${kind} init: experts and derivativeWeight > 0 are two different starts; give one`);
    expertStart(theta, R, init.experts, init.randomScale);
  } else if (init.derivativeWeight > 0) {
    const needed = 2 * init.directions;
    if (R.filters < needed) throw new ValidationError(`${kind} init: derivativeWeight > 0 (the TV-like start with directions ${init.directions}) needs filters ≥ ${needed}, got ${R.filters}; add filters or use fewer directions`);
    tvStart(theta, R, init);
  }
  return theta;
}

/** The report rows of an ICNN kind's θ: its size and the negative entries (of `W₀`; `W_A` is projected `≥ 0`). */
export function icnnReport(theta: Float64Array): Record<string, number> {
  let negative = 0;
  for (const t of theta) if (t < 0) negative++;
  return { parameters: theta.length, 'negative entries (W₀ only; W_A is projected ≥ 0)': negative };
}

/** The `icnn` kind. */
export const icnn = defineModelKind({
  kind: 'icnn',
  summary: 'input-convex neural network, saddle form by the epigraph lifting (piggyback)',
  options,
  init: icnnInit,
  layout: layoutOf,
  initialTheta: (o, init, { seed, shape }) => icnnInitialTheta('icnn', network(o, shape, seed), init),
  build(o, shape) {
    return icnnModel(network(o, shape), o, layoutOf(o, shape));
  },
  report: (_o, theta) => icnnReport(theta),
});
