/**
 * `foe`: Fields of Experts (Roth–Black 2009) with learnable filters `k_i`:
 *
 * - potential `huber`, saddle form (piggyback): `R_θ(x) = Σ_i Σ_p Huber_ε((k_i ⋆ x)_p)`,
 *   `K_θ` the filter bank (θ = its kernels; a filter's norm is its weight),
 *   `f*(y) = (ε/2)‖y‖² + ι{|y| ≤ 1}`;
 * - potential `smooth`, smooth form (MAID's FoE, implicit differentiation):
 *   `R_θ(x) = ½e^{θ₀} Σ_i e^{θ_i} Σ_p √((k_i ⋆ x)_p² + e^{2s_i})`;
 * - potential `weakly-convex`, smooth form: each expert less a wider one,
 *   `φ_i(t) = c_i√(t² + ν_i²) − d_i√(t² + η_i²)` (docs/math/regularizers.md#weakly-convex-experts),
 *   kept `ρ`-weakly convex with `ρ ≤ maxWeakConvexity` after every update, so that
 *   `½‖x − y‖² + R_θ` stays `(1 − ρ)`-strongly convex; with `maxWeakConvexity: null` uncapped
 *   (non-convex experts, docs/math/regularizers.md#non-convex-experts: no certificate).
 *
 * Filters start zero-mean Xavier-normal (MAID `FoE.py`), optionally with the first two as forward
 * differences (a TV-like start), and are projected to zero mean after every update. With
 * `channels: 3` every filter spans the colour channels (`7×7×3`: a `ConvFilterBank` with
 * `inChannels` 3), so the experts couple the channels. `boundary: 'valid'` (both potentials) sums
 * over the positions `p` where the whole filter lies in the image: no boundary extension. The smooth form has certified constants of
 * MAID's bound ({@link fieldsOfExpertsBoundConstants}), so MAID trains it.
 * @module
 */
import { ValidationError, nrm2, z, type Rng, type Shape } from '@bilevel/core';
import { ConvFilterBank, FILTER_BANK_BOUNDARIES } from '@bilevel/operators';
import { HuberConjugate } from '@bilevel/prox';
import { thetaLayout, type ThetaLayout } from '../layout.js';
import { analysisRegularizerParts, makeModel, type ThetaProjection } from '../model.js';
import { defineModelKind, type Experts, type FilterBank } from '../registry.js';
import { FieldsOfExperts } from '../regularizers/fields-of-experts.js';
import { initScale, logParameter, nonNegativeOption, oddSize, positiveOption } from '../schemas.js';
import { zeroMeanFilters } from '../zero-mean.js';
import { expertsSchema } from './expert-start.js';
import { fieldsOfExpertsBoundConstants } from './foe-bound.js';

const options = z.strictObject({
  filters: z.number().int('must be an integer').min(1, 'must be ≥ 1').max(128, 'must be ≤ 128').default(24).describe('Number of filters J.'),
  filterSize: oddSize.default(7).describe('Side of each (square, odd) filter, e.g. 7.'),
  channels: z
    .number()
    .int('must be an integer')
    .min(1, 'must be ≥ 1')
    .max(4, 'must be ≤ 4')
    .default(1)
    .describe('Image channels each filter spans: 1 (gray) or 3 (colour; 7×7×3 filters coupling the channels).'),
  potential: z
    .enum(['smooth', 'huber', 'weakly-convex'])
    .default('smooth')
    .describe('"smooth": √(t² + ν²) potential in the smooth form (implicit differentiation, MAID FoE); "huber": Huber potential in saddle form (piggyback); "weakly-convex": c√(t² + ν²) − d√(t² + η²), smooth form only, weakly convex up to maxWeakConvexity.'),
  maxWeakConvexity: z
    .number()
    .gt(0, 'must be > 0')
    .lt(1, 'must be < 1 (the modulus of the denoising data term ½‖x − y‖²)')
    .nullable()
    .default(0.5)
    .describe('Potential "weakly-convex": after every update the concave weights d_i are scaled down so that ∇²R ⪰ −ρI with ρ ≤ this value (certified bound); the lower level ½‖x − y‖² + R is then (1 − ρ)-strongly convex. null: no cap — non-convex experts (docs/math/regularizers.md#non-convex-experts): the lower level may be non-convex, its solves stop on stationarity ‖∇h‖ ≤ ε and nothing is certified.'),
  huber: positiveOption.default(0.05).describe('Huber smoothing ε (potential "huber").'),
  boundary: z
    .enum(FILTER_BANK_BOUNDARIES)
    .default('reflect')
    .describe('Boundary rule of the filters: zero, symmetric, reflect or periodic extension of the image, or valid (no extension: the experts sum over the positions where the whole filter lies in the image; images at least filterSize wide).'),
  zeroMean: z.boolean().default(true).describe('Project the filters to zero mean after every update (ISGD code).'),
});

