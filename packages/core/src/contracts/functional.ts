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
  /**
   * Modulus `μ` of strong convexity: `f − μ/2‖·‖²` is convex (0 when not strongly convex). Only the
   * smooth terms of a smooth lower level may report `μ < 0` (a `|μ|`-weakly convex regularizer,
   * docs/math/regularizers.md#weakly-convex-experts), when their sum with the data term stays positive.
   */
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
 * need `H_g⁻¹` and `H_{f*}⁻¹` (docs/math/certificates.md#lemma-3).
 *
 * For a non-smooth `f` the generalised Hessian is a property of a point `(x, s)` of the graph
 * of `∂f`, not of `x` alone: the pair `s ∈ ∂f(x)` (approximately) selects it. In a saddle
 * problem the pair of `f*` at `y` is `u = Kx` (`u ∈ ∂f*(y)` at the saddle point) and the pair
 * of `g` at `x` is `−Kᵀy`. For the Huber conjugate, for example, the inverse Hessian at
 * `(y, u)` is `∇²f(u)`, whose curvature on an active isotropic group depends on `‖u_j‖`, which
 * `y` (on the ball's boundary) does not determine. Directions fixed by a constraint have
 * infinite curvature: `hvpInverse` is 0 on them and `hvp` applies the pseudo-inverse, so
 * `P = hvp ∘ hvpInverse` is the projection onto the free directions. Smooth functionals
 * ignore the pair; without it a functional uses its documented default.
 */
export interface HessianInvertible extends Functional {
  /** `out = H(x; pair) · v` (generalised Hessian at the graph point `(x, pair)`). */
  hvp(x: Vec, v: Vec, out: Vec, pair?: Vec): Vec;
  /** `out = H(x; pair)⁻¹ · v` (generalised inverse, 0 on the directions a constraint fixes). */
  hvpInverse(x: Vec, v: Vec, out: Vec, pair?: Vec): Vec;
  /**
   * Lipschitz constants of the inverse generalised Hessian `(x, pair) ↦ H(x; pair)⁻¹` on a fixed
   * active set: with respect to the point `x` and to the pair (the Theorem 2 constants at the
   * pair, docs/math/error-bound.md#constants-at-the-pair). Absent: derived from
   * `hessianLipschitz` of the conjugate (the paper's constants).
   */
  readonly inverseHessianLipschitz?: { readonly point: number; readonly pair: number };
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
