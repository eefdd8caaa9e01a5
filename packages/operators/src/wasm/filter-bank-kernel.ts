/**
 * Host side of the WebAssembly filter-bank kernel (`filter-bank.wat`): one instance per
 * {@link ConvFilterBank} that uses it, owning a memory with the bank's kernels, the extended
 * input, the output and the zero-padded response, so that a call copies its arguments in and
 * its result out once and allocates nothing.
 *
 * The kernel computes `K = C ∘ E` like the JavaScript engine: the boundary extension `E` and
 * its adjoint (`BoundaryExtension.extend` / `fold`) run here, on views of the instance's
 * memory; only the correlation loops `C`, `Cᵀ` and the kernel gradient run in WebAssembly.
 * @module
 */
import { WasmKernel } from '@bilevel/core';
import type { BoundaryExtension } from '../boundary.js';
import { wasmBase64 } from './filter-bank.wasm.js';

/** Exports of `filter-bank.wat` (all arguments are `i32`: sizes, and byte offsets into memory). */
interface Exports {
  correlate(cin: number, cout: number, ph: number, pw: number, oh: number, ow: number, kh: number, kw: number, src: number, w: number, dst: number, rows: number, z0: number, z1: number, c1: number): void;
  gradient(cin: number, cout: number, ph: number, pw: number, oh: number, ow2: number, kh: number, kw: number, src: number, v: number, g: number, rows: number): void;
  copy(n: number, h: number, w: number, src: number, sh: number, sw: number, dst: number, dh: number, dw: number): void;
}

/** The compiled kernel, shared by every instance. */
const kernel = new WasmKernel<Exports>(wasmBase64, 'ConvFilterBank', "backend: 'js' (the JavaScript loops)");

/** Guard bytes before the first and after the last array (loads of a half lane pair may read past a row). */
const PAD = 64;

/** Geometry of a bank: channels, kernel size, the extension of its input and its output size. */
export interface BankGeometry {
  /** Input channels. */
  readonly cin: number;
  /** Output channels (filters). */
  readonly cout: number;
  /** Kernel rows. */
  readonly kh: number;
  /** Kernel columns. */
  readonly kw: number;
  /** The boundary extension `E` of one input channel (`paddedHeight = OH + kh − 1`, same for columns). */
  readonly ext: BoundaryExtension;
  /** Whether `E` pads with zeros (`zero`; not `valid`, whose `E` is the identity): `Eᵀ` then keeps the interior only. */
  readonly zeroPadded: boolean;
  /** Output rows `OH`. */
  readonly outHeight: number;
  /** Output columns `OW`. */
  readonly outWidth: number;
}

/**
 * Rows and columns of the zero margins around `y` for the adjoint's correlation: `kh − 1`,
 * `kw − 1` (the full convolution), or the extension's `rh`, `rw` when `Eᵀ` keeps the interior
 * only (zero padding).
 */
function adjointMargins(g: BankGeometry): { top: number; left: number } {
  return g.zeroPadded ? { top: g.ext.rh, left: g.ext.rw } : { top: g.kh - 1, left: g.kw - 1 };
}

/** Array sizes (in doubles) of the kernel's memory for a bank. */
function layout(g: BankGeometry) {
  const { cin, cout, kh, kw, outHeight: OH, outWidth: OW } = g;
  const { top, left } = adjointMargins(g);
  const nk = cout * cin * kh * kw;
  const bordered = cout * cin * (kh + 2) * kw;
  const extended = cin * g.ext.paddedHeight * g.ext.paddedWidth;
  const response = cout * OH * OW;
  const padded = cout * (OH + 2 * top) * (OW + 2 * left);
  const even = OW % 2 ? cout * OH * (OW + 1) : 0;
  const dense = cin * g.ext.height * g.ext.width;
  return { nk, bordered, extended, response, padded, even, dense, doubles: nk + 2 * bordered + extended + response + padded + even + dense };
}

/**
 * The WebAssembly SIMD loops of one filter bank. Arrays in the instance's memory (doubles):
 * kernels `[out][in][kh + 2][kw]` (`wf`) and the rotated kernels of the adjoint
 * `[in][out][kh + 2][kw]` (`wa`), each with a zero row above and below (the kernel's layout
 * for the loops that compute two output rows per pass), the kernel gradient (`g`), the extended
 * input `E x` / the padded adjoint grid (`x`), the response `y` (`y`), `y` between the zero
 * margins of the adjoint (`yp`) and, for an odd output width, `y` with a zero column appended
 * (`ye`, rows of whole lane pairs for the gradient), and the dense input `x` / result `Eᵀ…`
 * of the adjoint (`xd`: one copy between the caller's array and the memory, the extension's
 * interior placed or taken by the kernel's `copy`). The zero margins and rows of `wf`, `wa`,
 * `yp`, `ye` are never written: the memory starts zeroed.
 */
