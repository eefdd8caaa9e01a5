/**
 * The last layer of the ICNN, `f(q) = Σ_j a_j h_ω(q_j + b_j)` (a nonnegative combination of
 * smoothed ReLUs), and its conjugate, a box plus a quadratic: the dual block of PDHG for the
 * hidden units (docs/math/icnn.md#dual-blocks).
 * @module
 */
import { shapeSize, type Shape, type Vec } from '@bilevel/core';
import type { Conjugable, HessianInvertible, ProxDifferentiable, Subdifferentiable, TwiceSmooth } from '@bilevel/core';
import { FEASIBILITY_RTOL } from '../groups.js';
import { blockValues, checkShape, positiveBlockValues, positiveOption } from '@bilevel/core';

/** Options of {@link SmoothReluSum} and {@link SmoothReluSumConjugate}. */
export interface SmoothReluSumOptions {
  /** Shape of the argument (the hidden units, e.g. `[M]`). */
  readonly shape: Shape;
  /** Smoothing `ω > 0` of the ReLU (default 0.01). */
  readonly smoothing?: number;
  /** Weights `a_j > 0`: one value or one per block of consecutive entries (default 1). */
  readonly weight?: number | ArrayLike<number>;
  /** Biases `b_j`: one value or one per block (default 0). */
  readonly bias?: number | ArrayLike<number>;
}

abstract class ReluLayerBase {
  readonly shape: Shape;
  /** `ω`. */
  readonly smoothing: number;
  /** `a` per block. */
  readonly weight: Float64Array;
  /** `b` per block. */
  readonly bias: Float64Array;
  protected readonly n: number;
  protected readonly wBlock: number;
  protected readonly bBlock: number;

  protected constructor(what: string, o: SmoothReluSumOptions) {
    this.shape = checkShape(what, o.shape);
    this.n = shapeSize(this.shape);
    this.smoothing = positiveOption(`${what} smoothing`, o.smoothing ?? 0.01);
    this.weight = positiveBlockValues(`${what} weight`, o.weight ?? 1, this.n);
    this.bias = blockValues(`${what} bias`, o.bias ?? 0, this.n);
    this.wBlock = this.n / this.weight.length;
    this.bBlock = this.n / this.bias.length;
  }

  protected options(): SmoothReluSumOptions {
    return { shape: this.shape, smoothing: this.smoothing, weight: this.weight, bias: this.bias };
  }

  protected maxWeight(): number {
    let m = 0;
    for (const a of this.weight) m = Math.max(m, a);
    return m;
  }
}

/**
 * `f(q) = Σ_j a_j h_ω(q_j + b_j)` with the smoothed ReLU `h_ω` (`0`, `s²/(2ω)`, `s − ω/2`):
 * convex, nondecreasing, smooth with `∇f = a h_ω'(q + b)`, Lipschitz constant `max a_j/ω`.
 *
 * Prox: with `s = v + b`, `λ = τa`: `s` (`s ≤ 0`), `s/(1 + λ/ω)` (`0 < s < ω + λ`), `s − λ`
 * (else), minus `b`; Jacobian `1`, `1/(1 + λ/ω)`, `1`. Conjugate: {@link SmoothReluSumConjugate}.
 */
export class SmoothReluSum extends ReluLayerBase implements ProxDifferentiable, TwiceSmooth, Subdifferentiable, Conjugable<SmoothReluSumConjugate> {
  /** 0. */
  readonly strongConvexity = 0;
  /** `∇²f` jumps at `s = 0, ω`: not Lipschitz. */
  readonly hessianLipschitz = Infinity;

  constructor(options: SmoothReluSumOptions) {
    super('SmoothReluSum', options);
  }

  /** `max_j a_j/ω`. */
  get lipschitz(): number {
    return this.maxWeight() / this.smoothing;
  }

