/**
 * The epigraph constraint of the ICNN's first layer and its conjugate: the dual block of PDHG
 * for `z ≥ σ(W₀x + b₀)` (docs/math/icnn.md#dual-blocks, docs/math/icnn.md#projection-onto-the-epigraph).
 *
 * Both act on pairs: a vector of shape `[2, …]` with `n = 2N` entries holds the pairs
 * `(q_i, r_i) = (v[i], v[N + i])`, `i < N`, the first entry the pre-activation (`W₀x`), the second
 * the auxiliary variable (`z`). A bias `b` (one value, or one per block of consecutive pairs, e.g.
 * per filter) shifts the pre-activation.
 * @module
 */
import { formatShape, shapeSize, type Shape, type Vec } from '@bilevel/core';
import type { Conjugable, HessianInvertible, ProxDifferentiable, Subdifferentiable, TwiceSmooth } from '@bilevel/core';
import { hideMissing } from '../capabilities.js';
import { FEASIBILITY_RTOL } from '../groups.js';
import { ensure } from '@bilevel/core';
import { EpiPiece, LeakyEpigraph } from './activations.js';
import { blockValues, checkShape, checkSlope, nonNegativeOption } from '@bilevel/core';

/** Options shared by {@link LeakyReluEpigraph} and {@link LeakyReluEpigraphConjugate}. */
export interface LeakyReluEpigraphOptions {
  /** Shape of the argument: `2N` entries (e.g. `[2, F, H, W]`: pre-activations, then `z`). */
  readonly shape: Shape;
  /** Slope `a ∈ [0, 1)` of the leaky ReLU for negative arguments (default 0.2). */
  readonly slope?: number;
  /** Smoothing `ω ≥ 0` of the leaky ReLU (default 0: the non-smoothed one). */
  readonly smoothing?: number;
  /** Bias `b` of the pre-activation: one value or one per block of consecutive pairs (default 0). */
  readonly bias?: number | ArrayLike<number>;
  /**
   * Moreau smoothing `ε ≥ 0` of the constraint (default 0, the indicator): `f = dist²(·, C)/(2ε)`,
   * whose conjugate gains `(ε/2)‖y‖²`, i.e. becomes `ε`-strongly convex.
   */
  readonly epsilon?: number;
}

/** Pair classification of a dual point (see {@link LeakyReluEpigraphConjugate}). */
const ZERO = 0;
const LOWER = 1;
const UPPER = 2;
const INTERIOR = 3;
const INFEASIBLE = -1;

/** Shared layout, parameters and projection kernel. */
abstract class EpigraphBase {
  /** Shape of the argument. */
  readonly shape: Shape;
  /** Number of pairs `N`. */
  readonly pairs: number;
  /** Slope `a`. */
  readonly slope: number;
  /** Smoothing `ω`. */
  readonly smoothing: number;
  /** Moreau smoothing `ε` of the constraint. */
  readonly epsilon: number;
  /** Bias per block (`bias.length` blocks of `pairs/bias.length` pairs). */
  readonly bias: Float64Array;
  /** The projection kernel. */
  readonly epi: LeakyEpigraph;
  /** Pairs per bias block. */
  protected readonly perBlock: number;
  /** Projection result slots `[s, t, J11, J12, J22]`. */
  protected readonly slot = new Float64Array(5);

  protected constructor(what: string, o: LeakyReluEpigraphOptions) {
    this.shape = checkShape(what, o.shape);
    const n = shapeSize(this.shape);
    ensure(n % 2 === 0 && n > 0, `${what}: shape ${formatShape(this.shape)} must have an even number of entries (pairs (q, z))`);
    this.pairs = n / 2;
    this.slope = checkSlope(`${what} slope`, o.slope ?? 0.2);
    this.smoothing = nonNegativeOption(`${what} smoothing`, o.smoothing ?? 0);
    this.epsilon = nonNegativeOption(`${what} epsilon`, o.epsilon ?? 0);
    this.bias = blockValues(`${what} bias`, o.bias ?? 0, this.pairs);
    this.perBlock = this.pairs / this.bias.length;
    this.epi = new LeakyEpigraph(this.slope, this.smoothing);
  }

