/**
 * The quadratic data fidelity `g(x) = ½‖Ax − b‖² + (μ/2)‖x‖²` and its conjugate, with closed
 * forms for `A` = identity, mask or diagonal and conjugate gradients for a general linear `A`.
 * @module
 */
import {
  ConjugateGradient,
  ConvergenceError,
  formatShape,
  shapeEquals,
  shapeSize,
  ValidationError,
  z,
  type CgState,
  type Described,
  type LinearOperator,
  type Shape,
  type Vec,
} from '@bilevel/core';
import type { Conjugable, ProxDifferentiable, Subdifferentiable, TwiceSmooth } from '@bilevel/core';
import { hideMissing } from './capabilities.js';
import { normBound } from './norm-bound.js';
import { dataArray, ensure, nonNegativeNumber, numericArray, parseOptions, positiveInteger, positiveNumber, shapeSchema as shapeOption } from '@bilevel/core';

/** Options of {@link QuadraticFidelity}. Give at most one of `mask`, `diagonal`, `operator`. */
export interface QuadraticFidelityOptions {
  /** Shape of `x` (the domain of `A`). */
  readonly shape: Shape;
  /** The data `b` (range of `A`; the shape of `x` for identity, mask and diagonal). */
  readonly data: ArrayLike<number>;
  /** `A = diag(mask)` with entries 0 or 1 (inpainting). */
  readonly mask?: ArrayLike<number>;
  /** `A = diag(d)` (any finite weights). */
  readonly diagonal?: ArrayLike<number>;
  /** A general linear `A` (prox, Jacobian and conjugate by conjugate gradients). */
  readonly operator?: LinearOperator;
  /** `μ ≥ 0` of the added `(μ/2)‖x‖²` (default 0). */
  readonly mu?: number;
  /**
   * Conjugate-gradient settings for a general `A`: stop at relative residual `tol` (default
   * 1e-12; the error in the solution is at most `tol·cond`), at most `maxIter` iterations
   * (default 1000; a `ConvergenceError` is thrown beyond).
   */
  readonly cg?: { readonly tol?: number; readonly maxIter?: number };
}

const schema = z.strictObject({
  shape: shapeOption,
  data: numericArray,
  mask: numericArray.optional(),
  diagonal: numericArray.optional(),
  operator: z
    .custom<LinearOperator>((v) => typeof v === 'object' && v !== null && typeof (v as LinearOperator).apply === 'function' && typeof (v as LinearOperator).adjoint === 'function', {
      message: 'must be a LinearOperator (with apply and adjoint)',
    })
    .optional(),
  mu: nonNegativeNumber.optional(),
  cg: z.strictObject({ tol: positiveNumber.optional(), maxIter: positiveInteger.optional() }).optional(),
});

/**
 * The computations of {@link QuadraticFidelity} that depend on how `A` is given (closed form
 * for diagonal `A`, conjugate gradients otherwise); an implementation detail shared with
 * {@link QuadraticFidelityConjugate}.
 */
export interface QuadraticModel {
  /** Strong convexity of `g`. */
  readonly mu: number;
  /** Lipschitz constant of `∇g`. */
  readonly lipschitz: number;
  /** Whether `H = AᵀA + μI` is (known to be) invertible. */
  readonly invertible: boolean;
  /** Conjugate-gradient iterations so far (0 for closed forms). */
  readonly cgIterations: number;
  /** `g(x)`. */
  value(x: Vec): number;
  /** `∇g(x)`. */
  gradient(x: Vec, out: Vec): Vec;
  /** `H v`. */
  hvp(v: Vec, out: Vec): Vec;
  /** `prox_{τg}(v)`. */
  prox(v: Vec, tau: number, out: Vec): Vec;
  /** `(I + τH)⁻¹ u`. */
  proxJvp(tau: number, u: Vec, out: Vec): Vec;
  /** `g*(y)`. */
  conjValue(y: Vec): number;
  /** `∇g*(y)`. */
  conjGradient(y: Vec, out: Vec): Vec;
  /** `H⁻¹ u`. */
  conjHvp(u: Vec, out: Vec): Vec;
  /** `prox_{τg*}(v)`. */
  conjProx(v: Vec, tau: number, out: Vec): Vec;
  /** `(H + τI)⁻¹ H u`. */
  conjProxJvp(tau: number, u: Vec, out: Vec): Vec;
}