type FoeOptions = z.output<typeof options>;

/** Entries before the kernels in θ: `1 + 2J` for the smooth potential, `1 + 4J` for the weakly convex one, 0 for Huber. */
function kernelOffset(o: FoeOptions): number {
  return o.potential === 'huber' ? 0 : o.potential === 'smooth' ? 1 + 2 * o.filters : 1 + 4 * o.filters;
}

/** Entries of one filter: `C·k²`. */
function filterEntries(o: FoeOptions): number {
  return o.channels * o.filterSize * o.filterSize;
}

function layoutOf(o: FoeOptions): ThetaLayout {
  const k = o.filterSize;
  const per = filterEntries(o);
  const entry =
    o.channels === 1
      ? (i: number) => `filter[${Math.floor(i / per)}][${Math.floor((i % per) / k)},${i % k}]`
      : (i: number) => `filter[${Math.floor(i / per)}][${Math.floor((i % per) / (k * k))}][${Math.floor((i % (k * k)) / k)},${i % k}]`;
  const kernels = {
    name: 'kernels',
    size: o.filters * per,
    link: 'identity' as const,
    description: `the ${o.filters} filters, ${k}×${k}${o.channels > 1 ? `×${o.channels} ([filter][channel][row][col])` : ''} each, row-major`,
    entry,
  };
  if (o.potential === 'huber') return thetaLayout([kernels]);
  return thetaLayout([
    { name: 'log_weight', size: 1, link: 'exp', description: 'θ₀: every filter is weighted by ½e^θ₀' },
    { name: 'log_filter_weight', size: o.filters, link: 'exp', description: 'θ_i: filter i is weighted by e^θ_i' },
    { name: 'log_smoothing', size: o.filters, link: 'exp', description: 's_i: filter i is smoothed by e^{s_i}' },
    ...(o.potential === 'weakly-convex'
      ? [
          { name: 'log_concave_weight', size: o.filters, link: 'exp' as const, description: 'r_i: filter i subtracts ½e^{θ₀+r_i}√(t² + η_i²)' },
          { name: 'log_concave_smoothing', size: o.filters, link: 'exp' as const, description: 'q_i: the subtracted expert of filter i has width η_i = e^{q_i}' },
        ]
      : []),
    kernels,
  ]);
}

/**
 * Zero-mean Xavier-normal filters (MAID `FoE.py`) scaled by `filterScale`; with
 * `derivativeWeight w > 0` the first two become the forward differences `w(x[i,j+1] − x[i,j])`
 * and `w(x[i+1,j] − x[i,j])`.
 */
function initialKernels(o: FoeOptions, filterScale: number, derivativeWeight: number, rng: Rng): Float64Array {
  const k = o.filterSize;
  const per = filterEntries(o);
  const std = filterScale * Math.sqrt(2 / ((o.channels + o.filters) * k * k));
  const w = rng.fillNormal(new Float64Array(o.filters * per), 0, std);
  zeroMeanFilters(0, o.filters, per)(w);
  if (derivativeWeight > 0) {
    const centre = ((k - 1) / 2) * (k + 1);
    for (let f = 0; f < Math.min(2, o.filters); f++) {
      w.fill(0, f * per, (f + 1) * per);
      // the difference of every channel: on colour images, of the channel sum
      for (let c = 0; c < o.channels; c++) {
        const at = f * per + c * k * k + centre;
        w[at] = -derivativeWeight;
        w[at + (f === 0 ? 1 : k)] = derivativeWeight;
      }
    }
  }
  return w;
}

