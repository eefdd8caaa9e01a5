/**
 * The scalar activations of the input-convex network (ICNN) and the projection onto the epigraph
 * of the (smoothed) leaky ReLU with its Jacobian — the kernels of the ICNN saddle form
 * (docs/math/icnn.md#projection-onto-the-epigraph; Wong's `proj_epi`/`cubic` in
 * `hsw43/icnn_primal_dual`, `solver.py`).
 *
 * - smoothed ReLU (Huber-like), `ω ≥ 0`:
 *   `h_ω(s) = 0` (`s ≤ 0`), `s²/(2ω)` (`0 < s < ω`), `s − ω/2` (`s ≥ ω`); `h_0 = max(0, ·)`.
 *   Convex, nondecreasing, `C¹` for `ω > 0` with `h' = clamp(s/ω, 0, 1)`, `h'' = 1/ω` on `(0, ω)`.
 *   Conjugate `h*(y) = (ω/2) y² + ι_[0,1](y)`.
 * - smoothed leaky ReLU with slope `a ∈ [0, 1)`: `σ(s) = a s + (1 − a) h_ω(s)`, i.e.
 *   `a s` (`s ≤ 0`), `a s + k s²/2` (`0 ≤ s ≤ ω`, `k = (1 − a)/ω`), `s − c` (`s ≥ ω`,
 *   `c = (1 − a)ω/2`). Convex, increasing; conjugate `σ*(p) = (p − a)²/(2k) + ι_[a,1](p)`.
 * @module
 */

/** `h_ω(s)`: the smoothed ReLU (`ω = 0`: `max(0, s)`). */
export function smoothRelu(s: number, omega: number): number {
  if (s <= 0) return 0;
  if (s >= omega) return s - 0.5 * omega;
  return (s * s) / (2 * omega);
}

/** `h_ω'(s) = clamp(s/ω, 0, 1)` (`ω = 0`: the step `[s > 0]`). */
export function smoothReluDerivative(s: number, omega: number): number {
  if (s <= 0) return 0;
  if (s >= omega) return 1;
  return s / omega;
}

/** `h_ω''(s) = 1/ω` on `(0, ω)`, else 0. */
export function smoothReluSecond(s: number, omega: number): number {
  return s > 0 && s < omega ? 1 / omega : 0;
}

/** `σ(s) = a s + (1 − a) h_ω(s)`: the (smoothed) leaky ReLU with slope `a`. */
export function leakyRelu(s: number, slope: number, omega: number): number {
  return slope * s + (1 - slope) * smoothRelu(s, omega);
}

/** `σ'(s) = a + (1 − a) h_ω'(s)`. */
export function leakyReluDerivative(s: number, slope: number, omega: number): number {
  return slope + (1 - slope) * smoothReluDerivative(s, omega);
}

/** `σ''(s) = (1 − a) h_ω''(s)`. */
export function leakyReluSecond(s: number, slope: number, omega: number): number {
  return (1 - slope) * smoothReluSecond(s, omega);
}

/**
 * Which part of the epigraph's boundary a point projects onto (see {@link LeakyEpigraph.project}):
 * `Inside` (the point is in the epigraph, `J = I`), `Left` (the line `t = a s`, `s ≤ 0`), `Right`
 * (the line `t = s − c`, `s ≥ ω`), `Kink` (`(0, 0)`, non-smoothed only), `Curved` (`0 < s < ω`).
 */
export const EpiPiece = Object.freeze({ Inside: 0, Left: 1, Right: 2, Kink: 3, Curved: 4 } as const);

/** A value of {@link EpiPiece}. */
export type EpiPiece = (typeof EpiPiece)[keyof typeof EpiPiece];

/**
 * The epigraph `C = {(s, t) : t ≥ σ(s)}` of the (smoothed) leaky ReLU `σ` with slope `a` and
 * smoothing `ω ≥ 0`, with the Euclidean projection onto it and the Jacobian of the projection,
 * case by case (derivation in the ICNN section of the package README):
 *
 * 1. `t ≥ σ(p)`: `Π(p, t) = (p, t)`, `J = I`.
 * 2. `s₁ = (p + a t)/(1 + a²) ≤ 0`: projection onto the supporting line `t = a s` (the left
 *    piece), `Π = (s₁, a s₁)`, `J = [1 a; a a²]/(1 + a²)`.
 * 3. `s₃ = (p + t + c)/2 ≥ ω`: onto the line `t = s − c` (the right piece), `Π = (s₃, s₃ − c)`,
 *    `J = ½[1 1; 1 1]`.
 * 4. `ω = 0` otherwise: the kink, `Π = (0, 0)`, `J = 0`.
 * 5. `ω > 0` otherwise: the curved piece. `Π = (s, σ(s))` with `s ∈ (0, min(ω, p))` the unique
 *    root of the cubic `φ(s) = s − p + (σ(s) − t)σ'(s)`; `φ` is increasing and convex where
 *    `σ(s) ≥ t` (which holds at every root), so Newton's method from `min(ω, p)` (where `φ > 0`)
 *    decreases monotonically to the root. Implicit differentiation of `φ(s; p, t) = 0` gives
 *    `ds = (dp + σ'dt)/φ'`, `φ' = 1 + σ'² + σ''(σ − t)`, so `J = [1 σ'; σ' σ'²]/φ'`.
 *
 * Cases 2 and 3 are exact because each line supports `C` (`σ` lies above it) and the
 * projection onto its half-plane lands on the graph. Every `J` is symmetric; on the lines
 * it is the orthogonal projection onto the line's direction.
 */