/**
 * `A = diag(d)`: with `h = d² + μ`, `c = d b` everything is elementwise
 * (docs/math/piggyback.md#prox-jacobians, masked row):
 * `prox = (v + τc)/(1 + τh)`, `g*(y) = Σ(y + c)²/(2h) − ½‖b‖²`, `∇g*(y) = (y + c)/h`,
 * `prox_{τg*}(v) = (hv − τc)/(h + τ)`.
 */
class DiagonalModel implements QuadraticModel {
  readonly mu: number;
  readonly lipschitz: number;
  readonly invertible: boolean;
  readonly cgIterations = 0;
  private readonly h: Vec;
  private readonly c: Vec;
  private readonly halfBB: number;

  constructor(
    private readonly d: Vec,
    private readonly b: Vec,
    private readonly m: number,
  ) {
    const n = d.length;
    this.h = new Float64Array(n);
    this.c = new Float64Array(n);
    let lo = Infinity;
    let hi = 0;
    let bb = 0;
    for (let i = 0; i < n; i++) {
      const h = d[i]! * d[i]! + m;
      this.h[i] = h;
      this.c[i] = d[i]! * b[i]!;
      lo = Math.min(lo, h);
      hi = Math.max(hi, h);
      bb += b[i]! * b[i]!;
    }
    this.mu = lo;
    this.lipschitz = hi;
    this.invertible = lo > 0;
    this.halfBB = 0.5 * bb;
  }

  value(x: Vec): number {
    const { d, b, m } = this;
    let s = 0;
    let q = 0;
    for (let i = 0; i < x.length; i++) {
      const r = d[i]! * x[i]! - b[i]!;
      s += r * r;
      q += x[i]! * x[i]!;
    }
    return 0.5 * s + 0.5 * m * q;
  }

  gradient(x: Vec, out: Vec): Vec {
    for (let i = 0; i < x.length; i++) out[i] = this.h[i]! * x[i]! - this.c[i]!;
    return out;
  }

  hvp(v: Vec, out: Vec): Vec {
    for (let i = 0; i < v.length; i++) out[i] = this.h[i]! * v[i]!;
    return out;
  }

  prox(v: Vec, tau: number, out: Vec): Vec {
    for (let i = 0; i < v.length; i++) out[i] = (v[i]! + tau * this.c[i]!) / (1 + tau * this.h[i]!);
    return out;
  }

  proxJvp(tau: number, u: Vec, out: Vec): Vec {
    for (let i = 0; i < u.length; i++) out[i] = u[i]! / (1 + tau * this.h[i]!);
    return out;
  }

  conjValue(y: Vec): number {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const w = y[i]! + this.c[i]!;
      s += (w * w) / this.h[i]!;
    }
    return 0.5 * s - this.halfBB;
  }

  conjGradient(y: Vec, out: Vec): Vec {
    for (let i = 0; i < y.length; i++) out[i] = (y[i]! + this.c[i]!) / this.h[i]!;
    return out;
  }

  conjHvp(u: Vec, out: Vec): Vec {
    for (let i = 0; i < u.length; i++) out[i] = u[i]! / this.h[i]!;
    return out;
  }

  conjProx(v: Vec, tau: number, out: Vec): Vec {
    for (let i = 0; i < v.length; i++) out[i] = (this.h[i]! * v[i]! - tau * this.c[i]!) / (this.h[i]! + tau);
    return out;
  }

  conjProxJvp(tau: number, u: Vec, out: Vec): Vec {
    for (let i = 0; i < u.length; i++) out[i] = (this.h[i]! * u[i]!) / (this.h[i]! + tau);
    return out;
  }
}

