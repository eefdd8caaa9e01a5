/**
 * The 2-D forward-difference gradient of multi-channel images and its adjoint (= −divergence).
 * @module
 */
import { z, type Described, type LinearOperator, type OperatorNorm, type Shape, type Vec } from '@bilevel/core';
import { checkCall, dimension, GRADIENT_BOUNDARIES, parseOptions } from './validate.js';

/**
 * Boundary rule of {@link Gradient2D}: `neumann` (the last difference is 0, the TV convention)
 * or `periodic` (differences wrap around).
 */
export type GradientBoundary = 'neumann' | 'periodic';

/** Options of {@link Gradient2D}. */
export interface Gradient2DOptions {
  /** Number of channels `C` (each channel is differentiated independently). */
  readonly channels: number;
  /** Image height `H` (rows, axis y). */
  readonly height: number;
  /** Image width `W` (columns, axis x). */
  readonly width: number;
  /** `neumann` (default; the TV convention: the last difference is 0) or `periodic`. */
  readonly boundary?: GradientBoundary;
}

const optionsSchema = z.strictObject({
  channels: dimension,
  height: dimension,
  width: dimension,
  boundary: z.enum(GRADIENT_BOUNDARIES).default('neumann'),
});

/**
 * The 2-D forward-difference gradient `D: ℝ^{C×H×W} → ℝ^{2×C×H×W}`, applied to each channel.
 *
 * The first block of the output holds the differences along x (the width axis), the second
 * those along y (the height axis):
 * ```
 * (Dx)[0,c,i,j] = x[c,i,j+1] − x[c,i,j]     (Dx)[1,c,i,j] = x[c,i+1,j] − x[c,i,j]
 * ```
 * Boundary: `neumann` sets the last difference to 0 (`(Dx)[0,c,i,W−1] = (Dx)[1,c,H−1,j] = 0`,
 * the convention of Chambolle, "An algorithm for total variation minimization and
 * applications", JMIV 2004, §2); `periodic` wraps (`x[c,i,W] = x[c,i,0]`).
 *
 * The adjoint is minus the discrete divergence, `Dᵀp = −div p` with (Neumann)
 * `(div p)[c,i,j] = p₀[c,i,j] − p₀[c,i,j−1] + p₁[c,i,j] − p₁[c,i−1,j]`, where terms with
 * index −1 and the last differences `p₀[·,·,W−1]`, `p₁[·,H−1,·]` are dropped.
 *
 * `norm()` is exact: the eigenvalues of `DᵀD` are sums of those of the 1-D Laplacians, so
 * `‖D‖² = λ_max(W) + λ_max(H)` with `λ_max(n) = 4cos²(π/2n)` (Neumann; the path graph) and,
 * periodic, `4` for even `n` and `4cos²(π/2n)` for odd `n` (the cycle graph). Both are below the
 * usual bound `‖D‖ ≤ √8`.
 */
export class Gradient2D implements LinearOperator {
  /** `[C, H, W]`. */
  readonly domain: Shape;
  /** `[2, C, H, W]`. */
  readonly range: Shape;
  /** Number of channels `C`. */
  readonly channels: number;
  /** Height `H`. */
  readonly height: number;
  /** Width `W`. */
  readonly width: number;
  /** Boundary rule. */
  readonly boundary: GradientBoundary;
  private readonly n: number;

  /** @param options channels, height, width, boundary (`neumann` by default) */
  constructor(options: Gradient2DOptions) {
    const o = parseOptions(optionsSchema, options, 'Gradient2D');
    this.channels = o.channels;
    this.height = o.height;
    this.width = o.width;
    this.boundary = o.boundary;
    this.domain = Object.freeze([o.channels, o.height, o.width]);
    this.range = Object.freeze([2, o.channels, o.height, o.width]);
    this.n = o.channels * o.height * o.width;
  }

  /** `out = D x` (forward differences; `out` has `2·C·H·W` entries, x-block first). */
  apply(x: Vec, out: Vec): Vec {
    const { n: N, height: H, width: W } = this;
    checkCall('Gradient2D.apply', x, this.domain, N, out, this.range, 2 * N, false);
    const periodic = this.boundary === 'periodic';
    const HW = H * W;
    for (let base = 0; base < N; base += HW) {
      const last = base + (H - 1) * W;
      // rows with a row below: fused x- and y-differences
      for (let r = base; r < last; r += W) {
        const e = r + W - 1;
        // sliding window (x[k] was loaded as x[k + 1] in the previous step), unrolled by 4:
        // V8 does not unroll, and the loop overhead is a large part of a stencil this small
        let v = x[r]!;
        let k = r;
        for (; k + 3 < e; k += 4) {
          const n1 = x[k + 1]!;
          const n2 = x[k + 2]!;
          const n3 = x[k + 3]!;
          const n4 = x[k + 4]!;
          out[k] = n1 - v;
          out[k + 1] = n2 - n1;
          out[k + 2] = n3 - n2;
          out[k + 3] = n4 - n3;
          const q = N + k;
          const b = k + W;
          out[q] = x[b]! - v;
          out[q + 1] = x[b + 1]! - n1;
          out[q + 2] = x[b + 2]! - n2;
          out[q + 3] = x[b + 3]! - n3;
          v = n4;
        }
        for (; k < e; k++) {
          const next = x[k + 1]!;
          out[k] = next - v;
          out[N + k] = x[k + W]! - v;
          v = next;
        }
        out[e] = periodic ? x[r]! - x[e]! : 0;
        out[N + e] = x[e + W]! - x[e]!;
      }
      // last row: x-differences, then the wrapped (periodic) or zero (Neumann) y-differences
      const e = last + W - 1;
      for (let k = last; k < e; k++) out[k] = x[k + 1]! - x[k]!;
      out[e] = periodic ? x[last]! - x[e]! : 0;
      if (periodic) {
        for (let j = 0; j < W; j++) out[N + last + j] = x[base + j]! - x[last + j]!;
      } else {
        for (let j = 0; j < W; j++) out[N + last + j] = 0;
      }
    }
    return out;
  }