  /** `Σ a_j h_ω(q_j + b_j)`. */
  value(q: Vec): number {
    const om = this.smoothing;
    let s = 0;
    for (let j = 0; j < this.n; j++) {
      const u = q[j]! + this.bias[(j / this.bBlock) | 0]!;
      if (u > 0) s += this.weight[(j / this.wBlock) | 0]! * (u >= om ? u - 0.5 * om : (u * u) / (2 * om));
    }
    return s;
  }

  /** Closed-form prox (class comment); `out` may alias `v`. */
  prox(v: Vec, tau: number, out: Vec): Vec {
    const om = this.smoothing;
    for (let j = 0; j < this.n; j++) {
      const b = this.bias[(j / this.bBlock) | 0]!;
      const lam = tau * this.weight[(j / this.wBlock) | 0]!;
      const s = v[j]! + b;
      out[j] = (s <= 0 ? s : s < om + lam ? s / (1 + lam / om) : s - lam) - b;
    }
    return out;
  }

  /** `1`, `1/(1 + τa/ω)` or `1`; `out` may alias `dv`. */
  proxJvp(v: Vec, tau: number, dv: Vec, out: Vec): Vec {
    const om = this.smoothing;
    for (let j = 0; j < this.n; j++) {
      const lam = tau * this.weight[(j / this.wBlock) | 0]!;
      const s = v[j]! + this.bias[(j / this.bBlock) | 0]!;
      out[j] = s > 0 && s < om + lam ? dv[j]! / (1 + lam / om) : dv[j]!;
    }
    return out;
  }

  /** `a h_ω'(q + b)`. */
  gradient(q: Vec, out: Vec): Vec {
    const om = this.smoothing;
    for (let j = 0; j < this.n; j++) {
      const u = q[j]! + this.bias[(j / this.bBlock) | 0]!;
      out[j] = this.weight[(j / this.wBlock) | 0]! * (u <= 0 ? 0 : u >= om ? 1 : u / om);
    }
    return out;
  }

  /** `a h_ω''(q + b) v`. */
  hvp(q: Vec, v: Vec, out: Vec): Vec {
    const om = this.smoothing;
    for (let j = 0; j < this.n; j++) {
      const u = q[j]! + this.bias[(j / this.bBlock) | 0]!;
      out[j] = u > 0 && u < om ? (this.weight[(j / this.wBlock) | 0]! / om) * v[j]! : 0;
    }
    return out;
  }

  /** `shift + ∇f(q)`; `out` may alias `shift`. */
  minNormSubgradient(q: Vec, shift: Vec, out: Vec): Vec {
    const om = this.smoothing;
    for (let j = 0; j < this.n; j++) {
      const u = q[j]! + this.bias[(j / this.bBlock) | 0]!;
      out[j] = shift[j]! + this.weight[(j / this.wBlock) | 0]! * (u <= 0 ? 0 : u >= om ? 1 : u / om);
    }
    return out;
  }

  /** {@link SmoothReluSumConjugate} with the same parameters. */
  conjugate(): SmoothReluSumConjugate {
    return new SmoothReluSumConjugate(this.options());
  }
}

/**
 * `f*(y) = Σ_j ω y_j²/(2a_j) − b_j y_j + ι_[0, a_j](y_j)`, the conjugate of {@link SmoothReluSum}
 * (since `(a h_ω(· + b))*(y) = a h_ω*(y/a) − by` and `h_ω* = (ω/2)y² + ι_[0,1]`): strongly convex
 * with modulus `min_j ω/a_j` — the reason the ICNN's last activation is smoothed.
 *
 * Prox (docs/math/icnn.md#prox-maps-and-jacobians): `clip(a(w + σb)/(a + σω), 0, a)`; Jacobian `a/(a + σω)` where
 * not clipped, else 0. Generalised Hessian `ω/a` on `0 < y < a`, 0 at the bounds (the constraint
 * fixes them); inverse `a/ω`, resp. 0. Min-norm subgradient of `shift + ∂f*`: `r = shift +
 * ωy/a − b` inside, `min(r, 0)` at `y = 0`, `max(r, 0)` at `y = a` (bounds within a relative
 * `1e-12`), `+∞` outside `[0, a]`.
 */
