/**
 * Fields of Experts (Roth & Black 2005/2009) in the convex form of MAID (arXiv 2308.10098,
 * `FoE.py`; docs/math/regularizers.md#fields-of-experts): learnable filters `k_i`, per-filter weights and smoothings.
 * @module
 */
import { Rng, z, type Shape } from '@bilevel/core';
import { ConvFilterBank, FILTER_BANK_BOUNDARIES, type FilterBankBoundary } from '@bilevel/operators';
import { GroupHuber } from '@bilevel/prox';
import type { HuberConjugate } from '@bilevel/prox';
import { SmoothAbs } from '@bilevel/prox';
import { dataArray, parseOptions, positiveInteger, positiveNumber, positiveOrPerBlock, perBlock } from '@bilevel/core';
import { zeroMeanFilters } from '../zero-mean.js';
import { AnalysisRegularizer } from './analysis.js';
import { ParamMap, type ExpLink } from './param-map.js';

/** Options of {@link FieldsOfExperts}. */
export interface FieldsOfExpertsOptions {
  /** Image shape `[C, H, W]`. */
  readonly shape: Shape;
  /** Number of filters `m` (48 in MAID). */
  readonly filters: number;
  /** Odd kernel side `k` (7 in MAID). */
  readonly kernelSize: number;
  /**
   * Boundary rule of the filter bank (default `reflect`, as MAID's reflect padding); `valid`
   * sums the experts over the positions where the whole filter lies in the image.
   */
  readonly boundary?: FilterBankBoundary;
  /**
   * Initial kernels, `m·C·k·k` entries laid out `[filter][channel][row][col]`. Default: Xavier
   * normal (`std = √(2/((C + m)k²))`) with each filter's mean removed (MAID's initialisation),
   * seeded by `seed`.
   */
  readonly kernels?: ArrayLike<number>;
  /** Seed of the default kernel initialisation (default 0). */
  readonly seed?: number;
  /** Global weight `e^{θ₀} > 0` (default `e^{−3}`). */
  readonly weight?: number;
  /** Per-filter weights `e^{θ_i} > 0`, one value or `m` (default `e^{−3}`). */
  readonly filterWeights?: number | ArrayLike<number>;
  /** Per-filter smoothings `ν_i = e^{s_i} > 0`, one value or `m` (default `e^{−3}`). */
  readonly smoothing?: number | ArrayLike<number>;
}

const schema = z.strictObject({
  shape: z.tuple([positiveInteger, positiveInteger, positiveInteger], { error: 'must be an image shape [C, H, W] of positive integers' }),
  filters: positiveInteger,
  kernelSize: positiveInteger.refine((k) => k % 2 === 1, { message: 'must be odd (centred kernels: 3, 5, 7, …)' }),
  boundary: z.enum(FILTER_BANK_BOUNDARIES).optional(),
  kernels: z.custom<ArrayLike<number>>((v) => v instanceof Float64Array || Array.isArray(v), { message: 'must be an array of numbers' }).optional(),
  seed: z.number().int().optional(),
  weight: positiveNumber.optional(),
  filterWeights: positiveOrPerBlock.optional(),
  smoothing: positiveOrPerBlock.optional(),
});

/** Xavier-normal kernels with each filter's mean removed (MAID `FoE.py` initialisation). */
function defaultKernels(m: number, C: number, k: number, seed: number): Float64Array {
  const per = C * k * k;
  const std = Math.sqrt(2 / ((C + m) * k * k));
  const w = Rng.seeded(seed).fillNormal(new Float64Array(m * per), 0, std);
  zeroMeanFilters(0, m, per)(w);
  return w;
}

