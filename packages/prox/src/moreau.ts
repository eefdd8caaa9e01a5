/**
 * Moreau calculus: the convex conjugate of a proximable functional through the Moreau identity
 * (flagged `derivedByMoreau`), and the Moreau envelope.
 * @module
 */
import { SharedParams, shapeSize, ValidationError, type Functional, type Learnable, type Shape, type Vec } from '@bilevel/core';
import type { Conjugable, Proximable, ProxDifferentiable, TwiceSmooth } from '@bilevel/core';
import { hasMethod, hideMissing, isLearnable, type AnyFunctional } from './capabilities.js';
import { addQuadratic } from './transformed.js';
import { positiveNumber } from '@bilevel/core';

/** A functional that can evaluate its own convex conjugate `f*(y)` in closed form. */
export interface HasConjugateValue {
  /** `f*(y) = sup_x ⟨x, y⟩ − f(x)`. */
  conjugateValue(y: Vec): number;
}

/**
 * The convex conjugate `f*` of a proximable `f`, with the prox derived through the Moreau
 * identity (Moreau 1965; Bauschke & Combettes, *Convex Analysis and Monotone Operator Theory*,
 * Thm 14.3): `prox_{τf*}(v) = v − τ prox_{f/τ}(v/τ)`, Jacobian `D prox_{τf*}(v) = I − D prox_{f/τ}(v/τ)`.
 *
 * Flagged `derivedByMoreau: true` so that no test uses the (then circular) Moreau identity as
 * evidence. The value `f*(y)` comes from `f.conjugateValue` when `f` provides one; otherwise
 * `value` throws. Parameters are those of `f` (shared: `setParams` here sets them on `f`), and
 * `proxParamVjp(v, τ, w) = −τ·∇_θ⟨prox_{f/τ}(v/τ), w⟩`. `conjugate()` returns `f` itself.
 * Methods whose capability `f` lacks are `undefined` at runtime.
 */
export class MoreauConjugate extends SharedParams implements ProxDifferentiable, Conjugable {
  /** The prox is derived through the Moreau identity. */
  readonly derivedByMoreau = true;
  /** Shape of the argument. */
  readonly shape: Shape;
  private readonly scaled: Vec;
  private readonly jac: Vec;

  constructor(readonly primal: AnyFunctional & Proximable) {
    super();
    if (!hasMethod(primal, 'prox')) throw new ValidationError('conjugateByMoreau: f must implement prox(v, tau, out)');
    this.shape = primal.shape;
    const n = shapeSize(primal.shape);
    this.scaled = new Float64Array(n);
    this.jac = new Float64Array(n);
    hideMissing(this, (key) => {
      if (key === 'prox' || key === 'conjugate') return true;
      if (key === 'proxJvp' || key === 'proxParamVjp') return hasMethod(primal, key);
      if (key === 'setParams' || key === 'paramNames') return isLearnable(primal);
      return false;
    });
  }

  /** `1/L_f` when `∇f` is `L`-Lipschitz (Baillon–Haddad duality, Bauschke & Combettes Thm 18.15), else 0. */
  get strongConvexity(): number {
    const L = this.primal.lipschitz;
    return L !== undefined && Number.isFinite(L) && L > 0 ? 1 / L : 0;
  }

  /** The owner of θ: `f`. */
  protected get paramOwner(): Partial<Learnable> {
    return this.primal;
  }

  /** `f*(y)` from `f.conjugateValue`; throws when `f` has no closed-form conjugate value. */
  value(y: Vec): number {
    if (!this.primal.conjugateValue) {
      throw new ValidationError(
        'conjugateByMoreau: the value of f* is not available in closed form; implement conjugateValue(y) on f',
      );
    }
    return this.primal.conjugateValue(y);
  }

  /** `out = v − τ prox_{f/τ}(v/τ)`; `out` may alias `v`. */
  prox(v: Vec, tau: number, out: Vec): Vec {
    const n = v.length;
    const w = this.scaled;
    for (let i = 0; i < n; i++) w[i] = v[i]! / tau;
    this.primal.prox(w, 1 / tau, w);
    for (let i = 0; i < n; i++) out[i] = v[i]! - tau * w[i]!;
    return out;
  }

