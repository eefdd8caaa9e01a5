/**
 * Learnable lower-level models over a training set: what the hypergradient estimators consume
 * and what regularizer packages build.
 * @module
 */
import type { Vec } from '../vec.js';
import type {
  HessianInvertible,
  LearnableFunctional,
  ProxDifferentiable,
  Smooth,
  Subdifferentiable,
  TwiceSmooth,
} from './functional.js';
import type { Learnable, LinearOperator, ParametricOperator } from './operator.js';
import type { ParametricSmooth } from './problem.js';

/** One training sample of a saddle-form model: its data term, the conjugate and its target. */
export interface SaddleSample {
  /** Data term `g_i` (e.g. `½‖x − b_i‖²`); strongly convex for the error bound. */
  readonly g: ProxDifferentiable & Partial<Smooth & TwiceSmooth & Subdifferentiable & HessianInvertible>;
  /** `g_i*`, smooth, for the dual certificate (6b). */
  readonly gStar?: Smooth & Partial<TwiceSmooth>;
  /** The ground truth `x_i†` the loss compares against. */
  readonly target: Vec;
  /** Start point of cold solves (default: zero). */
  readonly x0?: Vec;
}

/**
 * A learnable saddle-form model `min_x max_y ⟨K_θx, y⟩ + g_i(x) − f*_θ(y)` (arXiv 2412.06436)
 * over `numSamples` training samples. The parameter vector is `θ = [K.params]` (when `K` is a
 * `ParametricOperator`) followed by `fStar.params` when `f*` is learned too; `setParams`
 * distributes it.
 */
export interface SaddleModel extends Learnable {
  /** The operator `K_θ`, shared by all samples. */
  readonly K: LinearOperator & Partial<ParametricOperator>;
  /** The dual term `f*_θ` (conjugate of the regularizer potential). */
  readonly fStar: ProxDifferentiable & Partial<Subdifferentiable & HessianInvertible & LearnableFunctional>;
  /** The potential `f`, smooth, for the primal certificate (6a). */
  readonly f?: Smooth & Partial<TwiceSmooth>;
  /** Number of training samples. */
  readonly numSamples: number;
  /** The `i`-th sample. */
  sample(i: number): SaddleSample;
}

/** Constants of the implicit-differentiation error bound (MAID, arXiv 2308.10098, Thm 2.1). */
export interface SmoothBoundConstants {
  /** `‖B‖ = ‖∇²_{xθ} h(x̃)‖` (or an upper bound). */
  readonly normB: number;
  /** Lipschitz constant of `x ↦ B(x)`. */
  readonly lipB: number;
  /** Lipschitz constant of `x ↦ A(x)⁻¹`, `A = ∇²_{xx} h`. */
  readonly lipAInv: number;
  /** Whether the constants are certified bounds (`true`) or estimates. */
  readonly certified: boolean;
}

/** One training sample of a smooth-form model. */
export interface SmoothSample {
  /** `h_{θ,i}(x) = data_i(x) + R_θ(x)`, μ-strongly convex and smooth, sharing θ with the model. */
  readonly h: ParametricSmooth;
  /** The ground truth `x_i†`. */
  readonly target: Vec;
  /** Start point of cold solves (default: zero). */
  readonly x0?: Vec;
  /** Constants of the bound at the current θ and the point `x` (within `radius` of `x̂`). */
  boundConstants?(x: Vec, radius: number): SmoothBoundConstants;
}

/**
 * A learnable smooth-form model `min_x h_{θ,i}(x)` (MAID, arXiv 2308.10098) over `numSamples`
 * training samples, all sharing the parameters θ (`setParams` updates every sample).
 */
export interface SmoothModel extends Learnable {
  /** Number of training samples. */
  readonly numSamples: number;
  /** The `i`-th sample. */
  sample(i: number): SmoothSample;
}
