/**
 * Prox calculus: scaling `αf`, argument scaling and translation `f(ax + c)`, added linear and
 * quadratic terms. All of them are one family,
 *
 *   `h(x) = α f(a x + c) + ⟨l, x⟩ + (μ/2)‖x‖² + κ`   (α > 0, a ≠ 0 scalars; c, l vectors),
 *
 * which is closed under each operation (nested calls are flattened onto the base `f`) and,
 * for `μ = 0`, under conjugation. Formulas: the conjugate and prox calculus rules of Beck,
 * *First-Order Methods in Optimization* (SIAM 2017), §4.3 and §6.3, and Bauschke & Combettes,
 * *Convex Analysis and Monotone Operator Theory*, Prop. 24.8.
 * @module
 */
import { SharedParams, shapeSize, ValidationError, type Functional, type Learnable, type Shape, type Vec } from '@bilevel/core';
import type { Conjugable, ProxDifferentiable, Subdifferentiable, TwiceSmooth } from '@bilevel/core';
import { hasMethod, hideMissing, isLearnable, type AnyFunctional } from './capabilities.js';
import { MoreauEnvelope } from './moreau.js';
import { dataArray, nonNegativeNumber, nonZeroNumber, positiveNumber } from '@bilevel/core';

/** The affine-quadratic transform `(α, a, c, l, μ, κ)` of {@link TransformedFunctional}. */
export interface Transform {
  /** Outer scale `α > 0`. */
  readonly alpha: number;
  /** Argument scale `a ≠ 0`. */
  readonly a: number;
  /** Argument offset `c` (null: zero). */
  readonly c: Vec | null;
  /** Linear term `l` (null: zero). */
  readonly l: Vec | null;
  /** Added quadratic modulus `μ ≥ 0`. */
  readonly mu: number;
  /** Additive constant `κ`. */
  readonly kappa: number;
}

const IDENTITY: Transform = { alpha: 1, a: 1, c: null, l: null, mu: 0, kappa: 0 };