  /** `out = dv − D prox_{f/τ}(v/τ)·dv`; `out` may alias `dv`. */
  proxJvp(v: Vec, tau: number, dv: Vec, out: Vec): Vec {
    const n = v.length;
    const w = this.scaled;
    for (let i = 0; i < n; i++) w[i] = v[i]! / tau;
    this.primal.proxJvp!(w, 1 / tau, dv, this.jac);
    for (let i = 0; i < n; i++) out[i] = dv[i]! - this.jac[i]!;
    return out;
  }

  /** `grad += scale · ∇_θ⟨prox_{τf*}(v), w⟩ = −scale·τ·∇_θ⟨prox_{f/τ}(v/τ), w⟩`. */
  proxParamVjp(v: Vec, tau: number, w: Vec, grad: Float64Array, scale = 1): void {
    const n = v.length;
    const s = this.scaled;
    for (let i = 0; i < n; i++) s[i] = v[i]! / tau;
    this.primal.proxParamVjp!(s, 1 / tau, w, grad, -tau * scale);
  }

  /** `f** = f`. */
  conjugate(): Functional {
    return this.primal;
  }
}

/**
 * `f*` through the Moreau identity `prox_{τf*}(v) = v − τ prox_{f/τ}(v/τ)`, flagged
 * `derivedByMoreau` (see {@link MoreauConjugate}). Use it when `f*` has no closed-form prox;
 * `f` is held, not copied.
 */
export function conjugateByMoreau(f: AnyFunctional & Proximable): MoreauConjugate {
  return new MoreauConjugate(f);
}

/**
 * The Moreau envelope `E(y) = min_z g(z) + ‖y − z‖²/(2μ)` of a proximable `g` (Moreau 1965;
 * gradient: Bauschke & Combettes Prop. 12.30; prox and conjugate: Beck, *First-Order Methods in
 * Optimization*, §6.7):
 *
 * - value `g(p) + ‖y − p‖²/(2μ)` with `p = prox_{μg}(y)`; gradient `(y − p)/μ`, `(1/μ)`-Lipschitz;
 *   Hessian `(I − D prox_{μg}(y))/μ`;
 * - prox `prox_{τE}(v) = v + τ/(μ+τ)·(prox_{(μ+τ)g}(v) − v)`;
 * - conjugate `E* = g* + (μ/2)‖·‖²`; strongly convex with modulus `μ_g/(1 + μμ_g)`.
 *
 * Parameters are those of `g` (shared). It is the conjugate of `addQuadratic(f, μ)`.
 * Methods whose capability `g` lacks are `undefined` at runtime.
 */
export class MoreauEnvelope extends SharedParams implements ProxDifferentiable, TwiceSmooth, Conjugable {
  /** Shape of the argument. */
  readonly shape: Shape;
  private readonly p: Vec;
  private readonly jac: Vec;

  constructor(
    readonly inner: AnyFunctional & Proximable,
    readonly mu: number,
  ) {
    super();
    if (!hasMethod(inner, 'prox')) throw new ValidationError('moreauEnvelope: g must implement prox(v, tau, out)');
    if (!positiveNumber.safeParse(mu).success) throw new ValidationError(`moreauEnvelope: mu must be a finite number > 0, got ${mu}`);
    this.shape = inner.shape;
    const n = shapeSize(inner.shape);
    this.p = new Float64Array(n);
    this.jac = new Float64Array(n);
    hideMissing(this, (key) => {
      switch (key) {
        case 'prox':
        case 'gradient':
        case 'minNormSubgradient':
          return true;
        case 'proxJvp':
        case 'hvp':
          return hasMethod(inner, 'proxJvp');
        case 'conjugate':
        case 'valueParamGrad':
        case 'proxParamVjp':
          return hasMethod(inner, key);
        case 'gradParamVjp':
          return hasMethod(inner, 'proxParamVjp');
        case 'setParams':
        case 'paramNames':
          return isLearnable(inner);
        default:
          return false;
      }
    });
  }

  /** `μ_g/(1 + μ μ_g)` (0 when `g` is not strongly convex). */
  get strongConvexity(): number {
    const m = this.inner.strongConvexity;
    return m / (1 + this.mu * m);
  }