/**
 * A general linear `A` with `H = AᵀA + μI`, `c = Aᵀb`: `prox = (I + τH)⁻¹(v + τc)`,
 * `g*(y) = ½⟨y + c, H⁻¹(y + c)⟩ − ½‖b‖²`, `∇g*(y) = H⁻¹(y + c)`,
 * `prox_{τg*}(v) = (H + τI)⁻¹(Hv − τc)`; every inverse by conjugate gradients.
 */
class OperatorModel implements QuadraticModel {
  readonly invertible: boolean;
  private readonly c: Vec;
  private readonly range: Vec;
  private readonly rhs: Vec;
  private readonly work: Vec;
  private readonly halfBB: number;
  private readonly cg: ConjugateGradient;
  /** One CG state for every solve `(αI + βH) x = rhs` (the system and `rhs` change in place). */
  private readonly cgState: CgState;
  private sysAlpha = 1;
  private sysBeta = 1;
  private lip = NaN;

  constructor(
    private readonly A: LinearOperator,
    private readonly b: Vec,
    readonly mu: number,
    tol: number,
    maxIter: number,
  ) {
    const n = shapeSize(A.domain);
    this.c = A.adjoint(b, new Float64Array(n));
    this.range = new Float64Array(b.length);
    this.rhs = new Float64Array(n);
    this.work = new Float64Array(n);
    let bb = 0;
    for (let i = 0; i < b.length; i++) bb += b[i]! * b[i]!;
    this.halfBB = 0.5 * bb;
    this.cg = new ConjugateGradient({ rtol: tol, atol: 0, maxIterations: maxIter });
    this.cgState = this.cg.init({ A: (v, out) => this.applySystem(v, out), b: this.rhs });
    this.invertible = mu > 0;
  }

  /** `‖A‖² + μ` with `‖A‖` from `A.norm()` (estimates inflated by 1%) or a power iteration (+1%). */
  get lipschitz(): number {
    if (Number.isNaN(this.lip)) {
      const a = normBound(this.A);
      this.lip = a * a + this.mu;
    }
    return this.lip;
  }

  /** CG cost counter: iterations over all solves. */
  get cgIterations(): number {
    return this.cgState.cost.cgIterations;
  }

  /** `out = (α I + β H) v` for the current system. */
  private applySystem(v: Vec, out: Vec): Vec {
    this.A.apply(v, this.range);
    this.A.adjoint(this.range, out);
    const a = this.sysAlpha + this.sysBeta * this.mu;
    const b = this.sysBeta;
    for (let i = 0; i < out.length; i++) out[i] = a * v[i]! + b * out[i]!;
    return out;
  }

  /**
   * `x ← (αI + βH)⁻¹ this.rhs` by conjugate gradients from the guess in `x`, to the relative
   * residual `cg.tol` (no allocation); a `ConvergenceError` when CG does not get there.
   */
  private solve(alpha: number, beta: number, x: Vec, what: string): Vec {
    this.sysAlpha = alpha;
    this.sysBeta = beta;
    const state = this.cg.restart(this.cgState, x);
    const { reason, iterations } = this.cg.solve(state);
    if (reason !== 'converged') {
      const w = state.work;
      const rel = w.bNorm > 0 ? Math.sqrt(state.rr) / w.bNorm : Math.sqrt(state.rr);
      throw new ConvergenceError(
        `${what}: conjugate gradients stopped (${reason}) at relative residual ${rel.toExponential(2)} ` +
          `after ${iterations} iterations (tolerance ${this.cg.options.rtol}); raise cg.maxIter or loosen cg.tol`,
      );
    }
    x.set(state.x);
    return x;
  }

  value(x: Vec): number {
    const r = this.A.apply(x, this.range);
    let s = 0;
    for (let i = 0; i < r.length; i++) s += (r[i]! - this.b[i]!) ** 2;
    let q = 0;
    for (let i = 0; i < x.length; i++) q += x[i]! * x[i]!;
    return 0.5 * s + 0.5 * this.mu * q;
  }

  gradient(x: Vec, out: Vec): Vec {
    const r = this.A.apply(x, this.range);
    for (let i = 0; i < r.length; i++) r[i] = r[i]! - this.b[i]!;
    this.A.adjoint(r, out);
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + this.mu * x[i]!;
    return out;
  }