  /** `out = Dᵀ p = −div p` (`p` has `2·C·H·W` entries, x-block first). */
  adjoint(p: Vec, out: Vec): Vec {
    const { n: N, height: H, width: W } = this;
    checkCall('Gradient2D.adjoint', p, this.range, 2 * N, out, this.domain, N, false);
    const periodic = this.boundary === 'periodic';
    const HW = H * W;
    for (let base = 0; base < N; base += HW) {
      for (let i = 0; i < H; i++) {
        const r = base + i * W;
        // y-part of row i: + p₁[i−1] (if that row exists or wraps), − p₁[i] (unless it is the
        // Neumann-dropped last difference)
        const up = periodic ? base + ((i + H - 1) % H) * W : i > 0 ? r - W : -1;
        const own = periodic || i < H - 1;
        divergenceRow(p, out, r, N, W, up, own, periodic);
      }
    }
    return out;
  }

  /** The operator as data (`gradient-2d`), for the kernel registry of `@bilevel/core`. */
  describe(): Described<'gradient-2d'> {
    return { kind: 'gradient-2d', channels: this.channels, height: this.height, width: this.width, boundary: this.boundary };
  }

  /** `‖D‖`, exact (closed form, see the class comment). */
  norm(): OperatorNorm {
    const lam = (n: number): number => {
      if (n === 1) return 0; // a single row/column has no differences
      if (this.boundary === 'periodic' && n % 2 === 0) return 4;
      const c = Math.cos(Math.PI / (2 * n));
      return 4 * c * c;
    };
    return { value: Math.sqrt(lam(this.width) + lam(this.height)), kind: 'exact' };
  }
}

/**
 * One row of `out = Dᵀp`: `out[r+j] = p₀[j−1] − p₀[j] + p₁[up+j] − p₁[r+j]` with the boundary
 * terms decided per row (`up < 0`: no row above; `own = false`: last difference dropped) and per
 * column (first/last column outside the inner loops, which carry no branches).
 */
function divergenceRow(p: Vec, out: Vec, r: number, N: number, W: number, up: number, own: boolean, periodic: boolean): void {
  const q = N + r; // p₁ of this row
  const e = r + W - 1;
  // sliding window over p₀: p₀[k] is the next step's p₀[k − 1]
  let prev = p[r]!;
  if (up >= 0 && own) {
    // the interior rows: unrolled by 4 (see Gradient2D.apply)
    const du = N + up - r;
    let k = r + 1;
    for (; k + 3 < e; k += 4) {
      const c0 = p[k]!;
      const c1 = p[k + 1]!;
      const c2 = p[k + 2]!;
      const c3 = p[k + 3]!;
      const u = k + du;
      const q = k + N;
      out[k] = prev - c0 + (p[u]! - p[q]!);
      out[k + 1] = c0 - c1 + (p[u + 1]! - p[q + 1]!);
      out[k + 2] = c1 - c2 + (p[u + 2]! - p[q + 2]!);
      out[k + 3] = c2 - c3 + (p[u + 3]! - p[q + 3]!);
      prev = c3;
    }
    for (; k < e; k++) {
      const c = p[k]!;
      out[k] = prev - c + (p[k + du]! - p[k + N]!);
      prev = c;
    }
  } else if (up >= 0) {
    const du = N + up - r;
    for (let k = r + 1; k < e; k++) {
      const c = p[k]!;
      out[k] = prev - c + p[k + du]!;
      prev = c;
    }
  } else if (own) {
    for (let k = r + 1; k < e; k++) {
      const c = p[k]!;
      out[k] = prev - c - p[k + N]!;
      prev = c;
    }
  } else {
    for (let k = r + 1; k < e; k++) {
      const c = p[k]!;
      out[k] = prev - c;
      prev = c;
    }
  }
  // first and last column: x-part with the boundary rule, then the y-part
  const y0 = (up >= 0 ? p[N + up]! : 0) - (own ? p[q]! : 0);
  if (W === 1) {
    out[r] = y0; // x-differences vanish for a single column (both boundary rules)
    return;
  }
  const yE = (up >= 0 ? p[N + up + W - 1]! : 0) - (own ? p[q + W - 1]! : 0);
  out[r] = (periodic ? p[e]! : 0) - p[r]! + y0;
  out[e] = p[e - 1]! - (periodic ? p[e]! : 0) + yE;
}