  /** `1/μ`. */
  get lipschitz(): number {
    return 1 / this.mu;
  }

  /** The owner of θ: the wrapped functional. */
  protected get paramOwner(): Partial<Learnable> {
    return this.inner;
  }

  /** `g(p) + ‖y − p‖²/(2μ)`, `p = prox_{μg}(y)`. */
  value(y: Vec): number {
    const p = this.inner.prox(y, this.mu, this.p);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += (y[i]! - p[i]!) ** 2;
    return this.inner.value(p) + s / (2 * this.mu);
  }

  /** `out = (y − prox_{μg}(y))/μ`. */
  gradient(y: Vec, out: Vec): Vec {
    const p = this.inner.prox(y, this.mu, this.p);
    for (let i = 0; i < y.length; i++) out[i] = (y[i]! - p[i]!) / this.mu;
    return out;
  }

  /** `out = (v − D prox_{μg}(y)·v)/μ`. */
  hvp(y: Vec, v: Vec, out: Vec): Vec {
    this.inner.proxJvp!(y, this.mu, v, this.jac);
    for (let i = 0; i < y.length; i++) out[i] = (v[i]! - this.jac[i]!) / this.mu;
    return out;
  }

  /** `out = shift + ∇E(y)`; `out` may alias `shift`. */
  minNormSubgradient(y: Vec, shift: Vec, out: Vec): Vec {
    const p = this.inner.prox(y, this.mu, this.p);
    for (let i = 0; i < y.length; i++) out[i] = shift[i]! + (y[i]! - p[i]!) / this.mu;
    return out;
  }

  /** `out = v + τ/(μ+τ)·(prox_{(μ+τ)g}(v) − v)`; `out` may alias `v`. */
  prox(v: Vec, tau: number, out: Vec): Vec {
    const p = this.inner.prox(v, this.mu + tau, this.p);
    const k = tau / (this.mu + tau);
    for (let i = 0; i < v.length; i++) out[i] = v[i]! + k * (p[i]! - v[i]!);
    return out;
  }

  /** `out = μ/(μ+τ)·dv + τ/(μ+τ)·D prox_{(μ+τ)g}(v)·dv`; `out` may alias `dv`. */
  proxJvp(v: Vec, tau: number, dv: Vec, out: Vec): Vec {
    this.inner.proxJvp!(v, this.mu + tau, dv, this.jac);
    const k = tau / (this.mu + tau);
    for (let i = 0; i < v.length; i++) out[i] = (1 - k) * dv[i]! + k * this.jac[i]!;
    return out;
  }

  /** Envelope theorem: `∇_θE(y) = ∇_θ g_θ(p)` at `p = prox_{μg}(y)`. */
  valueParamGrad(y: Vec, grad: Float64Array, scale = 1): void {
    const p = this.inner.prox(y, this.mu, this.p);
    this.inner.valueParamGrad!(p, grad, scale);
  }

  /** `∇_θ⟨prox_{τE}(v), w⟩ = τ/(μ+τ)·∇_θ⟨prox_{(μ+τ)g}(v), w⟩`. */
  proxParamVjp(v: Vec, tau: number, w: Vec, grad: Float64Array, scale = 1): void {
    this.inner.proxParamVjp!(v, this.mu + tau, w, grad, (scale * tau) / (this.mu + tau));
  }

  /** `∇_θ⟨∇E(y), w⟩ = −(1/μ)·∇_θ⟨prox_{μg}(y), w⟩`. */
  gradParamVjp(y: Vec, w: Vec, grad: Float64Array, scale = 1): void {
    this.inner.proxParamVjp!(y, this.mu, w, grad, -scale / this.mu);
  }

  /** `E* = g* + (μ/2)‖·‖²`. */
  conjugate(): Functional {
    return addQuadratic(this.inner.conjugate!(), this.mu);
  }
}

/**
 * The Moreau envelope `E(y) = min_z g(z) + ‖y − z‖²/(2μ)` ({@link MoreauEnvelope}); `g` is held,
 * not copied.
 */
export function moreauEnvelope(g: AnyFunctional & Proximable, mu: number): MoreauEnvelope {
  return new MoreauEnvelope(g, mu);
}
