/**
 * The learnable operator of the ICNN saddle form: `K(x, z) = (W₀x, z, A z)` with the hidden layer
 * `A = W_A·avgpool` or `A = W_A⋆` (convolutional), acting on the lifted primal variable `(x, z)`
 * (docs/math/icnn.md#saddle-form).
 * @module
 */
import { formatShape, shapeEquals, shapeSize, type OperatorNorm, type ParametricOperator, type Shape, type Vec } from '@bilevel/core';
import type { ConvFilterBank } from '@bilevel/operators';
import { ensure } from '@bilevel/core';
import type { IcnnHiddenLayer } from './regularizer.js';

/**
 * `K(x, z) = (W₀x, z, A z)` with `W₀` a learnable {@link ConvFilterBank} (`[C_in, H, W] →
 * [F, H, W]`) and `A` the learnable hidden layer: `W_A·avgpool_s` (a `PooledDense`, `[F, H, W] →
 * [M]`) or `W_A⋆` (a second `ConvFilterBank`, `[F, H, W] → [M, H, W]`).
 *
 * - domain `[n_x + n_z]` (the flat concatenation `(x, z)`, `n_x = C_in·H·W`, `n_z = F·H·W`),
 *   range `[2n_z + n_v]`: the epigraph pairs `(W₀x, z)` (shape `[2, F, H, W]` flattened) followed by
 *   the `n_v` hidden entries (`M`, or `M·H·W`);
 * - adjoint `Kᵀ(y₁, y₂, y₃) = (W₀ᵀy₁, y₂ + Aᵀy₃)`;
 * - `θ = [kernels of W₀ (F·C_in·k·k, [filter][in][row][col]), W_A ([unit][filter][row][col])]`
 *   named `W0[f][c][i,j]` and `WA[m][f,i,j]` (pooled) or `WA[m][f][i,j]` (convolutional);
 *   `paramVjp` is the correlation of `y₁` with `x` (filter bank) and the hidden layer's
 *   (the outer product `y₃ (P z)ᵀ`, arXiv 2412.06436 §3.4, or the correlation of `y₃` with `z`);
 * - `paramVjpBound() = max(C_{W₀}, C_A)` (`C_A = 1/s` pooled): `‖∇θ⟨K(x,z), y⟩‖² = ‖∇_{W₀}‖² + ‖∇_{W_A}‖² ≤
 *   max(C_{W₀}, C_A)²(‖x‖²‖y₁‖² + ‖z‖²‖y₃‖²)`;
 * - `norm() = max(‖W₀‖, √(1 + ‖A‖²))`, since `‖K(x,z)‖² = ‖W₀x‖² + ‖z‖² + ‖Az‖²`, an upper
 *   bound (kind `upper-bound` when both parts report provable norms, which they do).
 *
 * The filter bank and the pooled dense layer are shared with the {@link IcnnRegularizer} that built
 * them: `setParams` here changes the regularizer and vice versa. `out` must not alias the input.
 */
export class IcnnLiftedOperator implements ParametricOperator {
  /** `[n_x + n_z]`. */
  readonly domain: Shape;
  /** `[2n_z + M]`. */
  readonly range: Shape;
  /** Entries of `x`. */
  readonly nx: number;
  /** Entries of `z`. */
  readonly nz: number;
  /** Hidden entries `n_v` (`M` pooled, `M·H·W` convolutional). */
  readonly units: number;
  private readonly theta: Float64Array;
  private readonly pc: number;
  private readonly work: Float64Array;
  private readonly domainViews = new WeakMap<Float64Array, Float64Array[]>();
  private readonly rangeViews = new WeakMap<Float64Array, Float64Array[]>();
  private readonly gradViews = new WeakMap<Float64Array, [Float64Array, Float64Array]>();

  constructor(
    readonly conv: ConvFilterBank,
    readonly hidden: IcnnHiddenLayer,
  ) {
    ensure(
      shapeEquals(conv.range, hidden.domain),
      `IcnnLiftedOperator: the filter bank's range ${formatShape(conv.range)} must equal the hidden layer's domain ${formatShape(hidden.domain)}`,
    );
    this.nx = shapeSize(conv.domain);
    this.nz = shapeSize(conv.range);
    this.units = shapeSize(hidden.range);
    this.domain = Object.freeze([this.nx + this.nz]);
    this.range = Object.freeze([2 * this.nz + this.units]);
    this.pc = conv.params.length;
    this.theta = new Float64Array(this.pc + hidden.params.length);
    this.work = new Float64Array(this.nz);
  }