  hvp(v: Vec, out: Vec): Vec {
    this.sysAlpha = 0;
    this.sysBeta = 1;
    this.applySystem(v, out);
    return out;
  }

  prox(v: Vec, tau: number, out: Vec): Vec {
    const rhs = this.rhs;
    for (let i = 0; i < v.length; i++) rhs[i] = v[i]! + tau * this.c[i]!;
    if (out !== v) out.set(v);
    return this.solve(1, tau, out, 'QuadraticFidelity.prox');
  }

  proxJvp(tau: number, u: Vec, out: Vec): Vec {
    this.rhs.set(u);
    if (out !== u) out.set(u);
    return this.solve(1, tau, out, 'QuadraticFidelity.proxJvp');
  }

  conjValue(y: Vec): number {
    const w = this.rhs;
    for (let i = 0; i < y.length; i++) w[i] = y[i]! + this.c[i]!;
    const s = this.solve(0, 1, this.work.fill(0), 'QuadraticFidelity.conjugate().value');
    let q = 0;
    for (let i = 0; i < y.length; i++) q += w[i]! * s[i]!;
    return 0.5 * q - this.halfBB;
  }

  conjGradient(y: Vec, out: Vec): Vec {
    const w = this.rhs;
    for (let i = 0; i < y.length; i++) w[i] = y[i]! + this.c[i]!;
    return this.solve(0, 1, out.fill(0), 'QuadraticFidelity.conjugate().gradient');
  }

  conjHvp(u: Vec, out: Vec): Vec {
    this.rhs.set(u);
    return this.solve(0, 1, out.fill(0), 'QuadraticFidelity.conjugate().hvp');
  }

  conjProx(v: Vec, tau: number, out: Vec): Vec {
    this.hvp(v, this.rhs);
    for (let i = 0; i < v.length; i++) this.rhs[i] = this.rhs[i]! - tau * this.c[i]!;
    if (out !== v) out.set(v);
    return this.solve(tau, 1, out, 'QuadraticFidelity.conjugate().prox');
  }

  conjProxJvp(tau: number, u: Vec, out: Vec): Vec {
    this.hvp(u, this.rhs);
    if (out !== u) out.set(u);
    return this.solve(tau, 1, out, 'QuadraticFidelity.conjugate().proxJvp');
  }
}

/**
 * The quadratic data fidelity `g(x) = ½‖Ax − b‖² + (μ/2)‖x‖²` with `A` the identity (default),
 * a mask, a diagonal or a general {@link LinearOperator}.
 *
 * - gradient `Aᵀ(Ax − b) + μx`, Hessian `H = AᵀA + μI`;
 * - strong convexity: `min_i(d_i² + μ)` for diagonal `A` (1 + μ for the identity), `μ` for a
 *   general `A` (a lower bound); Lipschitz constant `max_i(d_i² + μ)`, resp. `‖A‖² + μ`;
 * - prox `(I + τH)⁻¹(v + τAᵀb)`, Jacobian `(I + τH)⁻¹` (symmetric): closed form for diagonal
 *   `A` (docs/math/piggyback.md#prox-jacobians), conjugate gradients otherwise (tolerance
 *   `cg.tol`, see {@link QuadraticFidelityOptions});
 * - conjugate `g*` (present only when `g` is strongly convex, i.e. `μ > 0` or every `d_i ≠ 0`):
 *   {@link QuadraticFidelityConjugate}, smooth with `∇g* = (∇g)⁻¹` for the dual certificate (6b)
 *   of arXiv 2412.06436.
 */
export class QuadraticFidelity implements ProxDifferentiable, TwiceSmooth, Subdifferentiable, Conjugable<QuadraticFidelityConjugate> {
  /** Shape of `x`. */
  readonly shape: Shape;
  /** How `A` is handled (closed form or conjugate gradients). */
  readonly model: QuadraticModel;
  private readonly scratch: Vec;
  private readonly description: Described<'quadratic-fidelity'>;