export class SmoothReluSumConjugate
  extends ReluLayerBase
  implements ProxDifferentiable, HessianInvertible, Subdifferentiable, Conjugable<SmoothReluSum>
{
  constructor(options: SmoothReluSumOptions) {
    super('SmoothReluSumConjugate', options);
  }

  /** `min_j ω/a_j`. */
  get strongConvexity(): number {
    return this.smoothing / this.maxWeight();
  }

  /** `-1` below, `0` inside, `1` at the upper bound, `2` above (within tolerance). */
  private where(y: number, a: number): number {
    const tol = FEASIBILITY_RTOL * a;
    if (y < -tol || y > a + tol) return 2;
    if (y <= tol) return -1;
    if (y >= a - tol) return 1;
    return 0;
  }

  /** `Σ ω y²/(2a) − b y` on the box (within `1e-12` relative), else `+∞`. */
  value(y: Vec): number {
    let s = 0;
    for (let j = 0; j < this.n; j++) {
      const a = this.weight[(j / this.wBlock) | 0]!;
      const v = y[j]!;
      if (this.where(v, a) === 2) return Infinity;
      s += (this.smoothing * v * v) / (2 * a) - this.bias[(j / this.bBlock) | 0]! * v;
    }
    return s;
  }

  /** `clip(a(w + σb)/(a + σω), 0, a)`; `out` may alias `w`. */
  prox(w: Vec, sigma: number, out: Vec): Vec {
    for (let j = 0; j < this.n; j++) {
      const a = this.weight[(j / this.wBlock) | 0]!;
      const r = (a * (w[j]! + sigma * this.bias[(j / this.bBlock) | 0]!)) / (a + sigma * this.smoothing);
      out[j] = r <= 0 ? 0 : r >= a ? a : r;
    }
    return out;
  }

  /** `a/(a + σω)` where not clipped, else 0; `out` may alias `dw`. */
  proxJvp(w: Vec, sigma: number, dw: Vec, out: Vec): Vec {
    for (let j = 0; j < this.n; j++) {
      const a = this.weight[(j / this.wBlock) | 0]!;
      const c = a / (a + sigma * this.smoothing);
      const r = c * (w[j]! + sigma * this.bias[(j / this.bBlock) | 0]!);
      out[j] = r > 0 && r < a ? c * dw[j]! : 0;
    }
    return out;
  }

  /** `ω/a · v` inside the box, 0 at its bounds. */
  hvp(y: Vec, v: Vec, out: Vec): Vec {
    for (let j = 0; j < this.n; j++) {
      const a = this.weight[(j / this.wBlock) | 0]!;
      out[j] = this.where(y[j]!, a) === 0 ? (this.smoothing / a) * v[j]! : 0;
    }
    return out;
  }

  /** `a/ω · v` inside the box, 0 at its bounds. */
  hvpInverse(y: Vec, v: Vec, out: Vec): Vec {
    for (let j = 0; j < this.n; j++) {
      const a = this.weight[(j / this.wBlock) | 0]!;
      out[j] = this.where(y[j]!, a) === 0 ? (a / this.smoothing) * v[j]! : 0;
    }
    return out;
  }

  /** Min-norm element of `shift + ∂f*(y)` (class comment); `out` may alias `shift`. */
  minNormSubgradient(y: Vec, shift: Vec, out: Vec): Vec {
    for (let j = 0; j < this.n; j++) {
      const a = this.weight[(j / this.wBlock) | 0]!;
      const v = y[j]!;
      const r = shift[j]! + (this.smoothing * v) / a - this.bias[(j / this.bBlock) | 0]!;
      const w = this.where(v, a);
      out[j] = w === 0 ? r : w === -1 ? Math.min(r, 0) : w === 1 ? Math.max(r, 0) : Infinity;
    }
    return out;
  }

  /** {@link SmoothReluSum} with the same parameters. */
  conjugate(): SmoothReluSum {
    return new SmoothReluSum(this.options());
  }
}