/** The filters of θ with an effective weight each: `½e^{θ₀+θᵢ}‖kᵢ‖` (smooth) or `‖kᵢ‖` (Huber). */
function filterBank(o: FoeOptions, theta: Float64Array): FilterBank {
    const per = filterEntries(o);
    const offset = kernelOffset(o);
    const data = Float64Array.from(theta.subarray(offset, offset + o.filters * per));
    const weights = new Float64Array(o.filters);
    for (let i = 0; i < o.filters; i++) {
      const norm = nrm2(per, data.subarray(i * per, (i + 1) * per));
      weights[i] = o.potential === 'huber' ? norm : 0.5 * Math.exp(theta[0]! + theta[1 + i]!) * norm;
    }
    return { count: o.filters, size: o.filterSize, channels: o.channels, data, weights };
  }

/**
 * The FoE as {@link Experts}: `c_i = ½e^{θ₀+θ_i}`, `ν_i = e^{s_i}` (smooth: `φ_ν = √(t² + ν²)`), or
 * `c_i = 1`, `ν_i = ε` (Huber: `φ_ε = Huber_ε`).
 */
function foeExperts(o: FoeOptions, theta: Float64Array): Experts {
  if (o.potential === 'weakly-convex') {
    throw new ValidationError('foe model with potential "weakly-convex": its experts c√(t² + ν²) − d√(t² + η²) are not a sum of convex experts c·φ_ν');
  }
  const m = o.filters;
  const offset = kernelOffset(o);
  const kernels = Float64Array.from(theta.subarray(offset, offset + m * filterEntries(o)));
  const weights = new Float64Array(m);
  const smoothings = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    weights[i] = o.potential === 'smooth' ? 0.5 * Math.exp(theta[0]! + theta[1 + i]!) : 1;
    smoothings[i] = o.potential === 'smooth' ? Math.exp(theta[1 + m + i]!) : o.huber;
  }
  return { count: m, size: o.filterSize, channels: o.channels, kernels, weights, smoothings };
}

/**
 * `θ` (in place) at the experts `E`: `θ₀ = 0`, `θ_i = log 2c_i`, `s_i = log ν_i`, kernel `i` = `k_i`
 * centred in the `filterSize` window (zero outside), so `R_θ = Σ_i c_i Σ_p √((k_i ⋆ x)_p² + ν_i²)`
 * (less the subtracted experts of a weakly convex potential).
 */
function startAtExperts(o: FoeOptions, theta: Float64Array, E: z.output<typeof expertsSchema>): void {
  const m = o.filters;
  const k = o.filterSize;
  if (E.count !== m || E.channels !== o.channels || E.size > k) {
    throw new ValidationError(
      `foe init: the experts (${E.count} of ${E.size}×${E.size}×${E.channels}) do not fit ${m} filters of ${k}×${k}×${o.channels}; use filters: ${E.count}, channels: ${E.channels} and filterSize ≥ ${E.size}`,
    );
  }
  if (o.boundary === 'valid' && E.size !== k) {
    throw new ValidationError(`foe init: with boundary "valid" the experts' ${E.size}×${E.size} filters would sum over other positions in ${k}×${k} filters; use filterSize: ${E.size} or another boundary`);
  }
  theta[0] = 0;
  const offset = kernelOffset(o);
  const per = filterEntries(o);
  const pad = (k - E.size) / 2;
  theta.fill(0, offset, offset + m * per);
  for (let i = 0; i < m; i++) {
    theta[1 + i] = Math.log(2 * E.weights[i]!);
    theta[1 + m + i] = Math.log(E.smoothings[i]!);
    for (let c = 0; c < o.channels; c++) {
      for (let r = 0; r < E.size; r++) {
        for (let s = 0; s < E.size; s++) {
          theta[offset + i * per + c * k * k + (r + pad) * k + s + pad] = E.kernels[((i * o.channels + c) * E.size + r) * E.size + s]!;
        }
      }
    }
  }
}