  constructor(options: QuadraticFidelityOptions) {
    const o = parseOptions(schema, options, 'QuadraticFidelity');
    const given = [o.mask, o.diagonal, o.operator].filter((v) => v !== undefined).length;
    ensure(given <= 1, 'QuadraticFidelity: give at most one of mask, diagonal and operator');
    this.shape = Object.freeze([...o.shape]);
    const n = shapeSize(o.shape);
    const mu = o.mu ?? 0;
    if (o.operator) {
      const A = o.operator;
      ensure(
        shapeEquals(A.domain, o.shape),
        `QuadraticFidelity operator: domain ${formatShape(A.domain)} does not match shape ${formatShape(o.shape)}`,
      );
      const b = dataArray('QuadraticFidelity data', o.data, A.range);
      this.model = new OperatorModel(A, b, mu, o.cg?.tol ?? 1e-12, o.cg?.maxIter ?? 1000);
      this.description = { kind: 'quadratic-fidelity', data: b, mu, diagonal: null, operator: true };
    } else {
      if (o.cg) throw new ValidationError('QuadraticFidelity: cg options apply only with a general operator');
      let d: Vec;
      let diagonal: Vec | null = null;
      if (o.mask) {
        d = dataArray('QuadraticFidelity mask', o.mask, o.shape);
        for (let i = 0; i < n; i++) ensure(d[i] === 0 || d[i] === 1, `QuadraticFidelity mask: entry ${i} is ${d[i]}, expected 0 or 1`);
        diagonal = d;
      } else if (o.diagonal) {
        d = dataArray('QuadraticFidelity diagonal', o.diagonal, o.shape);
        diagonal = d;
      } else {
        d = new Float64Array(n).fill(1);
      }
      const b = dataArray('QuadraticFidelity data', o.data, o.shape);
      this.model = new DiagonalModel(d, b, mu);
      this.description = { kind: 'quadratic-fidelity', data: b, mu, diagonal, operator: false };
    }
    this.scratch = new Float64Array(n);
    hideMissing(this, (key) => (key !== 'conjugate' && key !== 'hvpInverse') || this.model.invertible);
  }

  /**
   * The functional as data (`quadratic-fidelity`: its own copy of `b`, `μ`, the diagonal of a
   * mask or diagonal `A`, or `operator: true`), for the kernel registry of `@bilevel/core`.
   */
  describe(): Described<'quadratic-fidelity'> {
    return this.description;
  }

  /** Conjugate-gradient iterations spent so far (a cost counter; 0 for closed forms). */
  get cgIterations(): number {
    return this.model.cgIterations;
  }

  /** Strong convexity modulus (see the class comment). */
  get strongConvexity(): number {
    return this.model.mu;
  }

  /** Lipschitz constant of `∇g` (see the class comment). */
  get lipschitz(): number {
    return this.model.lipschitz;
  }

  /** `½‖Ax − b‖² + (μ/2)‖x‖²`. */
  value(x: Vec): number {
    return this.model.value(x);
  }

  /** `out = Aᵀ(Ax − b) + μx`. */
  gradient(x: Vec, out: Vec): Vec {
    return this.model.gradient(x, out);
  }

  /** `out = (AᵀA + μI) v`. */
  hvp(_x: Vec, v: Vec, out: Vec): Vec {
    return this.model.hvp(v, out);
  }

  /** `∇²g` is constant: its Lipschitz constant is 0 (Theorem 2 of arXiv 2412.06436). */
  readonly hessianLipschitz = 0;

  /** `out = (AᵀA + μI)⁻¹ v` (for the adjoint certificates of arXiv 2412.06436, Lemma 3). */
  hvpInverse(_x: Vec, v: Vec, out: Vec): Vec {
    if (!this.model.invertible) throw new ValidationError('QuadraticFidelity.hvpInverse: AᵀA + μI is not invertible (set mu > 0)');
    return this.model.conjHvp(v, out);
  }

  /** `out = (I + τH)⁻¹(v + τAᵀb)`; `out` may alias `v`. */
  prox(v: Vec, tau: number, out: Vec): Vec {
    return this.model.prox(v, tau, out);
  }

