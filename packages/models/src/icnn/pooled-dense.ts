/**
 * `z ↦ W·avgpool_s(z)`: average pooling followed by a learnable dense layer, the ICNN's hidden
 * layer (`fc₁ ∘ avgpool` of Wong's `simple_ICNN`; docs/math/icnn.md#the-network).
 * @module
 */
import { shapeSize, type OperatorNorm, type ParametricOperator, type Shape, type Vec } from '@bilevel/core';
import { AvgPool, DenseMatrix } from '@bilevel/operators';
import { ensure } from '@bilevel/core';
import { dataArray, positiveIntegerOption } from '@bilevel/core';

/** Options of {@link PooledDense}. */
export interface PooledDenseOptions {
  /** Channels `C` of the input. */
  readonly channels: number;
  /** Height `H` (divisible by `factor`). */
  readonly height: number;
  /** Width `W` (divisible by `factor`). */
  readonly width: number;
  /** Pooling factor `s` (blocks of `s×s`). */
  readonly factor: number;
  /** Output units `M`. */
  readonly units: number;
  /** Initial weights, `M·C·(H/s)·(W/s)` entries laid out `[unit][channel][row][col]` (default 0). */
  readonly weights?: ArrayLike<number>;
}

/**
 * `(A z)_m = Σ_{c,i,j} W[m, c, i, j]·(P z)[c, i, j]` with `P` the `s×s` average pooling
 * (`@bilevel/operators` `AvgPool`, `‖P‖ = 1/s`) and `W ∈ ℝ^{M × C(H/s)(W/s)}` learnable
 * (θ = `W` row-major, names `W[m][c,i,j]`; a `DenseMatrix` of `@bilevel/operators`, whose
 * products and outer product run on `P z`). In the ICNN `W ≥ 0` (kept by a projection hook),
 * which makes the composed network convex; the operator itself accepts any sign.
 *
 * - adjoint `Aᵀy = Pᵀ(Wᵀ y)` (`Pᵀ` spreads each value `/s²` over its block);
 * - parameter derivative `∇_W⟨A z, y⟩ = y (P z)ᵀ` (an outer product,
 *   docs/math/icnn.md#operator-norm-and-parameter-bound), with `‖y (Pz)ᵀ‖_F = ‖y‖‖Pz‖ ≤ ‖y‖‖z‖/s`: `paramVjpBound() = 1/s`;
 * - `norm()`: `min(‖W‖_F, √(‖W‖₁‖W‖_∞))/s` (Frobenius and Schur bounds of `‖W‖₂`), kind
 *   `upper-bound`, cached until `setParams`.
 *
 * Work arrays are allocated in the constructor; `apply`, `adjoint`, `paramVjp` allocate nothing.
 * `out` must not alias the input.
 */
export class PooledDense implements ParametricOperator {
  /** `[C, H, W]`. */
  readonly domain: Shape;
  /** `[M]`. */
  readonly range: Shape;
  /** The weights `W[m, c, i, j]` (owned; change them with {@link PooledDense.setParams}). */
  readonly params: Float64Array;
  /** The pooling operator `P`. */
  readonly pool: AvgPool;
  /** The dense layer `W` (its entries are {@link PooledDense.params}). */
  readonly dense: DenseMatrix;
  /** Number of units `M`. */
  readonly units: number;
  /** Number of pooled features `C(H/s)(W/s)`. */
  readonly features: number;
  private readonly pooled: Float64Array;
  private readonly back: Float64Array;
  private cachedNorm: OperatorNorm | undefined;

  constructor(options: PooledDenseOptions) {
    const C = positiveIntegerOption('PooledDense channels', options.channels);
    const H = positiveIntegerOption('PooledDense height', options.height);
    const W = positiveIntegerOption('PooledDense width', options.width);
    const s = positiveIntegerOption('PooledDense factor', options.factor);
    this.units = positiveIntegerOption('PooledDense units', options.units);
    ensure(H % s === 0 && W % s === 0, `PooledDense: height ${H} and width ${W} must be divisible by the pooling factor ${s}; crop the image or change factor`);
    this.pool = new AvgPool({ channels: C, height: H, width: W, factor: s });
    this.domain = this.pool.domain;
    this.range = Object.freeze([this.units]);
    this.features = shapeSize(this.pool.range);
    const n = this.units * this.features;
    this.dense = new DenseMatrix(this.units, this.features, options.weights === undefined ? new Float64Array(n) : dataArray('PooledDense weights', options.weights, n));
    this.params = this.dense.params;
    this.pooled = new Float64Array(this.features);
    this.back = new Float64Array(this.features);
  }

  /** Pooling factor `s`. */
  get factor(): number {
    return this.pool.factor;
  }

  /** `out = W P z`. */
  apply(z: Vec, out: Vec): Vec {
    return this.dense.apply(this.pool.apply(z, this.pooled), out);
  }

  /** `out = Pᵀ Wᵀ y`. */
  adjoint(y: Vec, out: Vec): Vec {
    return this.pool.adjoint(this.dense.adjoint(y, this.back), out);
  }

  /** `min(‖W‖_F, √(‖W‖₁‖W‖_∞))/s`, an upper bound, cached until `setParams`. */
  norm(): OperatorNorm {
    if (this.cachedNorm) return this.cachedNorm;
    const P = this.features;
    const w = this.params;
    let fro = 0;
    let rowMax = 0;
    const col = new Float64Array(P);
    for (let m = 0; m < this.units; m++) {
      let row = 0;
      for (let j = 0; j < P; j++) {
        const a = w[m * P + j]!;
        fro += a * a;
        row += Math.abs(a);
        col[j] = col[j]! + Math.abs(a);
      }
      rowMax = Math.max(rowMax, row);
    }
    let colMax = 0;
    for (const c of col) colMax = Math.max(colMax, c);
    const value = Math.min(Math.sqrt(fro), Math.sqrt(rowMax * colMax)) / this.factor;
    this.cachedNorm = { value, kind: 'upper-bound' };
    return this.cachedNorm;
  }

  /** `W[m][c,i,j]`, row-major. */
  paramNames(): readonly string[] {
    const [C, h, w] = this.pool.range as [number, number, number];
    const names: string[] = [];
    for (let m = 0; m < this.units; m++) {
      for (let c = 0; c < C; c++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) names.push(`W[${m}][${c},${i},${j}]`);
    }
    return names;
  }

  /** Copy `θ` into the weights (finite entries); invalidates the cached norm. */
  setParams(theta: ArrayLike<number>): void {
    this.dense.setParams(dataArray('PooledDense.setParams theta', theta, this.params.length));
    this.cachedNorm = undefined;
  }

  /** `grad += scale·y (P z)ᵀ`. */
  paramVjp(z: Vec, y: Vec, grad: Float64Array, scale = 1): void {
    this.dense.paramVjp(this.pool.apply(z, this.pooled), y, grad, scale);
  }

  /** `1/s`: `‖y (Pz)ᵀ‖_F ≤ ‖y‖‖z‖/s`. */
  paramVjpBound(): number {
    return 1 / this.factor;
  }
}