/**
 * The weak-convexity cap of the potential "weakly-convex": when `ρ(θ) > ρ_max`, every concave
 * weight `d_i` is scaled by `ρ_max/ρ(θ)` (`r_i += log(ρ_max/ρ)`), which scales `ρ` — linear in
 * the `d_i` — to `ρ_max`. Runs after the zero-mean projection (ρ depends on the kernels).
 */
function weakConvexityCap(o: FoeOptions, R: FieldsOfExperts, cap: number): ThetaProjection {
  const m = o.filters;
  return (theta) => {
    const rho = R.weakConvexityOf(theta);
    if (!(rho > cap)) return;
    const shift = Math.log(cap / rho) - 1e-12;
    for (let i = 0; i < m; i++) theta[1 + 2 * m + i] = theta[1 + 2 * m + i]! + shift;
  };
}

/** The regularizer of the potential "weakly-convex" on images of `shape` (θ set later). */
function weaklyConvexExperts(o: FoeOptions, shape: Shape): FieldsOfExperts {
  return new FieldsOfExperts({ shape, filters: o.filters, kernelSize: o.filterSize, boundary: o.boundary, concave: { weight: 1, smoothing: 1 } });
}

/** The `foe` kind. */
export const foe = defineModelKind({
  kind: 'foe',
  summary: 'Fields of Experts: J learnable filters with Huber (saddle, piggyback) or smooth (MAID) experts',
  options,
  init: z.strictObject({
    logWeight: logParameter.default(-3).describe('Global log-weight θ₀ (smooth potential: all filters weighted by ½e^θ₀).'),
    logFilterWeight: logParameter.default(-3).describe('Per-filter log-weights (smooth potential).'),
    logSmoothing: logParameter.default(-3.5).describe('Per-filter log-smoothing log ν_j (smooth potential).'),
    filterScale: initScale(positiveOption).default(1).describe('Scale of the Xavier-normal filter initialisation.'),
    derivativeWeight: initScale(nonNegativeOption)
      .default(0)
      .describe('Start the first two filters as forward differences (x and y) scaled by this weight, so the initial model is an anisotropic Huber-TV of that weight (0: all filters random).'),
    logConcaveWeight: logParameter.default(-8).describe('Per-filter log-weights r_i of the subtracted experts (potential "weakly-convex": d_i = ½e^{θ₀+r_i}).'),
    logConcaveSmoothing: logParameter.default(-2).describe('Per-filter log-widths q_i of the subtracted experts (potential "weakly-convex": η_i = e^{q_i}).'),
    experts: expertsSchema
      .optional()
      .describe('Start at a sum of experts c_i·Σ_p √((k_i ⋆ x)_p² + ν_i²) (models.experts of a trained smooth foe; the bilevel CLI also takes a model name or file here): θ₀ = 0, θ_i = log 2c_i, s_i = log ν_i, the kernels centred in the filters (potentials "smooth" and "weakly-convex"; as many experts as filters, of at most filterSize — exactly filterSize with boundary "valid" — and the same channels).'),
  }),
  layout: layoutOf,
  initialTheta(o, init, { rng, shape }) {
    const kernels = initialKernels(o, init.filterScale, init.derivativeWeight, rng);
    if (init.experts) {
      if (o.potential === 'huber') throw new ValidationError('foe init: experts start the smooth potentials ("smooth", "weakly-convex"), not "huber"');
      if (init.derivativeWeight > 0) throw new ValidationError('foe init: experts and derivativeWeight > 0 are two different starts; give one');
    }
    if (o.potential === 'huber') return kernels;
    const m = o.filters;
    const offset = kernelOffset(o);
    const theta = new Float64Array(offset + kernels.length);
    theta[0] = init.logWeight;
    theta.fill(init.logFilterWeight, 1, 1 + m);
    theta.fill(init.logSmoothing, 1 + m, 1 + 2 * m);
    if (o.potential === 'weakly-convex') {
      theta.fill(init.logConcaveWeight, 1 + 2 * m, 1 + 3 * m);
      theta.fill(init.logConcaveSmoothing, 1 + 3 * m, 1 + 4 * m);
    }
    theta.set(kernels, offset);
    if (init.experts) startAtExperts(o, theta, init.experts);
    // the start is capped as every update is: the lower level is strongly convex from the first solve
    if (o.potential === 'weakly-convex' && o.maxWeakConvexity !== null) weakConvexityCap(o, weaklyConvexExperts(o, shape), o.maxWeakConvexity)(theta);
    return theta;
  },
  build(o, shape) {
    const [C, H, W] = shape as [number, number, number];
    if (C !== o.channels) {
      throw new ValidationError(`foe model: its filters span ${o.channels} channel(s) (option channels) but the images have ${C}; use channels: ${C}, or images with ${o.channels} channel(s)`);
    }
    const layout = layoutOf(o);
    const per = filterEntries(o);
    const projections = o.zeroMean ? [zeroMeanFilters(kernelOffset(o), o.filters, per)] : [];
    const what = `Fields of Experts, ${o.filters} filters ${o.filterSize}×${o.filterSize}${o.channels > 1 ? `×${o.channels}` : ''}`;
    if (o.potential === 'huber') {
      const K = new ConvFilterBank({ inChannels: C, outChannels: o.filters, height: H, width: W, kernelSize: o.filterSize, boundary: o.boundary });
      const fStar = new HuberConjugate({ shape: K.range, alpha: 1, epsilon: o.huber });
      // Single-channel zero/periodic filter banks: the gpu.js kernels of @bilevel/kernels run their samples.
      const declarative = C === 1 && (o.boundary === 'zero' || o.boundary === 'periodic');
      return makeModel({
        kind: 'foe',
        options: o,
        shape,
        layout,
        params: K.params,
        setParams: (theta) => K.setParams(theta),
        saddle: { K, fStar, f: fStar.conjugate(), trainable: true, declarative },
        projections,
        formula: `Σᵢ Σₚ Huber_ε((kᵢ ⋆ x)ₚ), ε = ${o.huber} (${what}, saddle form K = filter bank)`,
      });
    }
    if (o.potential === 'weakly-convex') {
      const R = weaklyConvexExperts(o, shape);
      const cap = o.maxWeakConvexity;
      return makeModel({
        kind: 'foe',
        options: o,
        shape,
        layout,
        params: R.params,
        setParams: (theta) => R.setParams(theta),
        smooth: { R: R.smooth(), certified: false, nonconvex: cap === null },
        projections: cap === null ? projections : [...projections, weakConvexityCap(o, R, cap)],
        formula: `½e^θ₀ Σᵢ Σₚ [e^θᵢ √((kᵢ ⋆ x)ₚ² + e^{2sᵢ}) − e^rᵢ √((kᵢ ⋆ x)ₚ² + e^{2qᵢ})], ${cap === null ? 'uncapped' : `ρ ≤ ${cap}`} (${what}, ${cap === null ? 'non-convex experts' : 'weakly convex'})`,
      });
    }
    const R = new FieldsOfExperts({ shape, filters: o.filters, kernelSize: o.filterSize, boundary: o.boundary });
    return makeModel({
      kind: 'foe',
      options: o,
      shape,
      layout,
      ...analysisRegularizerParts(R),
      smooth: { R: R.smooth(), certified: true, boundConstants: fieldsOfExpertsBoundConstants(R) },
      projections,
      formula: `½e^θ₀ Σᵢ e^θᵢ Σₚ √((kᵢ ⋆ x)ₚ² + e^{2sᵢ}) (${what}, MAID)`,
    });
  },
  filters: filterBank,
  experts: foeExperts,
  report(o, theta) {
    const bank = filterBank(o, theta);
    const norms = [...bank.weights].sort((a, b) => a - b);
    return {
      'largest filter weight': norms.at(-1)!,
      'median filter weight': norms[Math.floor(norms.length / 2)]!,
      ...(o.potential === 'huber' ? {} : { 'global weight ½e^θ₀': 0.5 * Math.exp(theta[0]!) }),
    };
  },
});