  /**
   * `out = α·d + β·J_Π(u)·d` per pair, with `J_Π(u)` the Jacobian of the projection onto the
   * epigraph at `u = (s·v₁ + b, s·v₂)`: the form of every prox Jacobian and Hessian of this
   * layer and its conjugate. `out` may alias `d`.
   */
  protected projectionJacobianCombination(v: Vec, s: number, alpha: number, beta: number, d: Vec, out: Vec): Vec {
    const N = this.pairs;
    const { epi, bias, perBlock, slot } = this;
    for (let i = 0; i < N; i++) {
      epi.project(v[i]! * s + bias[(i / perBlock) | 0]!, v[N + i]! * s, slot);
      const d1 = d[i]!;
      const d2 = d[N + i]!;
      out[i] = alpha * d1 + beta * (slot[2]! * d1 + slot[3]! * d2);
      out[N + i] = alpha * d2 + beta * (slot[3]! * d1 + slot[4]! * d2);
    }
    return out;
  }

  /** The options that rebuild this layout (for the conjugate). */
  protected options(): LeakyReluEpigraphOptions {
    return { shape: this.shape, slope: this.slope, smoothing: this.smoothing, bias: this.bias, epsilon: this.epsilon };
  }
}

/**
 * `f(q, r) = Σ_i ι_C(q_i + b_i, r_i)` (`ε = 0`) or `Σ_i dist²((q_i + b_i, r_i), C)/(2ε)` (`ε > 0`,
 * its Moreau envelope), with `C = {(s, t) : t ≥ σ(s)}` the epigraph of the (smoothed) leaky ReLU
 * (`σ`, projection and Jacobian: {@link LeakyEpigraph}). This is the potential of the ICNN's
 * epigraph block: `f(W₀x, z)` is the constraint `z ≥ σ(W₀x + b)`.
 *
 * - prox (`ε = 0`): `Π_C(v₁ + b, v₂) − (b, 0)`, Jacobian `J_Π`; (`ε > 0`, with `u = (v₁ + b, v₂)`,
 *   `θ = τ/(ε + τ)`): `u + θ(Π_C(u) − u) − (b, 0)`, Jacobian `(1 − θ)I + θJ_Π` (Beck, *First-Order
 *   Methods*, Ex. 6.65);
 * - `ε > 0` only: gradient `(u − Π_C(u))/ε`, Hessian `(I − J_Π)/ε` (piecewise constant between the
 *   pieces, so `∇²f` is not Lipschitz), Lipschitz constant `1/ε`;
 * - conjugate: {@link LeakyReluEpigraphConjugate}. Not strongly convex.
 *
 * Indicator values accept points within `1e-12` (relative) of `C`.
 */
export class LeakyReluEpigraph extends EpigraphBase implements ProxDifferentiable, TwiceSmooth, Subdifferentiable, Conjugable<LeakyReluEpigraphConjugate> {
  /** 0: no strong convexity. */
  readonly strongConvexity = 0;

  constructor(options: LeakyReluEpigraphOptions) {
    super('LeakyReluEpigraph', options);
    const smooth = this.epsilon > 0;
    hideMissing(this, (key) => (key === 'gradient' || key === 'hvp' || key === 'minNormSubgradient' ? smooth : key === 'prox' || key === 'proxJvp' || key === 'conjugate'));
  }

  /** `1/ε` (`Infinity` for the indicator). */
  get lipschitz(): number {
    return this.epsilon > 0 ? 1 / this.epsilon : Infinity;
  }

  /** `Σ ι_C` (`ε = 0`) or `Σ dist²/(2ε)`. */
  value(v: Vec): number {
    const N = this.pairs;
    const { epi, bias, perBlock, slot } = this;
    let total = 0;
    for (let i = 0; i < N; i++) {
      const b = bias[(i / perBlock) | 0]!;
      const p = v[i]! + b;
      const t = v[N + i]!;
      if (this.epsilon > 0) {
        epi.project(p, t, slot);
        total += ((p - slot[0]!) ** 2 + (t - slot[1]!) ** 2) / (2 * this.epsilon);
      } else if (t < epi.sigma(p) - FEASIBILITY_RTOL * (Math.abs(p) + Math.abs(t) + Math.abs(b))) {
        return Infinity;
      }
    }
    return total;
  }

  /** See the class comment; `out` may alias `v`. */
  prox(v: Vec, tau: number, out: Vec): Vec {
    const N = this.pairs;
    const { epi, bias, perBlock, slot } = this;
    const theta = this.epsilon > 0 ? tau / (this.epsilon + tau) : 1;
    for (let i = 0; i < N; i++) {
      const b = bias[(i / perBlock) | 0]!;
      const p = v[i]! + b;
      const t = v[N + i]!;
      epi.project(p, t, slot);
      out[i] = p + theta * (slot[0]! - p) - b;
      out[N + i] = t + theta * (slot[1]! - t);
    }
    return out;
  }