  /** Cached views `[x, z]` of a domain array or `[y₁, y₂, y₃]` of a range array. */
  private split(a: Float64Array, domain: boolean): Float64Array[] {
    const cache = domain ? this.domainViews : this.rangeViews;
    let v = cache.get(a);
    if (v === undefined) {
      const { nx, nz } = this;
      v = domain ? [a.subarray(0, nx), a.subarray(nx, nx + nz)] : [a.subarray(0, nz), a.subarray(nz, 2 * nz), a.subarray(2 * nz)];
      cache.set(a, v);
    }
    return v;
  }

  /** The concatenated parameters `[W₀; W_A]` (a snapshot refreshed on every read; change them with `setParams`). */
  get params(): Float64Array {
    this.theta.set(this.conv.params, 0);
    this.theta.set(this.hidden.params, this.pc);
    return this.theta;
  }

  /** `W0[f][c][i,j]` for the kernels, then `WA[m][f,i,j]`. */
  paramNames(): readonly string[] {
    const hidden = this.hidden.paramNames();
    return [
      ...this.conv.paramNames().map((n) => `W0${n.slice('kernel'.length)}`),
      ...hidden.map((n) => `WA${n.startsWith('kernel') ? n.slice('kernel'.length) : n.slice(1)}`),
    ];
  }

  /** Split `θ` into the kernels and the hidden weights. */
  setParams(theta: ArrayLike<number>): void {
    ensure(theta.length === this.theta.length, `IcnnLiftedOperator.setParams: expected ${this.theta.length} entries, got ${theta.length}`);
    const t = Float64Array.from(theta);
    this.conv.setParams(t.subarray(0, this.pc));
    this.hidden.setParams(t.subarray(this.pc));
  }

  /** `out = (W₀x, z, A z)`. */
  apply(v: Vec, out: Vec): Vec {
    const [x, z] = this.split(v, true) as [Float64Array, Float64Array];
    const [y1, y2, y3] = this.split(out, false) as [Float64Array, Float64Array, Float64Array];
    this.conv.apply(x, y1);
    y2.set(z);
    this.hidden.apply(z, y3);
    return out;
  }

  /** `out = (W₀ᵀy₁, y₂ + Aᵀy₃)`. */
  adjoint(y: Vec, out: Vec): Vec {
    const [y1, y2, y3] = this.split(y, false) as [Float64Array, Float64Array, Float64Array];
    const [ox, oz] = this.split(out, true) as [Float64Array, Float64Array];
    this.conv.adjoint(y1, ox);
    this.hidden.adjoint(y3, this.work);
    for (let i = 0; i < this.nz; i++) oz[i] = y2[i]! + this.work[i]!;
    return out;
  }

  /** `max(‖W₀‖, √(1 + ‖A‖²))` (kind `upper-bound`, or `estimate` if a part only estimates). */
  norm(): OperatorNorm {
    const a = this.conv.norm();
    const b = this.hidden.norm();
    const value = Math.max(a.value, Math.sqrt(1 + b.value * b.value));
    const kind = a.kind === 'estimate' || b.kind === 'estimate' ? 'estimate' : 'upper-bound';
    return { value, kind };
  }

  /** `grad += scale·∇θ⟨K(x, z), y⟩`: the filter bank's correlation and the hidden layer's outer product. */
  paramVjp(v: Vec, y: Vec, grad: Float64Array, scale = 1): void {
    const [x, z] = this.split(v, true) as [Float64Array, Float64Array];
    const [y1, , y3] = this.split(y, false) as [Float64Array, Float64Array, Float64Array];
    let g = this.gradViews.get(grad);
    if (g === undefined) {
      g = [grad.subarray(0, this.pc), grad.subarray(this.pc, this.theta.length)];
      this.gradViews.set(grad, g);
    }
    this.conv.paramVjp(x, y1, g[0], scale);
    this.hidden.paramVjp(z, y3, g[1], scale);
  }

  /** `max(C_{W₀}, C_A)` (class comment). */
  paramVjpBound(): number {
    return Math.max(this.conv.paramVjpBound(), this.hidden.paramVjpBound());
  }
}