export class FilterBankKernel {
  private readonly exports: Exports;
  private readonly mem: Float64Array;
  private readonly yView: Float64Array;
  /** The first `C_in·H·W` entries of the `x` array (the adjoint's result with zero padding). */
  private readonly xHead: Float64Array;
  /** The `xd` array (`C_in·H·W` entries). */
  private readonly xDense: Float64Array;
  /** Byte offsets. */
  private readonly at: { xd: number; wf: number; wa: number; g: number; x: number; y: number; yp: number; ye: number };
  private readonly nk: number;
  /** Rows per band of the correlation and of the gradient. */
  private readonly rows: { apply: number; adjoint: number; gradient: number };
  /** Zero margins around `y` in `yp` (see `adjointMargins`). */
  private readonly margins: { top: number; left: number };

  /** Whether WebAssembly SIMD is available (the kernel can be instantiated). */
  static available(): boolean {
    return kernel.available();
  }

  /** Bytes of memory an instance for `g` needs. */
  static bytes(g: BankGeometry): number {
    return 2 * PAD + 8 * layout(g).doubles;
  }

  /**
   * @param g the bank's geometry
   * @throws ShapeError when the arrays need more than the 4 GiB a 32-bit instance can address
   * @throws BilevelError without WebAssembly SIMD
   */
  constructor(readonly g: BankGeometry) {
    const l = layout(g);
    const what = `${g.cin}→${g.cout} channels of ${g.ext.height}×${g.ext.width} with ${g.kh}×${g.kw} kernels`;
    const instance = kernel.instantiate(FilterBankKernel.bytes(g), what);
    this.exports = instance.exports;
    this.mem = new Float64Array(instance.buffer);
    this.nk = l.nk;
    this.margins = adjointMargins(g);
    let next = PAD;
    const take = (doubles: number): number => {
      const at = next;
      next += 8 * doubles;
      return at;
    };
    // x is followed by y: a load past the end of x reads y (finite), the last array by the guard;
    // xd (the caller's values) is read by copy only, which stays within its rows
    this.at = { xd: take(l.dense), wf: take(l.bordered), wa: take(l.bordered), g: take(l.nk), x: take(l.extended), y: take(l.response), yp: take(l.padded), ye: take(l.even) };
    this.xDense = this.mem.subarray(this.at.xd / 8, this.at.xd / 8 + l.dense);
    this.yView = this.mem.subarray(this.at.y / 8, this.at.y / 8 + l.response);
    this.xHead = this.mem.subarray(this.at.x / 8, this.at.x / 8 + g.cin * g.ext.height * g.ext.width);
    // bands of an even number of rows (a lone filter goes in pairs of rows)
    const band = (rowDoubles: number, limit: number): number => 2 * Math.max(1, Math.floor(limit / (2 * rowDoubles)));
    this.rows = {
      apply: band(g.cin * g.ext.paddedWidth, 4096),
      adjoint: band(g.cout * (g.outWidth + 2 * g.kw - 2), 4096),
      gradient: band(2 * g.outWidth + g.cin * g.ext.paddedWidth, 4096),
    };
  }

  /** Byte offset of the interior (row `rh`, column `rw`) of the first plane of the `x` array. */
  private get interior(): number {
    const { ext } = this.g;
    return this.at.x + 8 * (ext.rh * ext.paddedWidth + ext.rw);
  }

  /** `E x` of every input channel into the `x` array: `x` into `xd`, its planes into the interiors, then the margins. */
  private extend(x: Float64Array): void {
    const { ext, cin } = this.g;
    const { paddedHeight: PH, paddedWidth: PW } = ext;
    this.xDense.set(x);
    this.exports.copy(cin, ext.height, ext.width, this.at.xd, ext.height, ext.width, this.interior, PH, PW);
    for (let i = 0; i < cin; i++) ext.pad(this.mem, this.at.x / 8 + i * PH * PW);
  }