  /** `J_Π dv` (`ε = 0`) or `(1 − θ)dv + θJ_Π dv`; `out` may alias `dv`. */
  proxJvp(v: Vec, tau: number, dv: Vec, out: Vec): Vec {
    const theta = this.epsilon > 0 ? tau / (this.epsilon + tau) : 1;
    return this.projectionJacobianCombination(v, 1, 1 - theta, theta, dv, out);
  }

  /** `(u − Π_C(u))/ε` (`ε > 0` only). */
  gradient(v: Vec, out: Vec): Vec {
    return this.shiftedGradient(v, undefined, out);
  }

  /** `shift + (u − Π_C(u))/ε` (no shift: the gradient); `out` may alias `shift`. */
  private shiftedGradient(v: Vec, shift: Vec | undefined, out: Vec): Vec {
    const N = this.pairs;
    const { epi, bias, perBlock, slot } = this;
    const s = 1 / this.epsilon;
    for (let i = 0; i < N; i++) {
      const p = v[i]! + bias[(i / perBlock) | 0]!;
      const t = v[N + i]!;
      epi.project(p, t, slot);
      out[i] = (shift ? shift[i]! : 0) + s * (p - slot[0]!);
      out[N + i] = (shift ? shift[N + i]! : 0) + s * (t - slot[1]!);
    }
    return out;
  }

  /** `(I − J_Π(u)) w/ε` (`ε > 0` only). */
  hvp(v: Vec, w: Vec, out: Vec): Vec {
    const s = 1 / this.epsilon;
    return this.projectionJacobianCombination(v, 1, s, -s, w, out);
  }

  /** `shift + ∇f(v)` (`ε > 0` only); `out` may alias `shift`. */
  minNormSubgradient(v: Vec, shift: Vec, out: Vec): Vec {
    return this.shiftedGradient(v, shift, out);
  }

  /** {@link LeakyReluEpigraphConjugate} with the same parameters. */
  conjugate(): LeakyReluEpigraphConjugate {
    return new LeakyReluEpigraphConjugate(this.options());
  }
}

/**
 * The conjugate of {@link LeakyReluEpigraph}, the ICNN's epigraph dual block:
 * ```
 * f*(y₁, y₂) = Σ_i (−y₂ᵢ)·σ*(y₁ᵢ/(−y₂ᵢ)) − b_i y₁ᵢ + (ε/2)(y₁ᵢ² + y₂ᵢ²)
 *            + ι{y₂ᵢ ≤ 0, a(−y₂ᵢ) ≤ y₁ᵢ ≤ −y₂ᵢ}
 * ```
 * the support function of the epigraph `C` (the perspective of `σ*(p) = (p − a)²/(2k) + ι_[a,1]`,
 * `k = (1 − a)/ω`; for `ω = 0` the indicator of the cone polar to `C`), shifted by the bias and
 * `ε`-strongly convex when `ε > 0` (not strongly convex, not smooth at `ε = 0`).
 *
 * **Prox** (Moreau; docs/math/icnn.md#dual-blocks): with `u = (w₁/σ + b, w₂/σ)`,
 * `prox_{σf*}(w) = σ(u − Π_C(u))/(1 + σε)`, computed as `σλ(m, −1)/(1 + σε)` from the residual
 * `u − Π_C(u) = λ(σ'(s), −1)` of each piece (exactly 0 inside `C`), so that points on the rays of the
 * cone are exactly proportional to `(a, −1)` or `(1, −1)`. **Jacobian** `(I − J_Π(u))/(1 + σε)`:
 * `0` (inside: the constraint is inactive), `ννᵀ/(1 + σε)` on the lines (`ν ∝ (m, −1)` the normal,
 * `m = a` or `1`), `I/(1 + σε)` at the kink, `(I − [1 d; d d²]/φ')/(1 + σε)` on the curved piece.
 *
 * **Generalised Hessian** (for the Lemma-3 certificates of arXiv 2412.06436; directions the
 * constraint fixes get 0 in `hvp` and `hvpInverse`), from `y` alone, with `t = −y₂`, `p = y₁/t`:
 * `y = 0`: everything fixed (0); on a ray `p = a` or `p = 1`: `ε ννᵀ` (only the radial
 * direction `ν` is free, along which the perspective is linear); interior `a < p < 1`:
 * `εI + (1/(k t)) e eᵀ`, `e = (1, p)` (the perspective's curvature; `εI` when `ω = 0`), inverted
 * by Sherman–Morrison. `hvpInverse` exists only for `ε > 0`.
 *
 * **Min-norm subgradient** of `shift + ∂f*(y)`: `∂f*(y) = εy − (b, 0) + F(y)` with `F(y)` the face of
 * `C` exposed by `y`: all of `C` at `y = 0`, the left piece `{(s, as) : s ≤ 0}` on the ray `p = a`,
 * the right piece `{(s, s − c) : s ≥ ω}` on `p = 1`, the point `(s, σ(s))` with `σ'(s) = p` inside
 * (the kink `(0, 0)` when `ω = 0`); the result is `r + Π_F(−r)`, `r = shift + εy − (b, 0)`.
 * Points within a relative `1e-12` of a ray count as on it. `+∞` on infeasible pairs.
 *
 * Flagged `derivedByMoreau` (its prox comes from the projection onto `C`); the prox is checked
 * against the closed-form value above.
 */
