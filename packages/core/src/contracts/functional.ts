/**
 * Functionals and their capabilities (prox, prox Jacobian, gradient, Hessian, conjugate,
 * parameter derivatives). A functional implements the capabilities it has; algorithms ask
 * for exactly the capabilities they need.
 * @module
 */
import type { Shape, Vec } from '../vec.js';
import type { Learnable } from './operator.js';

/** A proper, convex, lower semicontinuous functional `f: ℝ^shape → ℝ ∪ {+∞}`. */
export interface Functional {
  /** Shape of the argument. */
  readonly shape: Shape;
  /** `f(x)`; `Infinity` outside the domain (indicators). */
  value(x: Vec): number;
  /** Modulus `μ ≥ 0` of strong convexity: `f − μ/2‖·‖²` is convex (0 when not strongly convex). */
  readonly strongConvexity: number;
  /**
   * True when this functional's prox is derived through the Moreau identity
   * `prox_{τf*}(v) = v − τ prox_{f/τ}(v/τ)` rather than implemented in closed form.
   */
  readonly derivedByMoreau?: boolean;
}

/**
 * A functional with a computable proximal map
 * `prox_{τf}(v) = argmin_z τ f(z) + ½‖z − v‖²`.
 */
export interface Proximable extends Functional {
  /** `out = prox_{τf}(v)`; `out` may alias `v`. */
  prox(v: Vec, tau: number, out: Vec): Vec;
}

/**
 * A proximable functional whose prox is (almost everywhere) differentiable, with the
 * Jacobian-vector product `D prox_{τf}(v) · dv` available. The Jacobian of a prox is
 * symmetric, so this is also the vector-Jacobian product.
 */
export interface ProxDifferentiable extends Proximable {
  /** `out = D prox_{τf}(v) · dv` (symmetric); `out` may alias `dv` but not `v`. */
  proxJvp(v: Vec, tau: number, dv: Vec, out: Vec): Vec;
}

/** A functional with a Lipschitz-continuous gradient. */
export interface Smooth extends Functional {
  /** `out = ∇f(x)`; `out` must not alias `x`. */
  gradient(x: Vec, out: Vec): Vec;
  /** Lipschitz constant `L` of `∇f` (an upper bound; `Infinity` when unknown). */
  readonly lipschitz: number;
}

/** A smooth functional with Hessian-vector products. */
export interface TwiceSmooth extends Smooth {
  /** `out = ∇²f(x) · v`; `out` must not alias `x` or `v`. */
  hvp(x: Vec, v: Vec, out: Vec): Vec;
  /** Lipschitz constant of `x ↦ ∇²f(x)` (0 for quadratics; `Infinity` or absent when unknown). */
  readonly hessianLipschitz?: number;
}

/**
 * A functional whose (generalised) Hessian can be applied and inverted cheaply, as for
 * separable or diagonal-quadratic terms. The adjoint certificates of arXiv 2412.06436, Lemma 3,
 * need `H_g⁻¹` and `H_{f*}⁻¹`. For terms with constraints (an indicator in `f*`) the generalised
 * inverse is 0 in the directions the constraint fixes (the limit of the prox Jacobian).
 */
export interface HessianInvertible extends Functional {
  /** `out = ∇²f(x) · v` (generalised Hessian). */
  hvp(x: Vec, v: Vec, out: Vec): Vec;
  /** `out = ∇²f(x)⁻¹ · v` (generalised inverse). */
  hvpInverse(x: Vec, v: Vec, out: Vec): Vec;
}

/**
 * A functional that can report the minimal-norm element of `shift + ∂f(x)`, the quantity
 * behind the a-posteriori distance bounds of arXiv 2412.06436, Lemma 2 (eqs. 6a/6b): for a
 * μ-strongly convex `Φ`, `‖z − z*‖ ≤ dist(0, ∂Φ(z))/μ`.
 */
export interface Subdifferentiable extends Functional {
  /** `out = argmin { ‖s‖ : s ∈ shift + ∂f(x) }`; `out` may alias `shift`. */
  minNormSubgradient(x: Vec, shift: Vec, out: Vec): Vec;
}

/** A functional that knows its convex conjugate `f*(y) = sup_x ⟨x, y⟩ − f(x)`. */
export interface Conjugable<C extends Functional = Functional> extends Functional {
  /** The convex conjugate `f*` (closed form where known, else flagged `derivedByMoreau`). */
  conjugate(): C;
}

/**
 * A functional with learnable parameters (weights, smoothing, …), exposing the parameter
 * derivatives the hypergradient estimators need. Each method accumulates into `grad`
 * (aligned with `params`), scaled by `scale` (default 1).
 */
export interface LearnableFunctional extends Functional, Learnable {
  /** `grad += scale · ∇_θ f_θ(x)`. */
  valueParamGrad?(x: Vec, grad: Float64Array, scale?: number): void;
  /** `grad += scale · ∇_θ ⟨prox_{τf_θ}(v), w⟩` (the VJP of the prox with respect to θ). */
  proxParamVjp?(v: Vec, tau: number, w: Vec, grad: Float64Array, scale?: number): void;
  /** `grad += scale · ∇_θ ⟨∇_x f_θ(x), w⟩` (the mixed derivative `∇²_{xθ} f` applied to `w`). */
  gradParamVjp?(x: Vec, w: Vec, grad: Float64Array, scale?: number): void;
  /** `out = ∂_θ ∇_x f_θ(x) · dTheta` (the mixed derivative applied to a parameter direction). */
  gradParamJvp?(x: Vec, dTheta: ArrayLike<number>, out: Vec): Vec;
}
