/**
 * Learnable lower-level models over a training set (the `SaddleModel` and `SmoothModel`
 * contracts of `@bilevel/core`) built from an operator, a potential and training pairs, ready for
 * the hypergradient oracles of `@bilevel/hypergrad`.
 * @module
 */
import {
  ValidationError,
  assertFinite,
  assertLength,
  shapeSize,
  type LinearOperator,
  type ParametricOperator,
  type ParametricSmooth,
  type DeclarativeSaddleModel,
  type SaddleModel,
  type SaddleSpec,
  type SaddleSample,
  type Shape,
  type SmoothBoundConstants,
  type SmoothModel,
  type SmoothSample,
  type Vec,
} from '@bilevel/core';
import { ConvFilterBank, Gradient2D, ScalarMultiple, compose, type ConvBoundary } from '@bilevel/operators';
import { HuberConjugate } from './huber-conjugate.js';
import { QuadraticFidelity } from './quadratic-fidelity.js';
import { smoothObjective } from './regularizers/analysis.js';
import type { SmoothedTV } from './regularizers/total-variation.js';

/** A training pair: the degraded measurement `b` and the clean target `x†`. */
export interface TrainingPair {
  /** Measurement `b` (range of the forward operator; the image itself for denoising). */
  readonly degraded: Vec;
  /** Ground truth `x†`. */
  readonly target: Vec;
}

/** The data term shared by the builders: `g_i(x) = ½‖Ax − b_i‖² + μ/2‖x‖²`. */
export interface DataTermOptions {
  /** Image shape `[C, H, W]`. */
  readonly shape: Shape;
  /** Training pairs. */
  readonly pairs: readonly TrainingPair[];
  /** Forward operator `A` (default: identity, i.e. denoising). */
  readonly forward?: LinearOperator;
  /** Extra strong convexity `μ ≥ 0` (default 0; needed when `AᵀA` is singular, e.g. blur). */
  readonly mu?: number;
}

function dataTerms(o: DataTermOptions): { g: QuadraticFidelity; target: Vec }[] {
  if (o.pairs.length === 0) throw new ValidationError('pairs: at least one training pair is needed');
  const n = shapeSize(o.shape);
  return o.pairs.map((p, i) => {
    assertLength(`pairs[${i}].target`, p.target, o.shape);
    assertFinite(`pairs[${i}].target`, p.target);
    assertFinite(`pairs[${i}].degraded`, p.degraded);
    if (!o.forward) assertLength(`pairs[${i}].degraded`, p.degraded, n);
    const g = new QuadraticFidelity({
      shape: o.shape,
      data: p.degraded,
      ...(o.forward ? { operator: o.forward } : {}),
      ...(o.mu ? { mu: o.mu } : {}),
    });
    return { g, target: p.target };
  });
}

/** Options of {@link saddleModel}. */
export interface SaddleModelOptions extends DataTermOptions {
  /** The learnable operator `K_θ` (θ = its parameters). */
  readonly operator: ParametricOperator;
  /** The dual term `f*` (e.g. a {@link HuberConjugate}); `f = f*.conjugate()` when available. */
  readonly fStar: SaddleModel['fStar'] & { conjugate?: () => unknown };
}

/**
 * A {@link SaddleModel} `min_x max_y ⟨K_θx, y⟩ + g_i(x) − f*(y)` with θ = `operator.params`
 * (arXiv 2412.06436): every learnable parameter sits in `K`, so the Theorem 2 bound covers all
 * of θ. `g_i = ½‖Ax − b_i‖² + μ/2‖x‖²` with its conjugate for the dual certificate.
 */
export function saddleModel(o: SaddleModelOptions): SaddleModel {
  const K = o.operator;
  if (shapeSize(K.domain) !== shapeSize(o.shape)) {
    throw new ValidationError(`operator: its domain has ${shapeSize(K.domain)} entries, the image shape ${shapeSize(o.shape)}`);
  }
  const samples: SaddleSample[] = dataTerms(o).map(({ g, target }) => {
    const gStar = typeof (g as { conjugate?: unknown }).conjugate === 'function' ? g.conjugate() : undefined;
    return { g, target, ...(gStar ? { gStar } : {}) };
  });
  const f = typeof o.fStar.conjugate === 'function' ? (o.fStar.conjugate() as SaddleModel['f']) : undefined;
  return {
    K,
    fStar: o.fStar,
    ...(f ? { f } : {}),
    numSamples: samples.length,
    get params() {
      return K.params;
    },
    paramNames: () => K.paramNames(),
    setParams: (theta) => K.setParams(theta),
    sample: (i) => samples[i]!,
  };
}

