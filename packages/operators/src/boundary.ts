/**
 * Boundary extension of images for convolutions: the map `E: x ↦ x̃` that pads an `H×W` image
 * by `rh` rows and `rw` columns on each side according to a boundary rule, and its adjoint
 * `Eᵀ` ("fold"), which adds every padded value back onto the pixel it was copied from.
 *
 * Every convolution of this package is `K = C ∘ E` with `C` a branch-free "valid"
 * correlation, so `Kᵀ = Eᵀ ∘ Cᵀ`: the boundary handling lives here only, once for all modes
 * and for both the learnable filter bank and the fixed blur.
 * @module
 */
/**
 * Boundary rule of a convolution, as the source index `ext(a)` of an out-of-range index `a`
 * on an axis of length `n` (the extension is separable: rows and columns independently):
 * - `zero`: `x̃_a = 0` outside `[0, n)`;
 * - `symmetric`: half-sample symmetric, the edge pixel is repeated (`… x1 x0 | x0 x1 …`,
 *   numpy `symmetric`, MATLAB `symmetric`), period `2n`;
 * - `reflect`: whole-sample symmetric, the edge is not repeated (`… x2 x1 | x0 x1 …`, numpy and
 *   PyTorch `reflect`), period `2n − 2` (a constant for `n = 1`);
 * - `periodic`: `x̃_a = x_{a mod n}` (numpy `wrap`, PyTorch `circular`).
 *
 * Pads wider than the image continue the periodic pattern (as numpy does for these modes).
 */
export type ConvBoundary = 'zero' | 'symmetric' | 'reflect' | 'periodic';

/** Source index in `[0, n)` of index `a` on an axis of length `n`, or `−1` for a zero value. */
export function boundaryIndex(a: number, n: number, boundary: ConvBoundary): number {
  if (a >= 0 && a < n) return a;
  switch (boundary) {
    case 'zero':
      return -1;
    case 'periodic':
      return ((a % n) + n) % n;
    case 'symmetric': {
      const p = 2 * n;
      const m = ((a % p) + p) % p;
      return m < n ? m : p - 1 - m;
    }
    case 'reflect': {
      if (n === 1) return 0;
      const p = 2 * n - 2;
      const m = ((a % p) + p) % p;
      return m < n ? m : p - m;
    }
  }
}

/**
 * The boundary extension `E: ℝ^{H×W} → ℝ^{(H+2rh)×(W+2rw)}`,
 * `(Ex)[a, b] = x[ext_H(a − rh), ext_W(b − rw)]` (zero where an index maps to −1), and its
 * adjoint. Index maps are precomputed; the interior is copied without branches.
 */
export class BoundaryExtension {
  /** Rows of the padded image, `H + 2rh`. */
  readonly paddedHeight: number;
  /** Columns of the padded image, `W + 2rw`. */
  readonly paddedWidth: number;
  /** `ext_H(a − rh)` for every padded row `a`. */
  private readonly rowMap: Int32Array;
  /** `ext_W(b − rw)` for every padded column `b`. */
  private readonly colMap: Int32Array;
  /** Padded columns (left and right pads) and their sources. */
  private readonly padCols: Int32Array;
  private readonly padColSrc: Int32Array;

  /**
   * @param height `H`
   * @param width `W`
   * @param rh rows of padding on each side (kernel half-height)
   * @param rw columns of padding on each side (kernel half-width)
   * @param boundary the boundary rule
   */
  constructor(
    readonly height: number,
    readonly width: number,
    readonly rh: number,
    readonly rw: number,
    readonly boundary: ConvBoundary,
  ) {
    this.paddedHeight = height + 2 * rh;
    this.paddedWidth = width + 2 * rw;
    this.rowMap = Int32Array.from({ length: this.paddedHeight }, (_, a) => boundaryIndex(a - rh, height, boundary));
    this.colMap = Int32Array.from({ length: this.paddedWidth }, (_, b) => boundaryIndex(b - rw, width, boundary));
    const pads = [...Array(rw).keys(), ...Array.from({ length: rw }, (_, b) => width + rw + b)];
    this.padCols = Int32Array.from(pads);
    this.padColSrc = Int32Array.from(pads, (b) => this.colMap[b]!);
  }