function dot(a: Vec | null, b: Vec | null): number {
  if (!a || !b) return 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** `x·p + y·q` on nullable vectors (null = zero). */
function lin(p: number, x: Vec | null, q: number, y: Vec | null): Vec | null {
  if (!x && !y) return null;
  const n = (x ?? y)!.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (x ? p * x[i]! : 0) + (y ? q * y[i]! : 0);
  return out;
}

/**
 * `h(x) = α f(a x + c) + ⟨l, x⟩ + (μ/2)‖x‖² + κ` (see the module comment). Built by
 * {@link scale}, {@link argScale}, {@link translate}, {@link addQuadratic}, {@link addLinear}.
 *
 * - value as written; strong convexity `α a² μ_f + μ`; Lipschitz constant `α a² L_f + μ`;
 * - prox: with `d = 1 + τμ`, `τ' = τα/d`, `z = a(v − τl)/d + c`:
 *   `prox_{τh}(v) = (prox_{τ'a²f}(z) − c)/a`; Jacobian `D prox_{τ'a²f}(z)·dv / d`;
 * - gradient `αa∇f(ax + c) + l + μx`; Hessian `αa²∇²f(ax + c) + μI`;
 * - min-norm subgradient `αa · minNorm(∂f(z) + (shift + l + μx)/(αa))`;
 * - conjugate (μ = 0): `h*(y) = α f*((y − l)/(aα)) − ⟨c, y − l⟩/a − κ`, again of this form;
 *   (μ > 0): the Moreau envelope with parameter μ of the conjugate of the μ = 0 part;
 * - parameters: those of `f` (shared); their derivatives follow by the chain rule.
 *
 * Methods whose capability `f` lacks are `undefined` at runtime.
 */
export class TransformedFunctional extends SharedParams implements ProxDifferentiable, TwiceSmooth, Subdifferentiable, Conjugable {
  /** Shape of the argument. */
  readonly shape: Shape;
  private readonly z: Vec;

  constructor(
    readonly inner: AnyFunctional,
    readonly transform: Transform,
  ) {
    super();
    this.shape = inner.shape;
    this.z = new Float64Array(shapeSize(inner.shape));
    hideMissing(this, (key) => (key === 'paramNames' || key === 'setParams' ? isLearnable(inner) : hasMethod(inner, key)));
  }

  /** `α a² μ_f + μ`. */
  get strongConvexity(): number {
    const { alpha, a, mu } = this.transform;
    return alpha * a * a * this.inner.strongConvexity + mu;
  }

  /** `α a² L_f + μ` (`Infinity` when `f` has no Lipschitz gradient). */
  get lipschitz(): number {
    const { alpha, a, mu } = this.transform;
    return alpha * a * a * (this.inner.lipschitz ?? Infinity) + mu;
  }

  /** The owner of θ: the wrapped functional. */
  protected get paramOwner(): Partial<Learnable> {
    return this.inner;
  }

  /** `z = a x + c` into the work array. */
  private argument(x: Vec): Vec {
    const { a, c } = this.transform;
    const z = this.z;
    if (c) for (let i = 0; i < z.length; i++) z[i] = a * x[i]! + c[i]!;
    else for (let i = 0; i < z.length; i++) z[i] = a * x[i]!;
    return z;
  }

  /** `z = a(v − τl)/(1 + τμ) + c` into the work array (the prox argument of `f`). */
  private proxArgument(v: Vec, tau: number): Vec {
    const { a, c, l, mu } = this.transform;
    const k = a / (1 + tau * mu);
    const z = this.z;
    for (let i = 0; i < z.length; i++) z[i] = k * (l ? v[i]! - tau * l[i]! : v[i]!) + (c ? c[i]! : 0);
    return z;
  }

  /** Step `τ'a²` of the inner prox. */
  private innerStep(tau: number): number {
    const { alpha, a, mu } = this.transform;
    return ((tau * alpha) / (1 + tau * mu)) * a * a;
  }

  /** `α f(ax + c) + ⟨l, x⟩ + (μ/2)‖x‖² + κ`. */
  value(x: Vec): number {
    const { alpha, l, mu, kappa } = this.transform;
    const fz = this.inner.value(this.argument(x));
    let q = 0;
    if (mu !== 0) for (let i = 0; i < x.length; i++) q += x[i]! * x[i]!;
    return alpha * fz + dot(l, x) + 0.5 * mu * q + kappa;
  }

  /** `out = (prox_{τ'a²f}(z) − c)/a`; `out` may alias `v`. */
  prox(v: Vec, tau: number, out: Vec): Vec {
    const { a, c } = this.transform;
    const z = this.inner.prox!(this.proxArgument(v, tau), this.innerStep(tau), this.z);
    for (let i = 0; i < z.length; i++) out[i] = (c ? z[i]! - c[i]! : z[i]!) / a;
    return out;
  }

  /** `out = D prox_{τ'a²f}(z)·dv / (1 + τμ)`; `out` may alias `dv`. */
  proxJvp(v: Vec, tau: number, dv: Vec, out: Vec): Vec {
    this.inner.proxJvp!(this.proxArgument(v, tau), this.innerStep(tau), dv, out);
    const k = 1 / (1 + tau * this.transform.mu);
    if (k !== 1) for (let i = 0; i < out.length; i++) out[i] = k * out[i]!;
    return out;
  }

  /** `out = αa∇f(ax + c) + l + μx`. */
  gradient(x: Vec, out: Vec): Vec {
    const { alpha, a, l, mu } = this.transform;
    this.inner.gradient!(this.argument(x), out);
    const k = alpha * a;
    for (let i = 0; i < out.length; i++) out[i] = k * out[i]! + (l ? l[i]! : 0) + mu * x[i]!;
    return out;
  }

  /** `out = αa²∇²f(ax + c)·v + μv`. */
  hvp(x: Vec, v: Vec, out: Vec): Vec {
    const { alpha, a, mu } = this.transform;
    this.inner.hvp!(this.argument(x), v, out);
    const k = alpha * a * a;
    for (let i = 0; i < out.length; i++) out[i] = k * out[i]! + mu * v[i]!;
    return out;
  }

  /** `out = αa · minNorm(∂f(ax + c) + (shift + l + μx)/(αa))`; `out` may alias `shift`. */
  minNormSubgradient(x: Vec, shift: Vec, out: Vec): Vec {
    const { alpha, a, l, mu } = this.transform;
    const k = alpha * a;
    for (let i = 0; i < out.length; i++) out[i] = (shift[i]! + (l ? l[i]! : 0) + mu * x[i]!) / k;
    this.inner.minNormSubgradient!(this.argument(x), out, out);
    for (let i = 0; i < out.length; i++) out[i] = k * out[i]!;
    return out;
  }

  /**
   * `h*`. For `μ = 0`: `α f*(y/(aα) − l/(aα)) + ⟨−c/a, y⟩ + ⟨c, l⟩/a − κ`; for `μ > 0` the Moreau
   * envelope (parameter μ) of the conjugate of the `μ = 0` part.
   */
  conjugate(): Functional {
    const { alpha, a, c, l, mu, kappa } = this.transform;
    const k = 1 / (a * alpha);
    const conj = new TransformedFunctional(this.inner.conjugate!() as AnyFunctional, {
      alpha,
      a: k,
      c: lin(-k, l, 0, null),
      l: lin(-1 / a, c, 0, null),
      mu: 0,
      kappa: dot(c, l) / a - kappa,
    });
    return mu === 0 ? conj : new MoreauEnvelope(conj as never, mu);
  }

  /** `grad += scale·α·∇_θ f(ax + c)`. */
  valueParamGrad(x: Vec, grad: Float64Array, scale = 1): void {
    this.inner.valueParamGrad!(this.argument(x), grad, scale * this.transform.alpha);
  }

  /** `grad += (scale/a)·∇_θ⟨prox_{τ'a²f}(z), w⟩`. */
  proxParamVjp(v: Vec, tau: number, w: Vec, grad: Float64Array, scale = 1): void {
    this.inner.proxParamVjp!(this.proxArgument(v, tau), this.innerStep(tau), w, grad, scale / this.transform.a);
  }

  /** `grad += scale·αa·∇_θ⟨∇f(ax + c), w⟩`. */
  gradParamVjp(x: Vec, w: Vec, grad: Float64Array, scale = 1): void {
    this.inner.gradParamVjp!(this.argument(x), w, grad, scale * this.transform.alpha * this.transform.a);
  }

  /** `out = αa·∂_θ∇f(ax + c)·dθ`. */
  gradParamJvp(x: Vec, dTheta: ArrayLike<number>, out: Vec): Vec {
    this.inner.gradParamJvp!(this.argument(x), dTheta, out);
    const k = this.transform.alpha * this.transform.a;
    for (let i = 0; i < out.length; i++) out[i] = k * out[i]!;
    return out;
  }
}

/** Split `f` into its base functional and transform (flattening nested transforms). */
function unwrap(f: AnyFunctional): [AnyFunctional, Transform] {
  return f instanceof TransformedFunctional ? [f.inner, f.transform] : [f, IDENTITY];
}

function vector(name: string, v: ArrayLike<number>, f: Functional): Vec {
  return dataArray(name, v, f.shape);
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new ValidationError(message);
}

/**
 * `β f` for `β > 0`: `prox_{τβf} = prox_{(τβ)f}`, `(βf)*(y) = β f*(y/β)`.
 * Returns a {@link TransformedFunctional} sharing `f`'s parameters.
 */
export function scale(f: AnyFunctional, beta: number): TransformedFunctional {
  check(positiveNumber.safeParse(beta).success, `scale: the factor must be a finite number > 0, got ${beta}`);
  const [g, t] = unwrap(f);
  return new TransformedFunctional(g, {
    alpha: beta * t.alpha,
    a: t.a,
    c: t.c,
    l: lin(beta, t.l, 0, null),
    mu: beta * t.mu,
    kappa: beta * t.kappa,
  });
}

/**
 * `x ↦ f(a x + offset)` for a scalar `a ≠ 0` and an optional offset vector:
 * `prox_{τh}(v) = (prox_{τa²f}(av + offset) − offset)/a`, `h*(y) = f*(y/a) − ⟨offset, y⟩/a`.
 */
export function argScale(f: AnyFunctional, a: number, offset?: ArrayLike<number>): TransformedFunctional {
  check(nonZeroNumber.safeParse(a).success, `argScale: the argument scale a must be a finite non-zero number, got ${a}`);
  const c = offset === undefined ? null : vector('argScale offset', offset, f);
  const [g, t] = unwrap(f);
  // h(ax + c) with h = α g(a₀ x + c₀) + ⟨l, x⟩ + (μ/2)‖x‖² + κ.
  return new TransformedFunctional(g, {
    alpha: t.alpha,
    a: t.a * a,
    c: lin(t.a, c, 1, t.c),
    l: lin(a, t.l, t.mu * a, c),
    mu: t.mu * a * a,
    kappa: dot(t.l, c) + 0.5 * t.mu * dot(c, c) + t.kappa,
  });
}

/** `x ↦ f(x − b)` (the graph of `f` moved by `+b`): `prox_{τh}(v) = b + prox_{τf}(v − b)`. */
export function translate(f: AnyFunctional, b: ArrayLike<number>): TransformedFunctional {
  const shift = vector('translate b', b, f);
  for (let i = 0; i < shift.length; i++) shift[i] = -shift[i]!;
  return argScale(f, 1, shift);
}

/**
 * `f + (μ/2)‖x − center‖²` (center defaults to 0), `μ ≥ 0`:
 * `prox_{τh}(v) = prox_{τf/(1+τμ)}((v + τμ·center)/(1 + τμ))`; strong convexity `μ_f + μ`.
 * The conjugate is a {@link MoreauEnvelope} of `f*` (shifted by the center).
 */
export function addQuadratic(f: AnyFunctional, mu: number, center?: ArrayLike<number>): TransformedFunctional {
  check(nonNegativeNumber.safeParse(mu).success, `addQuadratic: mu must be a finite number ≥ 0, got ${mu}`);
  const c = center === undefined ? null : vector('addQuadratic center', center, f);
  const [g, t] = unwrap(f);
  return new TransformedFunctional(g, {
    ...t,
    l: lin(1, t.l, -mu, c),
    mu: t.mu + mu,
    kappa: t.kappa + 0.5 * mu * dot(c, c),
  });
}

/** `f + ⟨l, x⟩`: `prox_{τh}(v) = prox_{τf}(v − τl)`, `h*(y) = f*(y − l)`. */
export function addLinear(f: AnyFunctional, l: ArrayLike<number>): TransformedFunctional {
  const lv = vector('addLinear l', l, f);
  const [g, t] = unwrap(f);
  return new TransformedFunctional(g, { ...t, l: lin(1, t.l, 1, lv) });
}
