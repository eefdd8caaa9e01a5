/**
 * Variational models: a regularizer `R_θ` on images of one shape, with the forms it supports —
 * the saddle form `R_θ(x) = f(K_θx) = max_y ⟨K_θx, y⟩ − f*(y)` for PDHG and piggyback
 * (arXiv 2412.06436) and/or the smooth form for FISTA and implicit differentiation (MAID,
 * arXiv 2308.10098) — and the data terms of single reconstructions
 * (docs/architecture.md#problems-and-models).
 * @module
 */
import {
  ValidationError,
  assertFinite,
  assertLength,
  shapeSize,
  type Learnable,
  type LinearOperator,
  type ParametricOperator,
  type ParametricSmooth,
  type SaddleModel,
  type Shape,
  type SmoothBoundConstants,
  type Vec,
} from '@bilevel/core';
import { QuadraticFidelity } from '@bilevel/prox';
import type { ThetaLayout } from './layout.js';
import type { ModelSpec } from './spec.js';

/** An in-place projection of θ applied after every upper-level update (e.g. zero-mean filters). */
export type ThetaProjection = (theta: Float64Array) => void;

/**
 * A lifted primal `(x, z)` (ICNN epigraph variables, TGV's vector field): the saddle form acts
 * on `n + auxiliarySize` entries, the data term on the image part, plus `(γ/2)‖z‖²` with
 * `γ = auxiliaryWeight` so that `g` stays strongly convex.
 */
export interface Lifting {
  /** Entries of `z`. */
  readonly auxiliarySize: number;
  /** `γ > 0` of `(γ/2)‖z‖²` (0: the exact lifting, `g` not strongly convex in `z`). */
  readonly auxiliaryWeight: number;
  /** Cold start of `z` for an image `x` (written into `out`, length `auxiliarySize`). */
  start(x: Vec, out: Vec): void;
}

/** The saddle form of a model: `K_θ`, `f*` and (when smooth) `f`, shared by every sample. */
export interface SaddleRegularizer {
  /** The operator `K_θ` on the (possibly lifted) primal. */
  readonly K: LinearOperator & Partial<ParametricOperator>;
  /** The dual term `f*`. */
  readonly fStar: SaddleModel['fStar'];
  /** The potential `f = (f*)*` when smooth (primal certificate 6a). */
  readonly f?: SaddleModel['f'];
  /**
   * Whether θ is exactly `K`'s parameters (`f*` fixed), so the piggyback oracle can train it and
   * its Theorem 2 bound covers all of θ. A saddle form with θ in `f*` serves reconstructions only.
   */
  readonly trainable: boolean;
  /** The lifted primal, when the saddle form acts on `(x, z)`. */
  readonly lifting?: Lifting;
  /**
   * Whether the denoising samples of this (unlifted) form are handed to compute backends: the
   * training set then describes each one (`DeclarativeSaddleModel.saddleSpec`, the one problem
   * description with the loss `½‖x − x†‖²`) for a `SaddleBackend` (the gpu.js backend of
   * `@bilevel/kernels`) to run. Set by forms whose descriptions its kernels run.
   */
  readonly declarative?: boolean;
}

/** The smooth form of a model: `R_θ` with its mixed derivatives and, when derived, MAID's bound constants. */
export interface SmoothRegularizer {
  /** `R_θ` (parameters shared with the model). */
  readonly R: ParametricSmooth;
  /** Whether `boundConstants` are certified, so the implicit oracle's error bound is finite and holds. */
  readonly certified: boolean;
  /**
   * Whether the lower level `data + R_θ` may be non-convex (a weak convexity not capped below the
   * data term's modulus; docs/math/regularizers.md#non-convex-experts): its objective is built
   * `nonconvex`, so solvers stop on stationarity and no distance is certified.
   */
  readonly nonconvex?: boolean;
  /** Constants of the implicit-differentiation bound of `h = data + R_θ` at `x` (MAID Thm 2.1). */
  boundConstants?(h: ParametricSmooth, x: Vec, radius: number): SmoothBoundConstants;
}

/**
 * A regularizer with parameters θ on images of one shape: what the registry builds from a
 * {@link ModelSpec}. `setParams(θ)` updates every form; the forms' objects stay the same.
 */
export interface VariationalModel extends Learnable {
  /** The registered kind. */
  readonly kind: string;
  /** The validated options of the kind. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Image shape `[C, H, W]`. */
  readonly shape: Shape;
  /** The θ layout. */
  readonly layout: ThetaLayout;
  /** Projections of θ after every update (applied by the optimizers). */
  readonly projections: readonly ThetaProjection[];
  /** The saddle form (PDHG, piggyback), when the model has one. */
  readonly saddle?: SaddleRegularizer;
  /** The smooth form (FISTA, implicit differentiation), when the model has one. */
  readonly smooth?: SmoothRegularizer;
  /** The lower level as a formula, for reports. */
  readonly formula: string;
  /** The model as data at the current θ. */
  spec(): ModelSpec;
}

/** The data of one reconstruction: `g(x) = ½‖Ax − b‖² + (μ/2)‖x‖²`. */
export interface DataSpec {
  /** The measurement `b` (the range of `A`; the image itself for denoising). */
  readonly degraded: Vec;
  /** The forward operator `A` (default: identity). */
  readonly forward?: LinearOperator;
  /** `μ ≥ 0` (default 0; needed when `AᵀA` is singular, e.g. blur or inpainting). */
  readonly ridge?: number;
}