  /** `out = (I + τH)⁻¹ dv`; `out` may alias `dv`. */
  proxJvp(_v: Vec, tau: number, dv: Vec, out: Vec): Vec {
    return this.model.proxJvp(tau, dv, out);
  }

  /** `g` is differentiable: `out = shift + ∇g(x)`; `out` may alias `shift`. */
  minNormSubgradient(x: Vec, shift: Vec, out: Vec): Vec {
    const g = this.model.gradient(x, this.scratch);
    for (let i = 0; i < x.length; i++) out[i] = shift[i]! + g[i]!;
    return out;
  }

  /** The smooth conjugate `g*` ({@link QuadraticFidelityConjugate}); absent unless `g` is strongly convex. */
  conjugate(): QuadraticFidelityConjugate {
    return new QuadraticFidelityConjugate(this);
  }
}

/**
 * `g*(y) = ½⟨y + Aᵀb, H⁻¹(y + Aᵀb)⟩ − ½‖b‖²` with `H = AᵀA + μI`, the conjugate of a strongly
 * convex {@link QuadraticFidelity}: smooth with `∇g*(y) = H⁻¹(y + Aᵀb) = (∇g)⁻¹(y)` (the map the
 * dual certificate (6b) of arXiv 2412.06436 needs; elementwise `(y + db)/(d² + μ)` for diagonal
 * `A`), Hessian `H⁻¹`, strong convexity `1/L_g`, Lipschitz constant `1/μ_g`;
 * prox `(H + τI)⁻¹(Hv − τAᵀb)`, Jacobian `(H + τI)⁻¹H`. `conjugate()` returns `g`.
 */
export class QuadraticFidelityConjugate implements ProxDifferentiable, TwiceSmooth, Subdifferentiable, Conjugable<QuadraticFidelity> {
  /** Shape of `y`. */
  readonly shape: Shape;
  private readonly scratchArray: Vec;

  constructor(readonly primal: QuadraticFidelity) {
    if (!primal.model.invertible) {
      throw new ValidationError('QuadraticFidelity.conjugate(): g is not strongly convex, so g* is not smooth; set mu > 0');
    }
    this.shape = primal.shape;
    this.scratchArray = new Float64Array(shapeSize(primal.shape));
  }

  /** `1/L_g`. */
  get strongConvexity(): number {
    return 1 / this.primal.lipschitz;
  }

  /** `1/μ_g`. */
  /** `∇²g* = H⁻¹` is constant: its Lipschitz constant is 0 (`L_{∇²g*}` of arXiv 2412.06436, Thm. 2). */
  readonly hessianLipschitz = 0;

  get lipschitz(): number {
    return 1 / this.primal.strongConvexity;
  }

  /** `g*(y)`. */
  value(y: Vec): number {
    return this.primal.model.conjValue(y);
  }

  /** `out = ∇g*(y) = H⁻¹(y + Aᵀb)`. */
  gradient(y: Vec, out: Vec): Vec {
    return this.primal.model.conjGradient(y, out);
  }

  /** `out = H⁻¹ v`. */
  hvp(_y: Vec, v: Vec, out: Vec): Vec {
    return this.primal.model.conjHvp(v, out);
  }

  /** `out = (H + τI)⁻¹(Hv − τAᵀb)`; `out` may alias `v`. */
  prox(v: Vec, tau: number, out: Vec): Vec {
    return this.primal.model.conjProx(v, tau, out);
  }

  /** `out = (H + τI)⁻¹ H dv`; `out` may alias `dv`. */
  proxJvp(_v: Vec, tau: number, dv: Vec, out: Vec): Vec {
    return this.primal.model.conjProxJvp(tau, dv, out);
  }

  /** `out = shift + ∇g*(y)`; `out` may alias `shift`. */
  minNormSubgradient(y: Vec, shift: Vec, out: Vec): Vec {
    const g = this.primal.model.conjGradient(y, this.scratchArray);
    for (let i = 0; i < y.length; i++) out[i] = shift[i]! + g[i]!;
    return out;
  }

  /** `g** = g`. */
  conjugate(): QuadraticFidelity {
    return this.primal;
  }
}
