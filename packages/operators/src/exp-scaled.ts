/**
 * {@link ExpScaledOperator}: `K_θ = e^θ·D`, a fixed operator with a learnable log-scale, so a
 * regularizer weight lives in `K` (whose parameters the piggyback error bound covers, unlike
 * those of `f*`: arXiv 2412.06436 learns linear operators) and stays positive (exp
 * reparametrisation).
 * @module
 */
import { assertFinite, assertLength, describeOf, dot, normUpperBound, type Described, type LinearOperator, type OperatorNorm, type ParametricOperator, type Shape, type Vec } from '@bilevel/core';

/**
 * `K_θ x = e^θ D x` for a fixed operator `D`, `θ = [log scale]` (`log_weight`). With the potential
 * `f = Huber_ε` this is the regularizer `Σ_j Huber_ε(e^θ (Dx)_j)`: weight `e^θ`, smoothing `ε/e^θ`
 * on the scale of `Dx`. `∇_θ⟨K_θx, y⟩ = e^θ⟨Dx, y⟩`, so `paramVjpBound = e^θ‖D‖`.
 */
export class ExpScaledOperator implements ParametricOperator {
  /** `θ = [log scale]`. */
  readonly params: Float64Array;
  /** Domain of `D`. */
  readonly domain: Shape;
  /** Range of `D`. */
  readonly range: Shape;
  private readonly tmp: Vec;
  private readonly baseNorm: { readonly value: number; readonly kind: OperatorNorm['kind'] };

  /**
   * @param base the fixed operator `D`
   * @param logScale `θ₀`
   * @param name the parameter's name
   */
  constructor(
    readonly base: LinearOperator,
    logScale: number,
    private readonly name = 'log_weight',
  ) {
    this.params = Float64Array.of(logScale);
    this.domain = base.domain;
    this.range = base.range;
    this.tmp = new Float64Array(base.range.reduce((a, b) => a * b, 1));
    this.baseNorm = normUpperBound(base);
  }

  private get scale(): number {
    return Math.exp(this.params[0]!);
  }

  /** `out = e^θ D x`. */
  apply(x: Vec, out: Vec): Vec {
    this.base.apply(x, out);
    const s = this.scale;
    for (let i = 0; i < out.length; i++) out[i] = s * out[i]!;
    return out;
  }

  /** `out = e^θ Dᵀ y`. */
  adjoint(y: Vec, out: Vec): Vec {
    this.base.adjoint(y, out);
    const s = this.scale;
    for (let i = 0; i < out.length; i++) out[i] = s * out[i]!;
    return out;
  }

  /** `e^θ‖D‖` (same provenance as `‖D‖`). */
  norm(): OperatorNorm {
    return { value: this.scale * this.baseNorm.value, kind: this.baseNorm.kind };
  }

  /**
   * The operator as data: `scaled` with `scale = e^θ` and the description of `D` (kind
   * `undescribed` when `D` cannot describe itself, which no kernel matches).
   */
  describe(): Described<'scaled'> {
    return { kind: 'scaled', scale: this.scale, base: describeOf(this.base) ?? { kind: 'undescribed' } };
  }

  /** `[name]`. */
  paramNames(): readonly string[] {
    return [this.name];
  }

  /** `θ ← theta` (one finite entry). */
  setParams(theta: ArrayLike<number>): void {
    assertLength('ExpScaledOperator.setParams theta', theta, 1);
    assertFinite('ExpScaledOperator.setParams theta', theta);
    this.params[0] = theta[0]!;
  }

  /** `grad[0] += scale·e^θ⟨Dx, y⟩`. */
  paramVjp(x: Vec, y: Vec, grad: Float64Array, scale = 1): void {
    this.base.apply(x, this.tmp);
    grad[0] = grad[0]! + scale * this.scale * dot(this.tmp.length, this.tmp, y);
  }

  /** `C_θ = e^θ‖D‖`: `|∇_θ⟨K_θu, v⟩| ≤ C_θ‖u‖‖v‖`. */
  paramVjpBound(): number {
    return this.scale * this.baseNorm.value;
  }
}