  /** Write `E x` (the image at `x[xOff …]`) into `dst[dOff …]` (`paddedHeight·paddedWidth` entries). */
  extend(x: Float64Array, xOff: number, dst: Float64Array, dOff: number): void {
    const { height: H, width: W, rh, rw, paddedWidth: PW } = this;
    for (let i = 0; i < H; i++) {
      const s = xOff + i * W;
      const di = dOff + (i + rh) * PW + rw - s;
      for (let k = s; k < s + W; k++) dst[k + di] = x[k]!;
    }
    this.pad(dst, dOff);
  }

  /**
   * Complete `E x` at `dst[dOff …]` whose interior (rows `rh…`, columns `rw…`) already holds
   * `x`: write the margins (copies of interior pixels, or zeros).
   */
  pad(dst: Float64Array, dOff: number): void {
    const { height: H, rh, rw, paddedWidth: PW, paddedHeight: PH, padCols, padColSrc } = this;
    for (let i = 0; i < H; i++) {
      const d = dOff + (i + rh) * PW;
      for (let c = 0; c < padCols.length; c++) {
        const src = padColSrc[c]!;
        dst[d + padCols[c]!] = src >= 0 ? dst[d + rw + src]! : 0;
      }
    }
    for (let a = 0; a < PH; a++) {
      if (a >= rh && a < rh + H) continue;
      const d = dOff + a * PW;
      const src = this.rowMap[a]!;
      if (src < 0) {
        dst.fill(0, d, d + PW);
      } else {
        dst.copyWithin(d, dOff + (src + rh) * PW, dOff + (src + rh + 1) * PW);
      }
    }
  }

  /**
   * Write `Eᵀ z` (the padded array at `z[zOff …]`) into `out[oOff …]` (`H·W` entries): every
   * padded value is added to the pixel it was copied from, values of zero padding are dropped.
   * `z` is used as workspace ({@link BoundaryExtension.foldMargins}).
   */
  fold(z: Float64Array, zOff: number, out: Float64Array, oOff: number): void {
    const { height: H, width: W, rh, rw, paddedWidth: PW } = this;
    this.foldMargins(z, zOff);
    for (let i = 0; i < H; i++) {
      const o = oOff + i * W;
      const di = zOff + (i + rh) * PW + rw - o;
      for (let k = o; k < o + W; k++) out[k] = z[k + di]!;
    }
  }

  /**
   * `Eᵀ` in place: add the margins of the padded array at `z[zOff …]` into its interior (pad
   * rows into interior rows, then pad columns into interior columns, each in index order), which
   * then holds `Eᵀ z`. The pad rows keep their values; the pad columns of the interior rows
   * then include the corners folded into them.
   */
  foldMargins(z: Float64Array, zOff: number): void {
    const { height: H, rh, rw, paddedWidth: PW, paddedHeight: PH, padCols, padColSrc } = this;
    for (let a = 0; a < PH; a++) {
      if (a >= rh && a < rh + H) continue;
      const src = this.rowMap[a]!;
      if (src < 0) continue;
      const from = zOff + a * PW;
      const d = zOff + (src + rh) * PW - from;
      for (let k = from; k < from + PW; k++) z[k + d] = z[k + d]! + z[k]!;
    }
    for (let i = 0; i < H; i++) {
      const s = zOff + (i + rh) * PW;
      for (let c = 0; c < padCols.length; c++) {
        const src = padColSrc[c]!;
        if (src >= 0) z[s + rw + src] = z[s + rw + src]! + z[s + padCols[c]!]!;
      }
    }
  }
}
