/**
 * The difference `φ = p − q` of two smooth potentials on the same argument: the weakly convex
 * experts of docs/math/regularizers.md#weakly-convex-experts (`p`, `q` smoothed absolute values of
 * different widths), built from the parts' own derivatives.
 * @module
 */
import { ValidationError, assertLength, shapeSize, sub, type Shape, type Vec } from '@bilevel/core';
import type { SmoothPotential } from './analysis.js';

/**
 * `φ(z) = p(z) − q(z)`, parameters `[p.params, q.params]`. Everything is the parts' — value,
 * gradient, Hessian-vector product and the parameter derivatives — with the sign of `q` flipped,
 * so each formula exists once (in the parts). For convex `p`, `q`: `∇²φ ≥ −∇²q ≥ −L_q I` and
 * `∇²φ ≤ ∇²p ≤ L_p I`, hence `lipschitz = max(L_p, L_q)` and the signed modulus
 * `strongConvexity = μ_p − L_q` (negative: `φ` is `L_q − μ_p`-weakly convex). Allocation-free
 * after construction.
 */
export class PotentialDifference implements SmoothPotential {
  /** `[p.params, q.params]`. */
  readonly params: Float64Array;
  /** Shape of the argument. */
  readonly shape: Shape;
  private readonly tmp: Float64Array;
  private readonly np: number;

  constructor(
    private readonly p: SmoothPotential,
    private readonly q: SmoothPotential,
  ) {
    if (shapeSize(p.shape) !== shapeSize(q.shape)) {
      throw new ValidationError(`PotentialDifference: the parts act on ${shapeSize(p.shape)} and ${shapeSize(q.shape)} entries`);
    }
    this.shape = p.shape;
    this.np = p.params.length;
    this.params = new Float64Array(this.np + q.params.length);
    this.params.set(p.params);
    this.params.set(q.params, this.np);
    this.tmp = new Float64Array(shapeSize(p.shape));
  }

  /** `max(L_p, L_q)`: `|φ''| ≤ max(L_p, L_q)` since `−∇²q ≤ ∇²φ ≤ ∇²p`. */
  get lipschitz(): number {
    return Math.max(this.p.lipschitz, this.q.lipschitz);
  }

  /** `μ_p − L_q` (a signed modulus, negative when `φ` is only weakly convex). */
  get strongConvexity(): number {
    return this.p.strongConvexity - this.q.lipschitz;
  }

  /** `p`'s names, then `q`'s. */
  paramNames(): readonly string[] {
    return [...this.p.paramNames(), ...this.q.paramNames()];
  }

  /** Split `θ` into the parts' parameters. */
  setParams(theta: ArrayLike<number>): void {
    assertLength('PotentialDifference.setParams theta', theta, this.params.length);
    this.params.set(theta);
    this.p.setParams(this.params.subarray(0, this.np));
    this.q.setParams(this.params.subarray(this.np));
  }

  /** `p(z) − q(z)`. */
  value(z: Vec): number {
    return this.p.value(z) - this.q.value(z);
  }

  /** `out = ∇p(z) − ∇q(z)`. */
  gradient(z: Vec, out: Vec): Vec {
    this.p.gradient(z, out);
    return sub(out.length, out, this.q.gradient(z, this.tmp), out);
  }

  /** `out = ∇²p(z)v − ∇²q(z)v`. */
  hvp(z: Vec, v: Vec, out: Vec): Vec {
    this.p.hvp(z, v, out);
    return sub(out.length, out, this.q.hvp(z, v, this.tmp), out);
  }

  /** `grad[p] += scale ∇_θp`, `grad[q] −= scale ∇_θq`. */
  valueParamGrad(z: Vec, grad: Float64Array, scale = 1): void {
    this.p.valueParamGrad(z, grad.subarray(0, this.np), scale);
    this.q.valueParamGrad(z, grad.subarray(this.np), -scale);
  }

  /** `grad[p] += scale ∇_θ⟨∇p, w⟩`, `grad[q] −= scale ∇_θ⟨∇q, w⟩`. */
  gradParamVjp(z: Vec, w: Vec, grad: Float64Array, scale = 1): void {
    this.p.gradParamVjp(z, w, grad.subarray(0, this.np), scale);
    this.q.gradParamVjp(z, w, grad.subarray(this.np), -scale);
  }

  /** `out = ∂_θ∇p·dθ_p − ∂_θ∇q·dθ_q`. */
  gradParamJvp(z: Vec, dTheta: ArrayLike<number>, out: Vec): Vec {
    const d = dTheta as Float64Array;
    const at = (a: number, b: number): ArrayLike<number> => (d.subarray ? d.subarray(a, b) : Array.prototype.slice.call(dTheta, a, b));
    this.p.gradParamJvp(z, at(0, this.np), out);
    return sub(out.length, out, this.q.gradParamJvp(z, at(this.np, this.params.length), this.tmp), out);
  }
}
