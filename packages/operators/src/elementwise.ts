/**
 * Elementwise operators: identity, scalar multiple (learnable) and diagonal (fixed weights).
 * All of them are self-adjoint and allow `out === x`.
 * @module
 */
import {
  dot,
  finite,
  shapeSchema,
  shapeSize,
  z,
  type LinearOperator,
  type OperatorNorm,
  type ParametricOperator,
  type Shape,
  type Vec,
} from '@bilevel/core';
import { NormCache } from './norms.js';
import { checkCall, checkData, copyParams, checkVjpCall, float64Array, parseOptions } from './validate.js';

/**
 * The identity `I x = x` on tensors of shape `shape`. Self-adjoint, `‖I‖ = 1` (exact).
 * `out === x` is allowed.
 */
export class Identity implements LinearOperator {
  /** Input shape (= `range`). */
  readonly domain: Shape;
  /** Output shape (= `domain`). */
  readonly range: Shape;
  private readonly n: number;

  /** @param shape tensor shape, e.g. `[C, H, W]` (positive integers) */
  constructor(shape: Shape) {
    const o = parseOptions(z.strictObject({ shape: shapeSchema }), { shape }, 'Identity');
    this.domain = this.range = Object.freeze([...o.shape]);
    this.n = shapeSize(this.domain);
  }

  /** `out = x`. */
  apply(x: Vec, out: Vec): Vec {
    checkCall('Identity.apply', x, this.domain, this.n, out, this.range, this.n, true);
    if (out !== x) out.set(x);
    return out;
  }

  /** `out = y` (self-adjoint). */
  adjoint(y: Vec, out: Vec): Vec {
    checkCall('Identity.adjoint', y, this.range, this.n, out, this.domain, this.n, true);
    if (out !== y) out.set(y);
    return out;
  }

  /** `‖I‖ = 1`, exact. */
  norm(): OperatorNorm {
    return { value: 1, kind: 'exact' };
  }
}

/**
 * The learnable scalar multiple `K_α x = α x`, parameters `θ = [α]`.
 *
 * `∇_α ⟨α x, y⟩ = ⟨x, y⟩`. Self-adjoint, `‖K‖ = |α|` (exact). `out === x` is allowed.
 * (For a fixed factor in front of another operator use `scaled(alpha, A)`.)
 */
export class ScalarMultiple implements ParametricOperator {
  /** Input shape (= `range`). */
  readonly domain: Shape;
  /** Output shape (= `domain`). */
  readonly range: Shape;
  /** `θ = [α]` (owned; change it with {@link ScalarMultiple.setParams}). */
  readonly params: Float64Array;
  private readonly n: number;

  /**
   * @param shape tensor shape (positive integers)
   * @param alpha the initial factor `α` (finite)
   */
  constructor(shape: Shape, alpha: number) {
    const o = parseOptions(z.strictObject({ shape: shapeSchema, alpha: finite }), { shape, alpha }, 'ScalarMultiple');
    this.domain = this.range = Object.freeze([...o.shape]);
    this.n = shapeSize(this.domain);
    this.params = Float64Array.of(o.alpha);
  }

  /** The current factor `α`. */
  get alpha(): number {
    return this.params[0]!;
  }

  /** `out = α x`. */
  apply(x: Vec, out: Vec): Vec {
    checkCall('ScalarMultiple.apply', x, this.domain, this.n, out, this.range, this.n, true);
    const a = this.params[0]!;
    for (let i = 0; i < this.n; i++) out[i] = a * x[i]!;
    return out;
  }

  /** `out = α y` (self-adjoint). */
  adjoint(y: Vec, out: Vec): Vec {
    checkCall('ScalarMultiple.adjoint', y, this.range, this.n, out, this.domain, this.n, true);
    const a = this.params[0]!;
    for (let i = 0; i < this.n; i++) out[i] = a * y[i]!;
    return out;
  }

  /** `‖K‖ = |α|`, exact. */
  norm(): OperatorNorm {
    return { value: Math.abs(this.params[0]!), kind: 'exact' };
  }

  /** `['alpha']`. */
  paramNames(): readonly string[] {
    return ['alpha'];
  }

  /** Set `α = θ[0]`. */
  setParams(theta: ArrayLike<number>): void {
    copyParams('ScalarMultiple', this.params, theta);
  }

  /** `grad[0] += scale · ⟨x, y⟩`. */
  /** `|∂_α⟨αx, y⟩| = |⟨x, y⟩| ≤ ‖x‖‖y‖`: the bound is 1. */
  paramVjpBound(): number {
    return 1;
  }

  paramVjp(x: Vec, y: Vec, grad: Float64Array, scale = 1): void {
    checkVjpCall('ScalarMultiple', x, this.domain, y, this.range, grad, 1);
    grad[0] = grad[0]! + scale * dot(this.n, x, y);
  }
}

/**
 * The shared implementation of {@link Diagonal} and `Mask`: `(D x)_i = w_i x_i` with fixed
 * weights. Self-adjoint, `‖D‖ = max_i |w_i|` (exact), `out === x` allowed.
 */
export abstract class ElementwiseProduct implements LinearOperator {
  /** Input shape (= `range`). */
  readonly domain: Shape;
  /** Output shape (= `domain`). */
  readonly range: Shape;
  /** The weights `w` (a private copy of the constructor argument). */
  readonly weights: Float64Array;
  private readonly n: number;
  private readonly normCache = new NormCache();

  /**
   * @param label class name used in error messages
   * @param key name of the weights option used in error messages
   * @param shape tensor shape (positive integers)
   * @param weights one finite weight per entry of a tensor of shape `shape` (copied)
   */
  protected constructor(
    private readonly label: string,
    key: string,
    shape: Shape,
    weights: Float64Array,
  ) {
    parseOptions(z.strictObject({ shape: shapeSchema, [key]: float64Array }), { shape, [key]: weights }, label);
    this.domain = this.range = Object.freeze([...shape]);
    this.n = shapeSize(this.domain);
    checkData(`${label} ${key}`, weights, this.domain);
    this.weights = Float64Array.from(weights);
  }

  /** `out = w ⊙ x`. */
  apply(x: Vec, out: Vec): Vec {
    checkCall(`${this.label}.apply`, x, this.domain, this.n, out, this.range, this.n, true);
    const w = this.weights;
    for (let i = 0; i < this.n; i++) out[i] = w[i]! * x[i]!;
    return out;
  }

  /** `out = w ⊙ y` (self-adjoint). */
  adjoint(y: Vec, out: Vec): Vec {
    checkCall(`${this.label}.adjoint`, y, this.range, this.n, out, this.domain, this.n, true);
    const w = this.weights;
    for (let i = 0; i < this.n; i++) out[i] = w[i]! * y[i]!;
    return out;
  }

  /** `max_i |w_i|`, exact. */
  norm(): OperatorNorm {
    return this.normCache.get(() => {
      let m = 0;
      for (let i = 0; i < this.n; i++) m = Math.max(m, Math.abs(this.weights[i]!));
      return { value: m, kind: 'exact' };
    });
  }
}

/**
 * The diagonal operator `(D x)_i = w_i x_i` with fixed weights `w` (same shape as `x`).
 * Self-adjoint, `‖D‖ = max_i |w_i|` (exact). `out === x` is allowed.
 */
export class Diagonal extends ElementwiseProduct {
  /**
   * @param shape tensor shape (positive integers)
   * @param weights `w`, one finite weight per entry of a tensor of shape `shape` (copied)
   */
  constructor(shape: Shape, weights: Float64Array) {
    super('Diagonal', 'weights', shape, weights);
  }
}