/** The data term of a reconstruction on the image: `½‖Ax − b‖² + (μ/2)‖x‖²`. */
export function imageDataTerm(shape: Shape, d: DataSpec): QuadraticFidelity {
  return new QuadraticFidelity({
    shape,
    data: d.degraded,
    ...(d.forward ? { operator: d.forward } : {}),
    ...(d.ridge ? { mu: d.ridge } : {}),
  });
}

/**
 * The data term on a lifted primal `(x, z)`: `½‖Mx − b‖² + (γ/2)‖z‖² + (μ/2)‖(x, z)‖²`, one
 * diagonal `QuadraticFidelity`. `A` must be the identity or a diagonal 0/1 mask (a `Mask` or any
 * operator whose `diagonal` is given): the lifted models have no blur data term.
 */
export function liftedDataTerm(shape: Shape, lifting: Lifting, d: DataSpec): QuadraticFidelity {
  const n = shapeSize(shape);
  const N = n + lifting.auxiliarySize;
  const diagonal = new Float64Array(N);
  const mask = d.forward ? maskOf(d.forward, n) : undefined;
  for (let i = 0; i < n; i++) diagonal[i] = mask ? mask[i]! : 1;
  diagonal.fill(Math.sqrt(lifting.auxiliaryWeight), n);
  const data = new Float64Array(N);
  data.set(d.degraded.subarray(0, n));
  return new QuadraticFidelity({ shape: [N], data, diagonal, ...(d.ridge ? { mu: d.ridge } : {}) });
}

/** The 0/1 diagonal of a masking operator, from its action on the all-ones image. */
function maskOf(A: LinearOperator, n: number): Float64Array {
  if (shapeSize(A.domain) !== n || shapeSize(A.range) !== n) {
    throw new ValidationError('a lifted model (ICNN, TGV) takes denoising or a pixel mask as its data term, not a general forward operator');
  }
  const ones = new Float64Array(n).fill(1);
  const d = A.apply(ones, new Float64Array(n));
  const probe = new Float64Array(n);
  for (let i = 0; i < n; i++) probe[i] = i % 7 === 0 ? 2 : -1;
  const Ap = A.apply(probe, new Float64Array(n));
  for (let i = 0; i < n; i++) {
    if ((d[i] !== 0 && d[i] !== 1) || Ap[i] !== d[i]! * probe[i]!) {
      throw new ValidationError('a lifted model (ICNN, TGV) takes denoising or a pixel mask as its data term, not a general forward operator');
    }
  }
  return d;
}

/** What a kind's builder supplies to {@link makeModel}. */
export interface ModelParts {
  /** The kind. */
  readonly kind: string;
  /** Its validated options. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Image shape. */
  readonly shape: Shape;
  /** The θ layout. */
  readonly layout: ThetaLayout;
  /** The live θ (owned by the parts, e.g. `K.params`). */
  readonly params: Float64Array;
  /** Distribute a checked θ to the parts. */
  setParams(theta: ArrayLike<number>): void;
  /** The saddle form, if any. */
  readonly saddle?: SaddleRegularizer;
  /** The smooth form, if any. */
  readonly smooth?: SmoothRegularizer;
  /** Projections of θ (default none). */
  readonly projections?: readonly ThetaProjection[];
  /** The lower level as a formula. */
  readonly formula: string;
}

/**
 * The θ block and saddle form of a model trained through the smooth form of an analysis
 * regularizer `R`: θ is `R.params` (set through `R`), and `R`'s saddle form `(K, f*, f)` serves
 * reconstructions only (`trainable: false`: part of θ parametrises `f*`).
 */
export function analysisRegularizerParts(R: {
  readonly params: Float64Array;
  setParams(theta: ArrayLike<number>): void;
  saddle(): Pick<SaddleRegularizer, 'K' | 'fStar' | 'f'>;
}): Pick<ModelParts, 'params' | 'setParams' | 'saddle'> {
  const saddle = R.saddle();
  return { params: R.params, setParams: (theta) => R.setParams(theta), saddle: { K: saddle.K, fStar: saddle.fStar, ...(saddle.f ? { f: saddle.f } : {}), trainable: false } };
}

/**
 * A {@link VariationalModel} from its parts: `setParams` checks the length against the layout and
 * finiteness before distributing θ; `paramNames` and `spec` come from the layout and the kind.
 */
export function makeModel(p: ModelParts): VariationalModel {
  const n = p.layout.length;
  return {
    kind: p.kind,
    options: p.options,
    shape: p.shape,
    layout: p.layout,
    projections: p.projections ?? [],
    formula: p.formula,
    ...(p.saddle ? { saddle: p.saddle } : {}),
    ...(p.smooth ? { smooth: p.smooth } : {}),
    get params() {
      return p.params;
    },
    paramNames: () => p.layout.names(),
    setParams(theta) {
      assertLength(`${p.kind} model theta`, theta, n);
      assertFinite(`${p.kind} model theta`, theta);
      p.setParams(theta);
    },
    spec: () => ({ kind: p.kind, options: p.options, theta: [...p.params] }),
  };
}