export class LeakyReluEpigraphConjugate
  extends EpigraphBase
  implements ProxDifferentiable, HessianInvertible, Subdifferentiable, Conjugable<LeakyReluEpigraph>
{
  /** Its prox is derived from the projection onto the epigraph (Moreau identity). */
  readonly derivedByMoreau = true;

  constructor(options: LeakyReluEpigraphOptions) {
    super('LeakyReluEpigraphConjugate', options);
    const strong = this.epsilon > 0;
    hideMissing(this, (key) =>
      key === 'hvpInverse' ? strong : key === 'prox' || key === 'proxJvp' || key === 'hvp' || key === 'minNormSubgradient' || key === 'conjugate',
    );
  }

  /** `ε` (0 for the plain epigraph indicator's conjugate). */
  get strongConvexity(): number {
    return this.epsilon;
  }

  /** Classify pair `(y₁, y₂)`: zero, on a ray, interior or infeasible. */
  private classify(y1: number, y2: number): number {
    const scale = Math.abs(y1) + Math.abs(y2);
    if (scale === 0) return ZERO;
    const tol = FEASIBILITY_RTOL * scale;
    const t = -y2;
    if (t < -tol || y1 < this.slope * t - tol || y1 > t + tol) return INFEASIBLE;
    if (Math.abs(y1 - this.slope * t) <= tol) return LOWER;
    if (Math.abs(y1 - t) <= tol) return UPPER;
    return INTERIOR;
  }

  /** The closed form of the class comment (`+∞` outside the cone). */
  value(y: Vec): number {
    const N = this.pairs;
    const { bias, perBlock, epi } = this;
    let total = 0;
    let sq = 0;
    for (let i = 0; i < N; i++) {
      const y1 = y[i]!;
      const y2 = y[N + i]!;
      if (this.classify(y1, y2) === INFEASIBLE) return Infinity;
      const t = Math.max(-y2, 0);
      if (t > 0) total += t * epi.conjugate(y1 / t);
      total -= bias[(i / perBlock) | 0]! * y1;
      sq += y1 * y1 + y2 * y2;
    }
    return total + 0.5 * this.epsilon * sq;
  }

  /** `σλ(m, −1)/(1 + σε)` per pair (see the class comment); `out` may alias `w`. */
  prox(w: Vec, sigma: number, out: Vec): Vec {
    const N = this.pairs;
    const { epi, bias, perBlock, slot } = this;
    const a = this.slope;
    const kappa = sigma / (1 + sigma * this.epsilon);
    const inv = 1 / sigma;
    const na = 1 / (1 + a * a);
    for (let i = 0; i < N; i++) {
      const p = w[i]! * inv + bias[(i / perBlock) | 0]!;
      const t = w[N + i]! * inv;
      const piece = epi.project(p, t, slot);
      // residual u − Π(u) = λ(m, −1), λ ≥ 0, m = σ'(s) on the piece (computed without cancellation)
      let lambda: number;
      let m: number;
      if (piece === EpiPiece.Inside) {
        out[i] = 0;
        out[N + i] = 0;
        continue;
      } else if (piece === EpiPiece.Left) {
        lambda = (a * p - t) * na;
        m = a;
      } else if (piece === EpiPiece.Right) {
        lambda = 0.5 * (p - t - epi.c);
        m = 1;
      } else if (piece === EpiPiece.Curved) {
        lambda = slot[1]! - t;
        m = epi.sigmaPrime(slot[0]!);
      } else {
        // kink (0, 0): the residual is u itself
        out[i] = kappa * p;
        out[N + i] = kappa * t;
        continue;
      }
      out[i] = kappa * lambda * m;
      out[N + i] = -kappa * lambda;
    }
    return out;
  }

  /** `(I − J_Π(u)) dw/(1 + σε)`; `out` may alias `dw`. */
  proxJvp(w: Vec, sigma: number, dw: Vec, out: Vec): Vec {
    const c = 1 / (1 + sigma * this.epsilon);
    return this.projectionJacobianCombination(w, 1 / sigma, c, -c, dw, out);
  }

  /** Generalised Hessian (see the class comment). */
  hvp(y: Vec, v: Vec, out: Vec): Vec {
    return this.hessian(y, v, out, false);
  }

  /** Generalised inverse of the Hessian (`ε > 0` only; see the class comment). */
  hvpInverse(y: Vec, v: Vec, out: Vec): Vec {
    return this.hessian(y, v, out, true);
  }

  private hessian(y: Vec, v: Vec, out: Vec, inverse: boolean): Vec {
    const N = this.pairs;
    const eps = this.epsilon;
    const a = this.slope;
    const na = 1 / (1 + a * a);
    const k = this.epi.k;
    for (let i = 0; i < N; i++) {
      const y1 = y[i]!;
      const y2 = y[N + i]!;
      const v1 = v[i]!;
      const v2 = v[N + i]!;
      const cls = this.classify(y1, y2);
      if (cls === ZERO) {
        out[i] = 0;
        out[N + i] = 0;
      } else if (cls === LOWER || cls === UPPER) {
        // ν = (m, −1)/√(1 + m²): H = ε ννᵀ, H⁻¹ = ννᵀ/ε
        const m = cls === LOWER ? a : 1;
        const nn = cls === LOWER ? na : 0.5;
        const f = (inverse ? 1 / eps : eps) * nn * (m * v1 - v2);
        out[i] = f * m;
        out[N + i] = -f;
      } else if (cls === INTERIOR) {
        const t = -y2;
        const p = y1 / t;
        const beta = k === Infinity ? 0 : 1 / (k * t);
        const ev = v1 + p * v2;
        if (inverse) {
          const g = beta / (eps + beta * (1 + p * p));
          out[i] = (v1 - g * ev) / eps;
          out[N + i] = (v2 - g * p * ev) / eps;
        } else {
          out[i] = eps * v1 + beta * ev;
          out[N + i] = eps * v2 + beta * p * ev;
        }
      } else {
        out[i] = NaN;
        out[N + i] = NaN;
      }
    }
    return out;
  }

  /** Min-norm element of `shift + ∂f*(y)` (see the class comment); `out` may alias `shift`. */
  minNormSubgradient(y: Vec, shift: Vec, out: Vec): Vec {
    const N = this.pairs;
    const { bias, perBlock, epi, slot } = this;
    const eps = this.epsilon;
    const a = this.slope;
    const om = this.smoothing;
    for (let i = 0; i < N; i++) {
      const y1 = y[i]!;
      const y2 = y[N + i]!;
      const r1 = shift[i]! + eps * y1 - bias[(i / perBlock) | 0]!;
      const r2 = shift[N + i]! + eps * y2;
      const cls = this.classify(y1, y2);
      let q1: number;
      let q2: number;
      if (cls === ZERO) {
        epi.project(-r1, -r2, slot);
        q1 = slot[0]!;
        q2 = slot[1]!;
      } else if (cls === LOWER) {
        // ray {τ(−1, −a) : τ ≥ 0}
        const tau = Math.max(0, r1 + a * r2) / (1 + a * a);
        q1 = -tau;
        q2 = -a * tau;
      } else if (cls === UPPER) {
        // ray {(ω, ω − c) + τ(1, 1) : τ ≥ 0}
        const c = epi.c;
        const tau = Math.max(0, (-r1 - om + (-r2 - (om - c))) / 2);
        q1 = om + tau;
        q2 = om - c + tau;
      } else if (cls === INTERIOR) {
        if (om > 0) {
          const s = (y1 / -y2 - a) / epi.k;
          q1 = s;
          q2 = epi.sigma(s);
        } else {
          q1 = 0;
          q2 = 0;
        }
      } else {
        out[i] = Infinity;
        out[N + i] = Infinity;
        continue;
      }
      out[i] = r1 + q1;
      out[N + i] = r2 + q2;
    }
    return out;
  }

  /** {@link LeakyReluEpigraph} with the same parameters. */
  conjugate(): LeakyReluEpigraph {
    return new LeakyReluEpigraph(this.options());
  }
}