export class LeakyEpigraph {
  /** Slope `a ∈ [0, 1)` for `s < 0`. */
  readonly slope: number;
  /** Smoothing `ω ≥ 0`. */
  readonly omega: number;
  /** Curvature `k = (1 − a)/ω` of the curved piece (`Infinity` when `ω = 0`). */
  readonly k: number;
  /** Offset `c = (1 − a)ω/2` of the right line `t = s − c`. */
  readonly c: number;
  private readonly inv1a2: number;

  constructor(slope: number, omega: number) {
    this.slope = slope;
    this.omega = omega;
    this.k = omega > 0 ? (1 - slope) / omega : Infinity;
    this.c = 0.5 * (1 - slope) * omega;
    this.inv1a2 = 1 / (1 + slope * slope);
  }

  /** `σ(s)`, evaluated piece by piece exactly as the projections below write it. */
  sigma(s: number): number {
    if (s <= 0) return this.slope * s;
    if (s >= this.omega) return s - this.c;
    return this.slope * s + 0.5 * this.k * s * s;
  }

  /** `σ'(s)`. */
  sigmaPrime(s: number): number {
    if (s <= 0) return this.slope;
    if (s >= this.omega) return 1;
    return this.slope + this.k * s;
  }

  /**
   * Project `(p, t)` onto the epigraph: `out[0], out[1]` receive `Π(p, t)`, `out[2], out[3],
   * out[4]` the Jacobian entries `J₁₁, J₁₂ = J₂₁, J₂₂`. Returns the piece (an {@link EpiPiece}).
   * Allocates nothing.
   */
  project(p: number, t: number, out: Float64Array): EpiPiece {
    const a = this.slope;
    if (t >= this.sigma(p)) {
      out[0] = p;
      out[1] = t;
      out[2] = 1;
      out[3] = 0;
      out[4] = 1;
      return EpiPiece.Inside;
    }
    const s1 = (p + a * t) * this.inv1a2;
    if (s1 <= 0) {
      out[0] = s1;
      out[1] = a * s1;
      out[2] = this.inv1a2;
      out[3] = a * this.inv1a2;
      out[4] = a * a * this.inv1a2;
      return EpiPiece.Left;
    }
    const s3 = 0.5 * (p + t + this.c);
    if (s3 >= this.omega) {
      out[0] = s3;
      out[1] = s3 - this.c;
      out[2] = 0.5;
      out[3] = 0.5;
      out[4] = 0.5;
      return EpiPiece.Right;
    }
    if (!(this.omega > 0)) {
      out[0] = 0;
      out[1] = 0;
      out[2] = 0;
      out[3] = 0;
      out[4] = 0;
      return EpiPiece.Kink;
    }
    // Curved piece: monotone Newton from the right on φ(s) = s − p + (σ(s) − t)σ'(s).
    const k = this.k;
    let s = Math.min(this.omega, p);
    for (let it = 0; it < 100; it++) {
      const sig = a * s + 0.5 * k * s * s;
      const d = a + k * s;
      const phi = s - p + (sig - t) * d;
      if (!(phi > 0)) break;
      const step = phi / (1 + d * d + k * (sig - t));
      const next = s - step;
      if (!(next < s) || next <= 0) {
        s = Math.max(next, 0);
        break;
      }
      s = next;
    }
    const sig = a * s + 0.5 * k * s * s;
    const d = a + k * s;
    const inv = 1 / (1 + d * d + k * (sig - t));
    out[0] = s;
    out[1] = sig;
    out[2] = inv;
    out[3] = d * inv;
    out[4] = d * d * inv;
    return EpiPiece.Curved;
  }

  /**
   * `σ*(p) = (p − a)²/(2k)` for `p ∈ [a, 1]` (0 when `ω = 0`), the conjugate of `σ`; the
   * argument is clamped into `[a, 1]` (callers check feasibility).
   */
  conjugate(p: number): number {
    if (!(this.omega > 0)) return 0;
    const q = Math.min(Math.max(p, this.slope), 1) - this.slope;
    return (q * q) / (2 * this.k);
  }
}

/** Result of {@link projectLeakyReluEpigraph}. */
export interface EpigraphProjection {
  /** `Π(p, t)`. */
  readonly point: readonly [number, number];
  /** The Jacobian `[[J₁₁, J₁₂], [J₂₁, J₂₂]]` (symmetric). */
  readonly jacobian: readonly [readonly [number, number], readonly [number, number]];
  /** Where the point lands: `inside`, `left`, `right`, `kink` or `curved`. */
  readonly piece: 'inside' | 'left' | 'right' | 'kink' | 'curved';
}

const PIECES = ['inside', 'left', 'right', 'kink', 'curved'] as const;

/**
 * Convenience (allocating) form of {@link LeakyEpigraph.project}: the projection of `(p, t)` onto
 * the epigraph of the leaky ReLU with slope `a` and smoothing `ω` (0: non-smoothed), its
 * Jacobian and the piece it lands on.
 */
export function projectLeakyReluEpigraph(p: number, t: number, slope: number, omega: number): EpigraphProjection {
  const out = new Float64Array(5);
  const piece = new LeakyEpigraph(slope, omega).project(p, t, out);
  return {
    point: [out[0]!, out[1]!],
    jacobian: [
      [out[2]!, out[3]!],
      [out[3]!, out[4]!],
    ],
    piece: PIECES[piece],
  };
}