/** Options of {@link huberTvSaddleModel}. */
export interface HuberTvModelOptions extends DataTermOptions {
  /** Initial weight `α` (θ = [α]; default 0.1). */
  readonly weight?: number;
  /** Huber smoothing `ε` of `f = Huber_ε` applied to `αDx` (fixed; default 0.01). */
  readonly epsilon?: number;
  /** `isotropic` (default) or `anisotropic` differences. */
  readonly mode?: 'isotropic' | 'anisotropic';
}

/**
 * Huber-TV in saddle form with the weight inside the operator: `K_α = α·D` (D the 2-D forward
 * differences, Neumann), `f = Huber_ε` (per pixel for `isotropic`), so
 * `f(K_αx) = α·Huber_{ε/α}(Dx)` — a Huber-TV model whose single parameter `α` is covered by the
 * Theorem 2 bound. `f*(y) = ε/2‖y‖² + ι{‖y_j‖ ≤ 1}` (μ_{f*} = ε).
 */
export function huberTvSaddleModel(o: HuberTvModelOptions): SaddleModel {
  const [C, H, W] = o.shape as [number, number, number];
  const D = new Gradient2D({ channels: C, height: H, width: W });
  const weight = new ScalarMultiple(D.range, o.weight ?? 0.1);
  const fStar = new HuberConjugate({ shape: D.range, groupSize: (o.mode ?? 'isotropic') === 'isotropic' ? 2 : 1, alpha: 1, epsilon: o.epsilon ?? 0.01 });
  return saddleModel({ ...o, operator: compose(weight, D) as ParametricOperator, fStar });
}

/** Options of {@link foeSaddleModel}. */
export interface FoeModelOptions extends DataTermOptions {
  /** Number of filters (default 24). */
  readonly filters?: number;
  /** Odd filter size (default 7). */
  readonly kernelSize?: number;
  /** Initial kernels, layout `[filter][channel][k][k]` (required: e.g. zero-mean random filters). */
  readonly kernels: Float64Array;
  /** Huber smoothing `ε` of each expert `Huber_ε((k_i ⋆ x)_p)` (fixed; default 0.01). */
  readonly epsilon?: number;
  /** Boundary of the filters (default `symmetric`). */
  readonly boundary?: ConvBoundary;
}

/**
 * Fields of Experts in saddle form (Roth–Black 2009 with Huber experts): `K_θ` a learnable
 * filter bank (θ = its kernels; the experts' weights are the kernels' scales),
 * `f(Kx) = Σ_i Σ_p Huber_ε((k_i ⋆ x)_p)`, `f*(y) = ε/2‖y‖² + ι{|y| ≤ 1}`.
 *
 * For single-channel denoising with a `zero` or `periodic` boundary the model is also a
 * `DeclarativeSaddleModel` (`saddleSpec(i)`), so the piggyback estimator can run it on a
 * compute backend (`@bilevel/kernels`) through its `backend` option.
 */
export function foeSaddleModel(o: FoeModelOptions): SaddleModel & Partial<DeclarativeSaddleModel> {
  const [C, H, W] = o.shape as [number, number, number];
  const filters = o.filters ?? 24;
  const bank = new ConvFilterBank({
    inChannels: C,
    outChannels: filters,
    height: H,
    width: W,
    kernelSize: o.kernelSize ?? 7,
    boundary: o.boundary ?? 'symmetric',
    kernels: o.kernels,
  });
  const epsilon = o.epsilon ?? 0.01;
  const fStar = new HuberConjugate({ shape: bank.range, alpha: 1, epsilon });
  const model = saddleModel({ ...o, operator: bank, fStar });
  const boundary = bank.boundary;
  const declarative = C === 1 && !o.forward && !o.mu && (boundary === 'zero' || boundary === 'periodic');
  const saddleSpec = (i: number): SaddleSpec | undefined =>
    declarative
      ? {
          height: H,
          width: W,
          operator: { kind: 'filters', kernels: Float64Array.from(bank.params), kernelSize: bank.kernelSize, count: filters, boundary },
          alpha: 1,
          epsilon,
          isotropic: false,
          data: o.pairs[i]!.degraded,
          target: o.pairs[i]!.target,
        }
      : undefined;
  return Object.assign(model, { saddleSpec });
}