/**
 * Fields of Experts `R_θ(x) = ½e^{θ₀} Σ_{i<m} e^{θ_i} Σ_p φ_i((k_i ⋆ x)_p)` with the filter bank
 * `K x = (k_i ⋆ x)_i` ({@link ConvFilterBank}, `[C,H,W] → [m,H,W]`; with the boundary `valid`
 * `[m, H−k+1, W−k+1]`, every pixel `p` a position where the whole filter lies in the image).
 *
 * `θ` layout (MAID order, `1 + m + m + m·C·k²` entries; 2449 for MAID's 48 filters of 7×7):
 * `[θ₀ (log_weight), θ_1..θ_m (log_filter_weight[i]), s_1..s_m (log_smoothing[i]),
 * kernels (the filter bank's names)]`. Per filter `c_i = ½e^{θ₀+θ_i}` and smoothing `e^{s_i}`.
 *
 * - smooth form: `φ_i(t) = √(t² + ν_i²)` ({@link SmoothAbs} per filter block, `λ_i = c_i`,
 *   `ν_i = e^{s_i}`); closed-form mixed derivatives of docs/math/regularizers.md#mixed-derivatives
 *   (`(Bᵀq)_{k_i}` = correlation of `x` with `ψ''(u)⊙Kq` plus correlation of `q` with `ψ'(u)`);
 * - saddle form: `φ_i = c_i Huber_{ε_i}` with `ε_i = e^{s_i}` ({@link GroupHuber} per block),
 *   `K` the filter bank, `f*` the per-filter `HuberConjugate(α_i = c_i, ε_i)`.
 *
 * `gatherGradient` maps `K.paramVjp` gradients onto the kernel slots and `f*` gradients
 * `(g_α, g_ε)` onto `θ₀ += Σ c_i g_{α_i}`, `θ_i += c_i g_{α_i}`, `s_i += ε_i g_{ε_i}`.
 */
export class FieldsOfExperts extends AnalysisRegularizer<HuberConjugate, GroupHuber> {
  constructor(options: FieldsOfExpertsOptions) {
    const o = parseOptions(schema, options, 'FieldsOfExperts');
    const [C, H, W] = o.shape;
    const m = o.filters;
    const k = o.kernelSize;
    const nKernel = m * C * k * k;
    const kernels = o.kernels ? dataArray('FieldsOfExperts kernels', o.kernels, nKernel) : defaultKernels(m, C, k, o.seed ?? 0);
    const bank = (init?: Float64Array): ConvFilterBank =>
      new ConvFilterBank({
        inChannels: C,
        outChannels: m,
        height: H,
        width: W,
        kernelSize: k,
        boundary: o.boundary ?? 'reflect',
        ...(init && { kernels: init }),
      });
    const K = bank(kernels);
    const links: ExpLink[] = [];
    for (let i = 0; i < m; i++) links.push({ sources: [0, 1 + i], factor: 0.5 });
    for (let i = 0; i < m; i++) links.push({ sources: [1 + m + i] });
    const names = [
      'log_weight',
      ...Array.from({ length: m }, (_, i) => `log_filter_weight[${i}]`),
      ...Array.from({ length: m }, (_, i) => `log_smoothing[${i}]`),
      ...K.paramNames(),
    ];
    const theta = new Float64Array(1 + 2 * m + nKernel);
    theta[0] = Math.log(o.weight ?? Math.exp(-3));
    theta.set(perBlock('FieldsOfExperts filterWeights', o.filterWeights ?? Math.exp(-3), m).map(Math.log), 1);
    theta.set(perBlock('FieldsOfExperts smoothing', o.smoothing ?? Math.exp(-3), m).map(Math.log), 1 + m);
    theta.set(kernels, 1 + 2 * m);
    const range = K.range;
    const ones = new Float64Array(m).fill(1);
    super({
      what: 'FieldsOfExperts',
      operator: K,
      tangent: bank(),
      saddlePotential: new GroupHuber({ shape: range, alpha: ones, epsilon: ones }),
      smoothPotential: new SmoothAbs({ shape: range, weight: ones, nu: ones }),
      map: new ParamMap({ thetaLength: theta.length, operatorOffset: 1 + 2 * m, operatorLength: nKernel, potential: links, names }),
      theta,
    });
  }
}
