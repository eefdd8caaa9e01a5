/**
 * Dense matrices with learnable entries.
 * @module
 */
import {
  ShapeError,
  formatShape,
  positiveInt,
  shapeSize,
  z,
  type OperatorNorm,
  type ParametricOperator,
  type Shape,
  type Vec,
} from '@bilevel/core';
import { estimateNorm, NormCache } from './norms.js';
import { checkCall, checkData, copyParams, checkVjpCall, float64Array, parseOptions, parseShape } from './validate.js';

/**
 * A dense matrix `A ∈ ℝ^{rows×cols}` with learnable entries, `θ = vec(A)` row-major
 * (`θ[i·cols + j] = A_ij`); domain `[cols]`, range `[rows]` unless other shapes of those sizes
 * are given (e.g. an image domain `[C, H, W]`, entries flattened row-major).
 *
 * `(A x)_i = Σ_j A_ij x_j`, `(Aᵀ y)_j = Σ_i A_ij y_i`, and the parameter derivative is the
 * outer product `∇_A ⟨A x, y⟩ = y xᵀ` (docs/math/piggyback.md#assembly-with-paramvjp). `norm()` is a seeded
 * power-iteration estimate (kind `estimate`). `out` must not alias `x`.
 */
export class DenseMatrix implements ParametricOperator {
  /** `[cols]`, or the given shape of `cols` entries. */
  readonly domain: Shape;
  /** `[rows]`, or the given shape of `rows` entries. */
  readonly range: Shape;
  /** The entries `A_ij` at `i·cols + j` (owned; change them with {@link DenseMatrix.setParams}). */
  readonly params: Float64Array;
  /** Number of rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;
  private readonly normCache: NormCache;

  /**
   * @param rows number of rows (range size)
   * @param cols number of columns (domain size)
   * @param data the `rows·cols` entries, row-major, finite (copied)
   * @param shapes optional `domain` (`cols` entries) and `range` (`rows` entries) shapes
   */
  constructor(rows: number, cols: number, data: Float64Array, shapes: { readonly domain?: Shape; readonly range?: Shape } = {}) {
    const o = parseOptions(
      z.strictObject({ rows: positiveInt, cols: positiveInt, data: float64Array }),
      { rows, cols, data },
      'DenseMatrix',
    );
    this.rows = o.rows;
    this.cols = o.cols;
    this.domain = shapes.domain ? sized(parseShape(shapes.domain, 'DenseMatrix domain'), o.cols, 'domain', 'cols') : Object.freeze([o.cols]);
    this.range = shapes.range ? sized(parseShape(shapes.range, 'DenseMatrix range'), o.rows, 'range', 'rows') : Object.freeze([o.rows]);
    checkData('DenseMatrix data', data, o.rows * o.cols);
    this.params = Float64Array.from(data);
    this.normCache = new NormCache(this.params);
  }

  /** `out = A x`. */
  apply(x: Vec, out: Vec): Vec {
    const { rows: m, cols: n, params: a } = this;
    checkCall('DenseMatrix.apply', x, this.domain, n, out, this.range, m, false);
    for (let i = 0; i < m; i++) {
      const r = i * n;
      let s = 0;
      for (let j = 0; j < n; j++) s += a[r + j]! * x[j]!;
      out[i] = s;
    }
    return out;
  }

  /** `out = Aᵀ y`. */
  adjoint(y: Vec, out: Vec): Vec {
    const { rows: m, cols: n, params: a } = this;
    checkCall('DenseMatrix.adjoint', y, this.range, m, out, this.domain, n, false);
    out.fill(0);
    for (let i = 0; i < m; i++) {
      const r = i * n;
      const yi = y[i]!;
      for (let j = 0; j < n; j++) out[j] = out[j]! + a[r + j]! * yi;
    }
    return out;
  }

  /** Power-iteration estimate of `σ_max(A)` (kind `estimate`), cached for the current entries. */
  norm(): OperatorNorm {
    return this.normCache.get(() => estimateNorm(this));
  }

  /** `A[i,j]` for every entry, row-major. */
  paramNames(): readonly string[] {
    const names: string[] = [];
    for (let i = 0; i < this.rows; i++) for (let j = 0; j < this.cols; j++) names.push(`A[${i},${j}]`);
    return names;
  }

  /** Copy `θ` (row-major entries) into `params` (the cached norm is kept for the same θ, recomputed for another). */
  setParams(theta: ArrayLike<number>): void {
    copyParams('DenseMatrix', this.params, theta);
  }

  /** `grad += scale · y xᵀ` (row-major). */
  /** `‖∇_M⟨Mx, y⟩‖_F = ‖y xᵀ‖_F = ‖x‖‖y‖`: the bound is 1. */
  paramVjpBound(): number {
    return 1;
  }

  paramVjp(x: Vec, y: Vec, grad: Float64Array, scale = 1): void {
    const { rows: m, cols: n } = this;
    checkVjpCall('DenseMatrix', x, this.domain, y, this.range, grad, m * n);
    for (let i = 0; i < m; i++) {
      const r = i * n;
      const s = scale * y[i]!;
      for (let j = 0; j < n; j++) grad[r + j] = grad[r + j]! + s * x[j]!;
    }
  }
}

function sized(shape: Shape, n: number, what: string, count: string): Shape {
  if (shapeSize(shape) !== n) {
    throw new ShapeError(`DenseMatrix ${what} shape ${formatShape(shape)} has ${shapeSize(shape)} entries, but ${count} = ${n}`);
  }
  return shape;
}
