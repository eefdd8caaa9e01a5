/**
 * Box constraints `ι{lower ≤ x ≤ upper}` (bounds may be infinite), nonnegativity, and their
 * conjugates, the support functions of boxes.
 * @module
 */
import { shapeSize, z, type Shape, type Vec } from '@bilevel/core';
import type { Conjugable, ProxDifferentiable, Subdifferentiable } from '@bilevel/core';
import { FEASIBILITY_RTOL } from './groups.js';
import { ensure, numericArray, parseOptions, shapeSchema as shapeOption } from '@bilevel/core';

/** A bound: a number (±Infinity allowed, NaN not) or one per entry. */
const boundSchema = z.custom<number | ArrayLike<number>>(
  (v) => (typeof v === 'number' ? !Number.isNaN(v) : numericArray.safeParse(v).success),
  { message: 'must be a number (±Infinity allowed, NaN not) or an array of numbers (one per entry)' },
);

/** Options of {@link Box} and {@link BoxSupport}. */
export interface BoxOptions {
  /** Shape of the argument. */
  readonly shape: Shape;
  /** Lower bound, a number or one per entry (`-Infinity` allowed; default `-Infinity`). */
  readonly lower?: number | ArrayLike<number>;
  /** Upper bound, a number or one per entry (`Infinity` allowed; default `Infinity`). */
  readonly upper?: number | ArrayLike<number>;
}

const schema = z.strictObject({ shape: shapeOption, lower: boundSchema.optional(), upper: boundSchema.optional() });

/** Feasibility slack of a bound, `FEASIBILITY_RTOL·max(1, |b|)` (0 for infinite bounds). */
function slack(b: number): number {
  return Number.isFinite(b) ? FEASIBILITY_RTOL * Math.max(1, Math.abs(b)) : 0;
}

/** Validate and broadcast the bounds; `lower ≤ upper` entrywise, no NaN, `lower < ∞`, `upper > −∞`. */
function parseBounds(what: string, options: BoxOptions): { shape: Shape; lower: Float64Array; upper: Float64Array } {
  const o = parseOptions(schema, options, what);
  const n = shapeSize(o.shape);
  const broadcast = (name: string, b: number | ArrayLike<number> | undefined, fallback: number): Float64Array => {
    if (b === undefined) return new Float64Array(n).fill(fallback);
    if (typeof b === 'number') return new Float64Array(n).fill(b);
    ensure(b.length === n, `${what} ${name}: expected a number or ${n} values, got ${b.length}`);
    return Float64Array.from(b);
  };
  const lower = broadcast('lower', o.lower, -Infinity);
  const upper = broadcast('upper', o.upper, Infinity);
  for (let i = 0; i < n; i++) {
    const lo = lower[i]!;
    const hi = upper[i]!;
    ensure(!Number.isNaN(lo) && !Number.isNaN(hi), `${what}: bounds must not be NaN (entry ${i})`);
    ensure(lo <= hi, `${what}: lower bound ${lo} exceeds upper bound ${hi} at entry ${i}; swap them`);
    ensure(lo < Infinity && hi > -Infinity, `${what}: entry ${i} has an empty range [${lo}, ${hi}]`);
  }
  return { shape: Object.freeze([...o.shape]), lower, upper };
}

/**
 * `f(x) = ι{lower ≤ x ≤ upper}` entrywise.
 *
 * prox: the clamp `min(max(v, lower), upper)` (any τ); Jacobian 1 strictly inside, 0 outside
 * (and, by convention, 0 exactly on a bound); conjugate: the support function
 * {@link BoxSupport}; min-norm subgradient: `shift` inside, `max(shift, 0)` on an upper bound,
 * `min(shift, 0)` on a lower bound, 0 where `lower = upper`, `+∞` outside (bounds are matched
 * with the slack `1e-12·max(1, |bound|)`).
 */
export class Box implements ProxDifferentiable, Conjugable, Subdifferentiable {
  /** Shape of the argument. */
  readonly shape: Shape;
  /** Lower bounds (one per entry). */
  readonly lower: Float64Array;
  /** Upper bounds (one per entry). */
  readonly upper: Float64Array;
  /** Not strongly convex. */
  readonly strongConvexity = 0;

  constructor(options: BoxOptions) {
    const b = parseBounds(new.target.name, options);
    this.shape = b.shape;
    this.lower = b.lower;
    this.upper = b.upper;
  }

  /**
   * 0 when every entry lies in its interval up to the slack `1e-12·max(1, |bound|)`
   * (`FEASIBILITY_RTOL`, for points computed with rounding such as `(v − prox(v))/τ`), else `+∞`.
   */
  value(x: Vec): number {
    for (let i = 0; i < x.length; i++) {
      const lo = this.lower[i]!;
      const hi = this.upper[i]!;
      const t = x[i]!;
      if (!(t >= lo - slack(lo) && t <= hi + slack(hi))) return Infinity;
    }
    return 0;
  }

  /** `out = min(max(v, lower), upper)`; `out` may alias `v`. */
  prox(v: Vec, _tau: number, out: Vec): Vec {
    const lo = this.lower;
    const hi = this.upper;
    for (let i = 0; i < v.length; i++) out[i] = Math.min(Math.max(v[i]!, lo[i]!), hi[i]!);
    return out;
  }

