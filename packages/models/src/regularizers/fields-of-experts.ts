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
import { PotentialDifference } from './potential-difference.js';

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
  /**
   * Weakly convex experts (docs/math/regularizers.md#weakly-convex-experts): subtract a wider
   * smoothed absolute value from each expert, `φ_i(t) = c_i√(t² + ν_i²) − d_i√(t² + η_i²)` with
   * `d_i = ½e^{θ₀+r_i}`, `η_i = e^{q_i}`. Given are the initial `d_i/(½e^{θ₀})` (`e^{r_i}`) and `η_i`,
   * one value or `m` each. There is then no saddle form.
   */
  readonly concave?: { readonly weight: number | ArrayLike<number>; readonly smoothing: number | ArrayLike<number> };
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
  concave: z.strictObject({ weight: positiveOrPerBlock, smoothing: positiveOrPerBlock }).optional(),
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
 *
 * With `concave` (weakly convex experts) `θ = [θ₀, θ_i, s_i, r_i, q_i, kernels]` and the smooth
 * potential is `c_i√(t² + ν_i²) − d_i√(t² + η_i²)` ({@link PotentialDifference} of two
 * {@link SmoothAbs}), `d_i = ½e^{θ₀+r_i}`, `η_i = e^{q_i}`: since `−d_i/η_i ≤ φ_i''`,
 * `∇²R ⪰ −Σ_i (d_i/η_i)K_iᵀK_i ⪰ −‖K_β‖² I`, `K_β` the bank of the filters `√(d_i/η_i)·k_i`
 * ({@link FieldsOfExperts.weakConvexity}); no saddle form.
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
    const concave = o.concave;
    const blocks = concave ? 4 : 2;
    const offset = 1 + blocks * m;
    const links: ExpLink[] = [];
    for (let i = 0; i < m; i++) links.push({ sources: [0, 1 + i], factor: 0.5 });
    for (let i = 0; i < m; i++) links.push({ sources: [1 + m + i] });
    if (concave) {
      for (let i = 0; i < m; i++) links.push({ sources: [0, 1 + 2 * m + i], factor: 0.5 });
      for (let i = 0; i < m; i++) links.push({ sources: [1 + 3 * m + i] });
    }
    const perFilter = (name: string) => Array.from({ length: m }, (_, i) => `${name}[${i}]`);
    const names = [
      'log_weight',
      ...perFilter('log_filter_weight'),
      ...perFilter('log_smoothing'),
      ...(concave ? [...perFilter('log_concave_weight'), ...perFilter('log_concave_smoothing')] : []),
      ...K.paramNames(),
    ];
    const theta = new Float64Array(offset + nKernel);
    theta[0] = Math.log(o.weight ?? Math.exp(-3));
    theta.set(perBlock('FieldsOfExperts filterWeights', o.filterWeights ?? Math.exp(-3), m).map(Math.log), 1);
    theta.set(perBlock('FieldsOfExperts smoothing', o.smoothing ?? Math.exp(-3), m).map(Math.log), 1 + m);
    if (concave) {
      theta.set(perBlock('FieldsOfExperts concave.weight', concave.weight, m).map(Math.log), 1 + 2 * m);
      theta.set(perBlock('FieldsOfExperts concave.smoothing', concave.smoothing, m).map(Math.log), 1 + 3 * m);
    }
    theta.set(kernels, offset);
    const range = K.range;
    const ones = new Float64Array(m).fill(1);
    const smoothAbs = () => new SmoothAbs({ shape: range, weight: ones, nu: ones });
    super({
      what: 'FieldsOfExperts',
      operator: K,
      tangent: bank(),
      ...(concave
        ? { smoothPotential: new PotentialDifference(smoothAbs(), smoothAbs()) }
        : { saddlePotential: new GroupHuber({ shape: range, alpha: ones, epsilon: ones }), smoothPotential: smoothAbs() }),
      map: new ParamMap({ thetaLength: theta.length, operatorOffset: offset, operatorLength: nKernel, potential: links, names }),
      theta,
    });
    this.filters = m;
    this.kernelOffset = offset;
    this.concave = concave !== undefined;
    this.scaled = bank();
    this.scaledKernels = new Float64Array(nKernel);
  }

  private readonly filters: number;
  /** Where the kernels start in θ. */
  private readonly kernelOffset: number;
  private readonly concave: boolean;
  /** The bank of the filters `√(d_i/η_i)·k_i` and its kernels' buffer (weak-convexity bound). */
  private readonly scaled: ConvFilterBank;
  private readonly scaledKernels: Float64Array;
  private cachedWeakConvexity: number | undefined;

  /** Copy `θ` and update the parts (see {@link AnalysisRegularizer.setParams}). */
  override setParams(theta: ArrayLike<number>): void {
    super.setParams(theta);
    this.cachedWeakConvexity = undefined;
  }

  /**
   * `ρ(θ)` with `∇²R_θ ⪰ −ρI`: 0 for convex experts; with `concave`, the certified bound
   * `‖K_β‖²` of the bank of filters `√(d_i/η_i)·k_i` (its frequency-response norm bound, which
   * covers the boundary rule). Cached until the next `setParams`.
   */
  override weakConvexity(): number {
    this.cachedWeakConvexity ??= this.weakConvexityOf(this.params);
    return this.cachedWeakConvexity;
  }

  /** {@link FieldsOfExperts.weakConvexity} at another `θ` of this layout (this regularizer's θ unchanged). */
  weakConvexityOf(theta: ArrayLike<number>): number {
    if (!this.concave) return 0;
    const m = this.filters;
    const offset = this.kernelOffset;
    const k = this.scaledKernels;
    const per = k.length / m;
    for (let i = 0; i < m; i++) {
      // d_i/η_i = ½e^{θ₀ + r_i − q_i}
      const s = Math.sqrt(0.5 * Math.exp(theta[0]! + theta[1 + 2 * m + i]! - theta[1 + 3 * m + i]!));
      for (let t = 0; t < per; t++) k[i * per + t] = s * theta[offset + i * per + t]!;
    }
    this.scaled.setParams(k);
    const n = this.scaled.norm().value;
    return n * n;
  }
}
