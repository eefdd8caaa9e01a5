/**
 * Lower-level problem types.
 * @module
 */
import type { Vec } from '../vec.js';
import type { LinearOperator, Learnable } from './operator.js';
import type { ProxDifferentiable, Smooth, Subdifferentiable, TwiceSmooth } from './functional.js';

/**
 * Saddle form of the lower level (names as in arXiv 2412.06436):
 * `min_x max_y ⟨Kx, y⟩ + g(x) − f*(y)`, i.e. `min_x g(x) + f(Kx)`.
 *
 * `g` is the data term (strongly convex for the linear-rate scheme and the error bounds), `fStar`
 * the conjugate of the regularizer potential `f` (strongly convex for Huber-type `f`).
 * The optional `f` and `gStar` (smooth, with gradients `∇f = (∇f*)⁻¹`, `∇g* = (∇g)⁻¹`)
 * enable the a-posteriori distance certificates of Lemma 2 (eqs. 6a/6b).
 */
export interface SaddleProblem {
  /** The (learnable or fixed) linear operator `K`. */
  readonly K: LinearOperator;
  /** Primal term `g` (data fidelity). */
  readonly g: ProxDifferentiable & Partial<Smooth & Subdifferentiable>;
  /** Dual term `f*` (conjugate of the regularizer potential). */
  readonly fStar: ProxDifferentiable & Partial<Subdifferentiable>;
  /** The potential `f = (f*)*`, smooth, for the primal certificate (6a). */
  readonly f?: Smooth;
  /** The conjugate `g*`, smooth, for the dual certificate (6b). */
  readonly gStar?: Smooth;
}

/**
 * The saddle problem of one reconstruction: the model's shared `K`, `f*` and (for the primal
 * certificate) `f`, with a sample's data term `g` and (for the dual certificate) its conjugate
 * `g*` — the one place a model and a sample become a {@link SaddleProblem}.
 */
export function saddleProblem(
  shared: Pick<SaddleProblem, 'K' | 'fStar' | 'f'>,
  data: Pick<SaddleProblem, 'g' | 'gStar'>,
): SaddleProblem {
  return { K: shared.K, g: data.g, fStar: shared.fStar, ...(shared.f ? { f: shared.f } : {}), ...(data.gStar ? { gStar: data.gStar } : {}) };
}

/**
 * Smooth form of the lower level: `min_x h(x)` with `h` μ-strongly convex and `L`-smooth
 * (MAID, arXiv 2308.10098). `h.strongConvexity` is `μ`, `h.lipschitz` is `L`.
 */
export interface SmoothProblem {
  /** The objective `h`. */
  readonly h: TwiceSmooth;
}

/**
 * A smooth lower-level objective `h_θ(x)` that depends on learnable parameters, with the
 * mixed second derivative `B = ∇²_{xθ} h` needed by implicit differentiation
 * (`∇L = −Bᵀ A⁻¹ ∇ℓ`, A = ∇²_{xx} h).
 */
export interface ParametricSmooth extends TwiceSmooth, Learnable {
  /** `grad += scale · Bᵀ q = scale · ∇_θ ⟨∇_x h_θ(x), q⟩`. */
  mixedVjp(x: Vec, q: Vec, grad: Float64Array, scale?: number): void;
  /** `out = B · dTheta = ∂_θ ∇_x h_θ(x) · dTheta`. */
  mixedJvp(x: Vec, dTheta: ArrayLike<number>, out: Vec): Vec;
}
