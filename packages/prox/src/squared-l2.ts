/**
 * The squared Euclidean norm `f(x) = (λ/2)‖x‖²`.
 * @module
 */
import { z, type Shape, type Vec } from '@bilevel/core';
import type { Conjugable, LearnableFunctional, ProxDifferentiable, Subdifferentiable, TwiceSmooth } from '@bilevel/core';
import { checkPositiveParams, parseOptions, positiveNumber, shapeSchema as shapeOption } from '@bilevel/core';

/** Options of {@link SquaredL2}. */
export interface SquaredL2Options {
  /** Shape of the argument. */
  readonly shape: Shape;
  /** Weight `λ > 0` (default 1). */
  readonly weight?: number;
}

const schema = z.strictObject({ shape: shapeOption, weight: positiveNumber.optional() });

/**
 * `f(x) = (λ/2)‖x‖²`, parameter `λ` (`weight`).
 *
 * prox `v/(1 + τλ)`, Jacobian `u/(1 + τλ)`; gradient `λx`, Hessian `λI` (so strong convexity
 * and Lipschitz constant are both `λ`); conjugate `(1/(2λ))‖y‖²` (Beck, *First-Order Methods in
 * Optimization*, Ch. 4 and 6).
 */
export class SquaredL2 implements ProxDifferentiable, TwiceSmooth, Conjugable, Subdifferentiable, LearnableFunctional {
  /** Shape of the argument. */
  readonly shape: Shape;
  /** `[λ]`. */
  readonly params: Float64Array;

  constructor(options: SquaredL2Options) {
    const o = parseOptions(schema, options, 'SquaredL2');
    this.shape = Object.freeze([...o.shape]);
    this.params = Float64Array.of(o.weight ?? 1);
  }

  /** `λ`. */
  get strongConvexity(): number {
    return this.params[0]!;
  }

  /** `λ`. */
  get lipschitz(): number {
    return this.params[0]!;
  }

  /** `['weight']`. */
  paramNames(): readonly string[] {
    return ['weight'];
  }

  /** Set `λ > 0`. */
  setParams(theta: ArrayLike<number>): void {
    checkPositiveParams('SquaredL2', theta, this.paramNames());
    this.params.set(theta);
  }

  /** `(λ/2)‖x‖²`. */
  value(x: Vec): number {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
    return 0.5 * this.params[0]! * s;
  }

  /** `out = v/(1 + τλ)`; `out` may alias `v`. */
  prox(v: Vec, tau: number, out: Vec): Vec {
    const k = 1 / (1 + tau * this.params[0]!);
    for (let i = 0; i < v.length; i++) out[i] = k * v[i]!;
    return out;
  }

  /** `out = dv/(1 + τλ)`; `out` may alias `dv`. */
  proxJvp(_v: Vec, tau: number, dv: Vec, out: Vec): Vec {
    return this.prox(dv, tau, out);
  }

  /** `out = λx`. */
  gradient(x: Vec, out: Vec): Vec {
    const lambda = this.params[0]!;
    for (let i = 0; i < x.length; i++) out[i] = lambda * x[i]!;
    return out;
  }

  /** `out = λv`. */
  hvp(_x: Vec, v: Vec, out: Vec): Vec {
    return this.gradient(v, out);
  }

  /** `out = shift + λx`; `out` may alias `shift`. */
  minNormSubgradient(x: Vec, shift: Vec, out: Vec): Vec {
    const lambda = this.params[0]!;
    for (let i = 0; i < x.length; i++) out[i] = shift[i]! + lambda * x[i]!;
    return out;
  }

  /** `∂f/∂λ = ½‖x‖²`. */
  valueParamGrad(x: Vec, grad: Float64Array, scale = 1): void {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
    grad[0] = grad[0]! + 0.5 * scale * s;
  }

  /** `∂p/∂λ = −τv/(1 + τλ)²`. */
  proxParamVjp(v: Vec, tau: number, w: Vec, grad: Float64Array, scale = 1): void {
    const d = 1 + tau * this.params[0]!;
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i]! * w[i]!;
    grad[0] = grad[0]! - (scale * tau * s) / (d * d);
  }

  /** `∂/∂λ⟨λx, w⟩ = ⟨x, w⟩`. */
  gradParamVjp(x: Vec, w: Vec, grad: Float64Array, scale = 1): void {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]! * w[i]!;
    grad[0] = grad[0]! + scale * s;
  }

  /** `out = dλ·x`. */
  gradParamJvp(x: Vec, dTheta: ArrayLike<number>, out: Vec): Vec {
    const d = dTheta[0]!;
    for (let i = 0; i < x.length; i++) out[i] = d * x[i]!;
    return out;
  }

  /** `f*(y) = (1/(2λ))‖y‖²`. */
  conjugate(): SquaredL2 {
    return new SquaredL2({ shape: this.shape, weight: 1 / this.params[0]! });
  }
}