/** Options of {@link smoothModel}. */
export interface SmoothModelOptions extends DataTermOptions {
  /** A regularizer with a smooth form (`SmoothedTV`, `HuberTV`, `FieldsOfExperts`). */
  readonly regularizer: { smooth(): ParametricSmooth; readonly params: Float64Array; paramNames(): readonly string[]; setParams(t: ArrayLike<number>): void };
  /** Constants of the MAID bound for this regularizer (see {@link smoothedTvBoundConstants}). */
  readonly boundConstants?: (h: ParametricSmooth, x: Vec, radius: number) => SmoothBoundConstants;
}

/**
 * A {@link SmoothModel} `h_{θ,i}(x) = ½‖Ax − b_i‖² + μ/2‖x‖² + R_θ(x)` (MAID, arXiv 2308.10098)
 * sharing the regularizer's θ across samples.
 */
export function smoothModel(o: SmoothModelOptions): SmoothModel {
  const reg = o.regularizer;
  const samples: SmoothSample[] = dataTerms(o).map(({ g, target }) => {
    const h = smoothObjective({ data: g, regularizer: reg.smooth() });
    const bc = o.boundConstants;
    return { h, target, ...(bc ? { boundConstants: (x: Vec, r: number) => bc(h, x, r) } : {}) };
  });
  return {
    numSamples: samples.length,
    get params() {
      return reg.params;
    },
    paramNames: () => reg.paramNames(),
    setParams: (theta) => reg.setParams(theta),
    sample: (i) => samples[i]!,
  };
}

/** `max_t |ψ'''(t)|·ν²` for `ψ(t) = √(t² + ν²)`: attained at `t = ν/2`, `(3/2)(4/5)^{5/2}`. */
const PSI3 = 1.5 * (4 / 5) ** 2.5;

/**
 * Certified constants of the MAID bound for the smoothed TV `R = λ Σ ψ_ν(Dx)`,
 * `λ = ½e^{θ₀}`, `ν = e^{θ₁}` (anisotropic), with `h = data + R`, `μ = h.strongConvexity`:
 * - `‖B(x)‖` exactly, from the 2×2 Gram matrix of `B = [∂_{θ₀}∇R, ∂_{θ₁}∇R]` at `x`;
 * - `L_B ≤ √2·λ‖D‖²/ν`: the columns are `λDᵀψ'(Dx)` and `λDᵀ(−tν²/ψ³)(Dx)`, whose derivatives in
 *   `t` are bounded by `max ψ'' = 1/ν` and `max |∂_t(tν²/ψ³)| = 1/ν`;
 * - `L_{A⁻¹} ≤ λ‖D‖³ max|ψ'''| / μ²` with `max|ψ'''| = (3/2)(4/5)^{5/2}/ν²`, since the data term's
 *   Hessian is constant and `‖A⁻¹‖ ≤ 1/μ`.
 *
 * `L_B` and `L_{A⁻¹}` hold globally, so the `radius` argument is not needed; `‖B‖` is evaluated at
 * the inexact point `x̃`, which is what the bound uses. Anisotropic mode only (the default).
 */
export function smoothedTvBoundConstants(reg: SmoothedTV): (h: ParametricSmooth, x: Vec, radius: number) => SmoothBoundConstants {
  if (reg.saddle().f.layout.groupSize !== 1) {
    throw new ValidationError('smoothedTvBoundConstants: the constants are derived for the anisotropic smoothed TV (mode "anisotropic")');
  }
  const D = reg.operator;
  const normD = D.norm!().value;
  return (h, x) => {
    const lambda = 0.5 * Math.exp(reg.params[0]!);
    const nu = Math.exp(reg.params[1]!);
    const n = x.length;
    const b0 = h.mixedJvp(x, [1, 0], new Float64Array(n));
    const b1 = h.mixedJvp(x, [0, 1], new Float64Array(n));
    let a = 0;
    let b = 0;
    let c = 0;
    for (let i = 0; i < n; i++) {
      a += b0[i]! * b0[i]!;
      b += b0[i]! * b1[i]!;
      c += b1[i]! * b1[i]!;
    }
    const lmax = 0.5 * (a + c) + Math.sqrt(0.25 * (a - c) ** 2 + b * b);
    const mu = h.strongConvexity;
    return {
      normB: Math.sqrt(lmax),
      lipB: (Math.SQRT2 * lambda * normD * normD) / nu,
      lipAInv: (lambda * normD ** 3 * PSI3) / (nu * nu * mu * mu),
      certified: true,
    };
  };
}