  /**
   * The kernels `k` (`[out][in][kh][kw]`) into the zero-bordered array at byte `at`: as they
   * are (`[out][in]`), or rotated by 180° and transposed to `[in][out]` for the adjoint (the
   * rotation of a row-major kernel reverses its entries). The zero rows are never written.
   */
  private stage(k: Float64Array, at: number, adjoint: boolean): void {
    const { cin, cout, kh, kw } = this.g;
    const { mem } = this;
    const kk = kh * kw;
    for (let o = 0; o < cout; o++) {
      for (let i = 0; i < cin; i++) {
        const from = (o * cin + i) * kk;
        const to = at / 8 + ((adjoint ? i * cout + o : o * cin + i) * (kh + 2) + 1) * kw;
        if (adjoint) for (let t = 0; t < kk; t++) mem[to + kk - 1 - t] = k[from + t]!;
        else for (let t = 0; t < kk; t++) mem[to + t] = k[from + t]!;
      }
    }
  }

  /**
   * `out[o] = Σ_i C(E x[i], k[o, i])` (`out` may alias `x`). Rows of zero padding in `E x`
   * are skipped, and so are the right padding's columns where a block's taps read only those.
   */
  apply(k: Float64Array, x: Float64Array, out: Float64Array): void {
    const { cin, cout, kh, kw, ext, outHeight: OH, outWidth: OW } = this.g;
    // rows of E x that can be non-zero: all, or the image's with zero padding
    const z0 = this.g.zeroPadded ? ext.rh : 0;
    const z1 = this.g.zeroPadded ? ext.rh + ext.height : ext.paddedHeight;
    this.extend(x);
    this.stage(k, this.at.wf, false);
    this.exports.correlate(cin, cout, ext.paddedHeight, ext.paddedWidth, OH, OW, kh, kw, this.at.x, this.at.wf, this.at.y, this.rows.apply, z0, z1, this.g.zeroPadded ? ext.rw + ext.width : ext.paddedWidth);
    out.set(this.yView);
  }

  /**
   * `out[i] = Eᵀ Σ_o Cᵀ(y[o], k[o, i])`: the full convolution as the correlation of `y` between
   * `kh − 1` rows and `kw − 1` columns of zeros with the kernels rotated by 180°, then `Eᵀ`
   * (`out` may alias `y`). With zero padding `Eᵀ` keeps only the interior of the full grid,
   * which is the correlation of `y` between `(kh − 1)/2` rows and `(kw − 1)/2` columns of
   * zeros: computed directly, without the border band. The correlation skips the zero rows, and
   * the zero columns on the right where a block's taps read only those.
   */
  adjoint(k: Float64Array, y: Float64Array, out: Float64Array): void {
    const { cin, cout, kh, kw, ext, outHeight: OH, outWidth: OW } = this.g;
    const { mem, at } = this;
    const { top, left } = this.margins;
    const ph = OH + 2 * top;
    const pw = OW + 2 * left;
    this.yView.set(y);
    this.exports.copy(cout, OH, OW, at.y, OH, OW, at.yp + 8 * (top * pw + left), ph, pw);
    this.stage(k, at.wa, true);
    // the correlation's output: the interior H×W (zero padding) or the whole grid to fold
    const oh = ph - kh + 1;
    const ow = pw - kw + 1;
    this.exports.correlate(cout, cin, ph, pw, oh, ow, kh, kw, at.yp, at.wa, at.x, this.rows.adjoint, top, top + OH, left + OW);
    if (this.g.zeroPadded) {
      out.set(this.xHead);
      return;
    }
    // Eᵀ: the margins into the interiors, the interiors into xd, xd to out
    const { paddedHeight: PH, paddedWidth: PW } = ext;
    for (let i = 0; i < cin; i++) ext.foldMargins(mem, at.x / 8 + i * PH * PW);
    this.exports.copy(cin, ext.height, ext.width, this.interior, PH, PW, at.xd, ext.height, ext.width);
    out.set(this.xDense);
  }

  /** `grad[o, i, a, b] += scale·Σ_p y[o]_p (E x[i])_{p + (a, b)}`. */
  paramVjp(x: Float64Array, y: Float64Array, grad: Float64Array, scale: number): void {
    const { cin, cout, kh, kw, ext, outHeight: OH, outWidth: OW } = this.g;
    const { mem, at } = this;
    this.extend(x);
    this.yView.set(y);
    let v = at.y;
    let ow2 = OW;
    if (OW % 2 === 1) {
      // rows of even width (a zero appended) so the gradient loop runs over whole lane pairs
      ow2 = OW + 1;
      this.exports.copy(cout, OH, OW, at.y, OH, OW, at.ye, OH, ow2);
      v = at.ye;
    }
    this.exports.gradient(cin, cout, ext.paddedHeight, ext.paddedWidth, OH, ow2, kh, kw, at.x, v, at.g, this.rows.gradient);
    const g = at.g / 8;
    for (let t = 0; t < this.nk; t++) grad[t] = grad[t]! + scale * mem[g + t]!;
  }
}