  /** `out_i = dv_i` where `lower < v < upper`, else 0; `out` may alias `dv`. */
  proxJvp(v: Vec, _tau: number, dv: Vec, out: Vec): Vec {
    const lo = this.lower;
    const hi = this.upper;
    for (let i = 0; i < v.length; i++) out[i] = v[i]! > lo[i]! && v[i]! < hi[i]! ? dv[i]! : 0;
    return out;
  }

  /** Min-norm element of `shift + N_box(x)` (see the class comment); `out` may alias `shift`. */
  minNormSubgradient(x: Vec, shift: Vec, out: Vec): Vec {
    for (let i = 0; i < x.length; i++) {
      const xi = x[i]!;
      const lo = this.lower[i]!;
      const hi = this.upper[i]!;
      const s = shift[i]!;
      const atLo = Math.abs(xi - lo) <= slack(lo);
      const atHi = Math.abs(xi - hi) <= slack(hi);
      if (atLo && atHi) out[i] = 0;
      else if (atHi) out[i] = Math.max(s, 0);
      else if (atLo) out[i] = Math.min(s, 0);
      else if (xi > lo && xi < hi) out[i] = s;
      else out[i] = Infinity;
    }
    return out;
  }

  /** The support function `σ(y) = Σ max(lower_i y_i, upper_i y_i)` ({@link BoxSupport}). */
  conjugate(): BoxSupport {
    return new BoxSupport({ shape: this.shape, lower: this.lower, upper: this.upper });
  }
}

/** Options of {@link NonNegative}. */
export interface NonNegativeOptions {
  /** Shape of the argument. */
  readonly shape: Shape;
}

/**
 * `f(x) = ι{x ≥ 0}`: a {@link Box} with `lower = 0`, `upper = ∞`. prox `max(v, 0)`;
 * conjugate `ι{y ≤ 0}` (a {@link BoxSupport}).
 */
export class NonNegative extends Box {
  constructor(options: NonNegativeOptions) {
    const o = parseOptions(z.strictObject({ shape: shapeOption }), options, 'NonNegative');
    super({ shape: o.shape, lower: 0, upper: Infinity });
  }
}

/**
 * The support function of a box, `σ(y) = Σ_i (upper_i·max(y_i, 0) + lower_i·min(y_i, 0))`
 * (`+∞` where an infinite bound meets a non-zero `y_i` of its sign): the conjugate of
 * {@link Box}.
 *
 * prox (two-sided soft-thresholding): `v − τ·upper` where `v > τ·upper`, `v − τ·lower` where
 * `v < τ·lower`, 0 in between; Jacobian 1 outside `[τ·lower, τ·upper]`, 0 inside; `∂σ(y)` is
 * `upper` (`y > 0`), `lower` (`y < 0`), `[lower, upper]` (`y = 0`).
 */
export class BoxSupport implements ProxDifferentiable, Conjugable, Subdifferentiable {
  /** Shape of the argument. */
  readonly shape: Shape;
  /** Lower bounds of the box. */
  readonly lower: Float64Array;
  /** Upper bounds of the box. */
  readonly upper: Float64Array;
  /** Not strongly convex. */
  readonly strongConvexity = 0;

  constructor(options: BoxOptions) {
    const b = parseBounds('BoxSupport', options);
    this.shape = b.shape;
    this.lower = b.lower;
    this.upper = b.upper;
  }

  /** `Σ upper_i·y_i⁺ + lower_i·y_i⁻` (`0·∞` counts as 0). */
  value(y: Vec): number {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const t = y[i]!;
      if (t > 0) s += this.upper[i]! * t;
      else if (t < 0) s += this.lower[i]! * t;
    }
    return s;
  }

  /** Two-sided soft-thresholding (see the class comment); `out` may alias `v`. */
  prox(v: Vec, tau: number, out: Vec): Vec {
    for (let i = 0; i < v.length; i++) {
      const t = v[i]!;
      const hi = tau * this.upper[i]!;
      const lo = tau * this.lower[i]!;
      out[i] = t > hi ? t - hi : t < lo ? t - lo : 0;
    }
    return out;
  }

  /** `out_i = dv_i` where `v_i ∉ [τ·lower, τ·upper]`, else 0; `out` may alias `dv`. */
  proxJvp(v: Vec, tau: number, dv: Vec, out: Vec): Vec {
    for (let i = 0; i < v.length; i++) {
      const t = v[i]!;
      out[i] = t > tau * this.upper[i]! || t < tau * this.lower[i]! ? dv[i]! : 0;
    }
    return out;
  }

  /**
   * Min-norm element of `shift + ∂σ(y)`: `shift + upper` (`y > 0`), `shift + lower` (`y < 0`),
   * `shift + clamp(−shift, lower, upper)` (`y = 0`); `+∞` where `σ(y) = ∞`. `out` may alias `shift`.
   */
  minNormSubgradient(y: Vec, shift: Vec, out: Vec): Vec {
    for (let i = 0; i < y.length; i++) {
      const t = y[i]!;
      const s = shift[i]!;
      const lo = this.lower[i]!;
      const hi = this.upper[i]!;
      const m = t > 0 ? s + hi : t < 0 ? s + lo : s + Math.min(Math.max(-s, lo), hi);
      out[i] = Number.isFinite(m) ? m : Infinity;
    }
    return out;
  }

  /** The box indicator ({@link Box}). */
  conjugate(): Box {
    return new Box({ shape: this.shape, lower: this.lower, upper: this.upper });
  }
}
