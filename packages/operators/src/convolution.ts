/**
 * 2-D convolutions with boundary rules: the learnable multi-channel filter bank
 * ({@link ConvFilterBank}) and the fixed per-channel convolution used for blur
 * ({@link Convolution2D}). Both are `K = C ∘ E` (boundary extension, then valid correlation)
 * and share one engine, {@link ConvEngine}, so the boundary handling exists once. The filter
 * bank runs the engine's loops in WebAssembly SIMD where available (`wasm/filter-bank.wat`);
 * the JavaScript engine is the reference and the fallback.
 * @module
 */
import {
  WASM_MAX_BYTES,
  z,
  type Described,
  type LinearOperator,
  type OperatorNorm,
  type ParametricOperator,
  type Shape,
  type Vec,
} from '@bilevel/core';
import { BoundaryExtension, boundaryIndex, type ConvBoundary } from './boundary.js';
import { convolveFull, correlateGrad, correlateValid, correlateValid2 } from './correlate.js';
import { filterBankNormBound } from './frequency-bound.js';
import { NormCache } from './norms.js';
import { FilterBankKernel } from './wasm/filter-bank-kernel.js';
import {
  BANK_BOUNDARIES,
  BOUNDARIES,
  checkCall,
  checkData,
  copyParams,
  checkVjpCall,
  dimension,
  ensure,
  float64Array,
  oddSize,
  parseOptions,
} from './validate.js';

/**
 * Boundary rule of a {@link ConvFilterBank}: a rule of the extension `E` (see {@link ConvBoundary}),
 * or `valid`: no extension, the output has a value only where the whole window lies in the
 * image, so `H×W` inputs give `(H − kh + 1)×(W − kw + 1)` outputs (PyTorch `conv2d` without
 * padding, MATLAB `conv2(…, 'valid')`).
 */
export type FilterBankBoundary = ConvBoundary | 'valid';

/**
 * Geometry, workspace and loops shared by the convolutions: images `H×W`, kernels `kh×kw`
 * (odd), a boundary rule. Kernels of a bank are stored `[out][in][kh][kw]`. Outputs are
 * `OH×OW = H×W`, or `(H − kh + 1)×(W − kw + 1)` for `valid`, whose extension is the identity
 * (no padding): in both cases the extended image has `OH + kh − 1` rows and `OW + kw − 1` columns.
 *
 * Not re-entrant: one workspace per operator (JavaScript is single-threaded, and an operator
 * never calls itself).
 */
class ConvEngine {
  readonly ext: BoundaryExtension;
  /** Entries of one padded image. */
  readonly padSize: number;
  readonly hw: number;
  /** Output rows `OH`. */
  readonly outHeight: number;
  /** Output columns `OW`. */
  readonly outWidth: number;
  /** `OH·OW`. */
  readonly ohw: number;
  readonly ksize: number;
  private work: Float64Array;

  constructor(
    readonly height: number,
    readonly width: number,
    readonly kh: number,
    readonly kw: number,
    boundary: FilterBankBoundary,
    /** Padded images held at once (input channels of a bank, 1 for per-channel convolution). */
    slots: number,
  ) {
    const valid = boundary === 'valid';
    this.ext = valid
      ? new BoundaryExtension(height, width, 0, 0, 'zero')
      : new BoundaryExtension(height, width, (kh - 1) / 2, (kw - 1) / 2, boundary);
    this.outHeight = valid ? height - kh + 1 : height;
    this.outWidth = valid ? width - kw + 1 : width;
    this.ohw = this.outHeight * this.outWidth;
    this.padSize = this.ext.paddedHeight * this.ext.paddedWidth;
    this.hw = height * width;
    this.ksize = kh * kw;
    this.work = new Float64Array(slots * this.padSize);
  }

  /**
   * Rows per block of the bank loops: all channel pairs are processed on one block of rows
   * before the next, so the block of the padded inputs (or of the adjoint accumulators) stays in
   * cache while every kernel passes over it.
   */
  private get rowBlock(): number {
    return Math.max(4, Math.floor(8192 / this.outWidth));
  }

  /** `out[o] = Σ_i C(E x[i], k[o,i])` for a `cout×cin` bank (`out` may alias `x`). */
  applyBank(k: Float64Array, cin: number, cout: number, x: Vec, out: Vec): void {
    const { ext, padSize: ps, hw, ohw, ksize, kh, kw, outHeight: H, outWidth: W, work } = this;
    const pw = ext.paddedWidth;
    for (let i = 0; i < cin; i++) ext.extend(x, i * hw, work, i * ps);
    out.fill(0, 0, cout * ohw);
    const B = this.rowBlock;
    for (let y0 = 0; y0 < H; y0 += B) {
      const y1 = Math.min(H, y0 + B);
      let o = 0;
      for (; o + 1 < cout; o += 2) {
        for (let i = 0; i < cin; i++) {
          const ka = (o * cin + i) * ksize;
          const kb = ((o + 1) * cin + i) * ksize;
          correlateValid2(work, i * ps, pw, k, ka, kb, kh, kw, out, o * ohw, (o + 1) * ohw, W, y0, y1);
        }
      }
      if (o < cout) {
        for (let i = 0; i < cin; i++) correlateValid(work, i * ps, pw, k, (o * cin + i) * ksize, kh, kw, out, o * ohw, W, y0, y1);
      }
    }
  }

  /** `out[i] = Eᵀ Σ_o Cᵀ(y[o], k[o,i])`, the adjoint of {@link ConvEngine.applyBank} (`out` may alias `y`). */
  adjointBank(k: Float64Array, cin: number, cout: number, y: Vec, out: Vec): void {
    const { ext, padSize: ps, hw, ohw, ksize, kh, kw, outHeight: H, outWidth: W, work } = this;
    work.fill(0, 0, cin * ps);
    const B = this.rowBlock;
    for (let u0 = 0; u0 < H; u0 += B) {
      const u1 = Math.min(H, u0 + B);
      for (let o = 0; o < cout; o++) {
        for (let i = 0; i < cin; i++) convolveFull(y, o * ohw, W, k, (o * cin + i) * ksize, kh, kw, work, i * ps, u0, u1);
      }
    }
    for (let i = 0; i < cin; i++) ext.fold(work, i * ps, out, i * hw);
  }

  /** `grad[o,i] += scale·Σ_p y[o]_p (E x[i])_{p+q}`, the gradient of `⟨K_k x, y⟩` in `k`. */
  vjpBank(cin: number, cout: number, x: Vec, y: Vec, grad: Float64Array, scale: number): void {
    const { ext, padSize: ps, hw, ohw, ksize, kh, kw, outHeight: H, outWidth: W, work } = this;
    const pw = ext.paddedWidth;
    for (let i = 0; i < cin; i++) ext.extend(x, i * hw, work, i * ps);
    const B = this.rowBlock;
    for (let y0 = 0; y0 < H; y0 += B) {
      const y1 = Math.min(H, y0 + B);
      for (let o = 0; o < cout; o++) {
        for (let i = 0; i < cin; i++) {
          correlateGrad(y, o * ohw, W, work, i * ps, pw, kh, kw, grad, (o * cin + i) * ksize, scale, y0, y1);
        }
      }
    }
  }

  /** `out[c] = C(E x[c], k)` for every channel `c` (`out` may alias `x`). */
  applyEach(k: Float64Array, channels: number, x: Vec, out: Vec): void {
    const { ext, hw, kh, kw, height: H, width: W, work } = this;
    for (let c = 0; c < channels; c++) {
      ext.extend(x, c * hw, work, 0);
      out.fill(0, c * hw, (c + 1) * hw);
      correlateValid(work, 0, ext.paddedWidth, k, 0, kh, kw, out, c * hw, W, 0, H);
    }
  }

  /** `out[c] = Eᵀ Cᵀ(y[c], k)` for every channel (`out` may alias `y`). */
  adjointEach(k: Float64Array, channels: number, y: Vec, out: Vec): void {
    const { ext, hw, kh, kw, height: H, width: W, work, padSize } = this;
    for (let c = 0; c < channels; c++) {
      work.fill(0, 0, padSize);
      convolveFull(y, c * hw, W, k, 0, kh, kw, work, 0, 0, H);
      ext.fold(work, 0, out, c * hw);
    }
  }

  /**
   * A provable bound on `‖K‖` for the bank with kernels `k` by the Schur test: with `M` the
   * operator of the kernels `|k|` (entrywise `M ≥ |K|`), `‖K‖ ≤ ‖M‖ ≤ √(‖M‖_∞·‖M‖_1)`, where
   * the largest row sum is `max(M 1)` and the largest column sum is `max(Mᵀ 1)`. This accounts
   * for the pixels that mirror boundaries use twice (their columns sum to more than `Σ|k|`),
   * and equals `Σ|k|` for one channel with zero or periodic boundaries.
   */
  schurBound(
    k: Float64Array,
    cin: number,
    cout: number,
    apply: Correlation = (w, x, out) => this.applyBank(w, cin, cout, x, out),
    adjoint: Correlation = (w, y, out) => this.adjointBank(w, cin, cout, y, out),
  ): number {
    const absK = Float64Array.from(k, Math.abs);
    const rows = new Float64Array(cout * this.ohw);
    const cols = new Float64Array(cin * this.hw);
    apply(absK, new Float64Array(cin * this.hw).fill(1), rows);
    adjoint(absK, new Float64Array(cout * this.ohw).fill(1), cols);
    let r = 0;
    for (const v of rows) r = Math.max(r, v);
    let c = 0;
    for (const v of cols) c = Math.max(c, v);
    return Math.sqrt(r * c);
  }
}

/** `out = K_w x` or `out = K_wᵀ y` of a bank with kernels `w` (the JavaScript or the WebAssembly loops). */
type Correlation = (w: Float64Array, input: Vec, out: Vec) => void;


/**
 * Where a {@link ConvFilterBank} runs its loops: `wasm` (WebAssembly SIMD, `filter-bank.wat`),
 * `js` (the JavaScript engine, the reference), or `auto`: `wasm` when the runtime has
 * WebAssembly SIMD and the bank's arrays fit in a 32-bit memory, else `js`.
 */
export type FilterBankBackend = 'auto' | 'wasm' | 'js';

/** Options of {@link ConvFilterBank}. */
export interface ConvFilterBankOptions {
  /** Input channels `C_in`. */
  readonly inChannels: number;
  /** Output channels (filters) `C_out`. */
  readonly outChannels: number;
  /** Image height `H`. */
  readonly height: number;
  /** Image width `W`. */
  readonly width: number;
  /** Side `k = 2r + 1` of the square kernels (odd). */
  readonly kernelSize: number;
  /** Boundary rule (default `zero`); `valid` needs `height, width ≥ kernelSize`. */
  readonly boundary?: FilterBankBoundary;
  /** Initial kernels, `C_out·C_in·k·k` finite entries laid out `[out][in][row][col]` (default zeros). */
  readonly kernels?: Float64Array;
  /** Where the loops run (default `auto`, see {@link FilterBankBackend}). */
  readonly backend?: FilterBankBackend;
}

const bankSchema = z
  .strictObject({
    inChannels: dimension,
    outChannels: dimension,
    height: dimension,
    width: dimension,
    kernelSize: oddSize,
    boundary: z.enum(BANK_BOUNDARIES).default('zero'),
    kernels: float64Array.optional(),
    backend: z.enum(['auto', 'wasm', 'js']).default('auto'),
  })
  .refine((o) => o.boundary !== 'valid' || (o.height >= o.kernelSize && o.width >= o.kernelSize), {
    message: "boundary 'valid' has no output pixel: height and width must be ≥ kernelSize; use a smaller kernel or another boundary",
    path: ['boundary'],
  });

/**
 * A learnable convolution filter bank `K_θ: ℝ^{C_in×H×W} → ℝ^{C_out×H'×W'}` (e.g. the 48 filters
 * of 7×7 of a Fields-of-Experts regularizer, or the first layer of an ICNN):
 * ```
 * (K x)[o, p] = Σ_i Σ_{q ∈ [−r, r]²} k[o, i, q]·x̃[i, p + q]
 * ```
 * a cross-correlation with centred offsets (the PyTorch `conv2d` convention, padding `r`), where
 * `x̃` is the boundary extension of `x` (`zero`, `symmetric`, `reflect` or `periodic`, see
 * {@link ConvBoundary}; then `H' = H`, `W' = W`). With the boundary `valid` there is no extension:
 * `p` runs over the positions whose window lies in the image, `p + q ∈ [0, H) × [0, W)`, so
 * `H' = H − k + 1`, `W' = W − k + 1` (`(Kx)[o, p]` above with `p` shifted by `r`). Parameters
 * `θ = k`, laid out `[C_out][C_in][kernelSize][kernelSize]` (entry `(o, i, a, b)` is the offset
 * `q = (a − r, b − r)`: row, then column).
 *
 * The adjoint is `Kᵀ = Eᵀ ∘ Cᵀ`: a full convolution of `y` with each kernel, then every
 * value the extension had copied is folded back onto its source pixel, so it is exact for every
 * boundary rule (for `valid`, `E` is the identity and the full convolution is the adjoint). The
 * parameter derivative is the cross-correlation of `y` with the extended
 * `x` per channel pair, `∂⟨K x, y⟩/∂k[o, i, q] = Σ_p y[o, p]·x̃[i, p + q]`
 * (docs/math/piggyback.md#assembly-with-paramvjp). `norm()` is a provable bound, the smaller of
 * the frequency-response bound `sup_ω σ_max(K̂(ω))` (certified from a grid; times `‖E‖ = 2` for
 * symmetric/reflect, whose norms can exceed the supremum) and the Schur test on the kernels'
 * absolute values (docs/math/operator-norms.md), cached for the current θ.
 *
 * The loops run in WebAssembly SIMD (`wasm/filter-bank.wat`, one instance and memory per
 * operator) when the runtime has it, else in JavaScript (the reference; see
 * {@link FilterBankBackend}); both compute the same sums up to rounding.
 *
 * `out` may alias the input when `C_in = C_out` (and the shapes agree). The operator keeps one
 * workspace of `C_in·(H + 2r)(W + 2r)` entries (the WebAssembly memory also holds the kernels,
 * the response and the zero-padded response); `apply`, `adjoint` and `paramVjp` allocate
 * nothing.
 */
export class ConvFilterBank implements ParametricOperator {
  /** `[C_in, H, W]`. */
  readonly domain: Shape;
  /** `[C_out, H', W']` (`H' = H`, `W' = W` except for `valid`). */
  readonly range: Shape;
  /** The kernels `[out][in][row][col]` (owned; change them with {@link ConvFilterBank.setParams}). */
  readonly params: Float64Array;
  /** `C_in`. */
  readonly inChannels: number;
  /** `C_out`. */
  readonly outChannels: number;
  /** Kernel side `k`. */
  readonly kernelSize: number;
  /** Boundary rule. */
  readonly boundary: FilterBankBoundary;
  /** Where the loops run: `wasm` or `js` (`auto` resolved at construction). */
  readonly backend: 'wasm' | 'js';
  private readonly engine: ConvEngine;
  private readonly kernel: FilterBankKernel | undefined;
  private readonly nIn: number;
  private readonly nOut: number;
  private readonly normCache: NormCache;

  /**
   * @param options channels, image size, kernel size, boundary (default `zero`), initial kernels
   *   (default 0), backend (default `auto`)
   * @throws BilevelError for `backend: 'wasm'` without WebAssembly SIMD
   * @throws ShapeError for `backend: 'wasm'` when the arrays exceed a 4 GiB memory
   */
  constructor(options: ConvFilterBankOptions) {
    const o = parseOptions(bankSchema, options, 'ConvFilterBank');
    const k = o.kernelSize;
    this.inChannels = o.inChannels;
    this.outChannels = o.outChannels;
    this.kernelSize = k;
    this.boundary = o.boundary;
    const nParams = o.outChannels * o.inChannels * k * k;
    if (o.kernels) {
      checkData('ConvFilterBank kernels', o.kernels, nParams);
      this.params = Float64Array.from(o.kernels);
    } else {
      this.params = new Float64Array(nParams);
    }
    this.normCache = new NormCache(this.params);
    this.engine = new ConvEngine(o.height, o.width, k, k, o.boundary, o.inChannels);
    const { outHeight, outWidth } = this.engine;
    this.domain = Object.freeze([o.inChannels, o.height, o.width]);
    this.range = Object.freeze([o.outChannels, outHeight, outWidth]);
    this.nIn = o.inChannels * o.height * o.width;
    this.nOut = o.outChannels * outHeight * outWidth;
    const geometry = { cin: o.inChannels, cout: o.outChannels, kh: k, kw: k, ext: this.engine.ext, zeroPadded: o.boundary === 'zero', outHeight, outWidth };
    const wasm =
      o.backend === 'wasm' ||
      (o.backend === 'auto' && FilterBankKernel.available() && FilterBankKernel.bytes(geometry) <= WASM_MAX_BYTES);
    this.kernel = wasm ? new FilterBankKernel(geometry) : undefined;
    this.backend = wasm ? 'wasm' : 'js';
  }

  /** `out = K_θ x`. */
  apply(x: Vec, out: Vec): Vec {
    checkCall('ConvFilterBank.apply', x, this.domain, this.nIn, out, this.range, this.nOut, true);
    this.applyWith(this.params, x, out);
    return out;
  }

  /** `out = K_θᵀ y` (exact adjoint for every boundary rule). */
  adjoint(y: Vec, out: Vec): Vec {
    checkCall('ConvFilterBank.adjoint', y, this.range, this.nOut, out, this.domain, this.nIn, true);
    this.adjointWith(this.params, y, out);
    return out;
  }

  /** `out = K_w x` for kernels `w` on the operator's backend. */
  private applyWith(w: Float64Array, x: Vec, out: Vec): void {
    if (this.kernel) this.kernel.apply(w, x, out);
    else this.engine.applyBank(w, this.inChannels, this.outChannels, x, out);
  }

  /** `out = K_wᵀ y` for kernels `w` on the operator's backend. */
  private adjointWith(w: Float64Array, y: Vec, out: Vec): void {
    if (this.kernel) this.kernel.adjoint(w, y, out);
    else this.engine.adjointBank(w, this.inChannels, this.outChannels, y, out);
  }

  /**
   * A certified bound on `‖K_θ‖` (kind `upper-bound`), cached for the current θ: the frequency
   * response bound of docs/math/operator-norms.md#by-boundary-rule (for zero, valid and periodic
   * boundaries within a few percent of the norm), or {@link ConvFilterBank.schurBound} where that
   * is smaller.
   */
  norm(): OperatorNorm {
    return this.normCache.get(() => {
      const [, height, width] = this.domain as [number, number, number];
      const k = this.kernelSize;
      const bank = { kernels: this.params, cin: this.inChannels, cout: this.outChannels, kh: k, kw: k };
      // the whole bank on its backend (as schurBound), groups of its filters on the JavaScript loops
      const schur = (kernels: Float64Array, cout: number): number =>
        cout === this.outChannels ? this.schurBound() : this.engine.schurBound(kernels, this.inChannels, cout);
      return { value: filterBankNormBound(bank, height, width, this.boundary, schur), kind: 'upper-bound' };
    });
  }

  /**
   * The Schur-test bound on `‖K_θ‖` alone, `√(‖M‖_∞‖M‖_1)` for the operator `M` of the kernels'
   * absolute values (docs/math/operator-norms.md#the-schur-test): `Σ|k|` for one channel pair
   * with zero, periodic or valid boundaries, and it counts the pixels mirror boundaries use twice.
   */
  schurBound(): number {
    return this.engine.schurBound(
      this.params,
      this.inChannels,
      this.outChannels,
      (w, x, out) => this.applyWith(w, x, out),
      (w, y, out) => this.adjointWith(w, y, out),
    );
  }

  /** The operator as data (`filter-bank`, its live kernels), for the kernel registry of `@bilevel/core`. */
  describe(): Described<'filter-bank'> {
    const [, height, width] = this.domain as [number, number, number];
    return {
      kind: 'filter-bank',
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      height,
      width,
      kernelSize: this.kernelSize,
      boundary: this.boundary,
      kernels: this.params,
    };
  }

  /** `kernel[o][i][a,b]` for every parameter (row `a`, column `b` of the kernel of the pair `(o, i)`). */
  paramNames(): readonly string[] {
    const names: string[] = [];
    const k = this.kernelSize;
    for (let o = 0; o < this.outChannels; o++) {
      for (let i = 0; i < this.inChannels; i++) {
        for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) names.push(`kernel[${o}][${i}][${a},${b}]`);
      }
    }
    return names;
  }

  /** Copy `θ` into the kernels (the cached norm is kept for the same θ, recomputed for another). */
  setParams(theta: ArrayLike<number>): void {
    copyParams('ConvFilterBank', this.params, theta);
  }

  /**
   * `C` with `‖∇_k⟨K_k x, y⟩‖ ≤ C‖x‖‖y‖`. The derivative in `k_{o,i,q}` is `⟨y_o, S_q x_i⟩` with
   * `S_q` the shifted boundary extension, so `C² = Σ_q ‖S_q‖² ≤ Σ_{q_r} m_H(q_r) · Σ_{q_c} m_W(q_c)`
   * where `m_L(q)` is the largest number of output positions an offset `q` maps to one input
   * index on an axis of length `L` (1 for zero, periodic and valid boundaries, so `C = k`; at
   * most 2 per axis for mirror boundaries when the kernel is narrower than the image).
   */
  paramVjpBound(): number {
    const r = (this.kernelSize - 1) / 2;
    const boundary = this.boundary;
    // valid: S_q is a crop, every input index is read at most once per offset
    if (boundary === 'valid') return this.kernelSize;
    const axis = (L: number): number => {
      let total = 0;
      const count = new Int32Array(L);
      for (let q = -r; q <= r; q++) {
        count.fill(0);
        let m = 0;
        for (let p = 0; p < L; p++) {
          const src = boundaryIndex(p + q, L, boundary);
          if (src >= 0) m = Math.max(m, ++count[src]!);
        }
        total += m;
      }
      return total;
    };
    return Math.sqrt(axis(this.domain[1]!) * axis(this.domain[2]!));
  }

  /** `grad[o,i,q] += scale·Σ_p y[o,p]·x̃[i,p+q]`. */
  paramVjp(x: Vec, y: Vec, grad: Float64Array, scale = 1): void {
    checkVjpCall('ConvFilterBank', x, this.domain, y, this.range, grad, this.params.length);
    if (this.kernel) this.kernel.paramVjp(x, y, grad, scale);
    else this.engine.vjpBank(this.inChannels, this.outChannels, x, y, grad, scale);
  }
}

/** Options of {@link Convolution2D}. */
export interface Convolution2DOptions {
  /** Channels `C` (each is convolved with the same kernel). */
  readonly channels: number;
  /** Image height `H`. */
  readonly height: number;
  /** Image width `W`. */
  readonly width: number;
  /** The kernel, `kh·kw` finite entries, row-major (copied). */
  readonly kernel: Float64Array;
  /**
   * Kernel size: `k` for `k×k`, or `[kh, kw]`; both odd. Default: the square root of
   * `kernel.length` (which must then be the square of an odd integer).
   */
  readonly kernelSize?: number | readonly [number, number];
  /** Boundary rule (default `zero`). */
  readonly boundary?: ConvBoundary;
}

const convSchema = z.strictObject({
  channels: dimension,
  height: dimension,
  width: dimension,
  kernel: float64Array,
  kernelSize: z.union([oddSize, z.tuple([oddSize, oddSize])]).optional(),
  boundary: z.enum(BOUNDARIES).default('zero'),
});

/**
 * A fixed 2-D convolution applied to each channel independently, e.g. a blur
 * (`gaussianKernel`, `boxKernel`, `motionKernel` or a user kernel):
 * ```
 * (K x)[c, p] = Σ_{q ∈ [−rh, rh]×[−rw, rw]} k[q]·x̃[c, p + q]
 * ```
 * a cross-correlation with centred offsets, `x̃` the boundary extension (see {@link ConvBoundary};
 * for the symmetric kernels of blur, correlation and convolution coincide). Same engine, and so
 * the same exact adjoint, as {@link ConvFilterBank}; not learnable. `norm()` is the Schur-test
 * bound (kind `upper-bound`; it equals `Σ|k|`, e.g. 1 for a normalised blur, with zero or
 * periodic boundaries). `out` may alias the input.
 */
export class Convolution2D implements LinearOperator {
  /** `[C, H, W]`. */
  readonly domain: Shape;
  /** `[C, H, W]`. */
  readonly range: Shape;
  /** The kernel, row-major `kh×kw` (a private copy). */
  readonly kernel: Float64Array;
  /** `[kh, kw]`. */
  readonly kernelShape: readonly [number, number];
  /** Boundary rule. */
  readonly boundary: ConvBoundary;
  /** Channels `C`. */
  readonly channels: number;
  private readonly engine: ConvEngine;
  private readonly n: number;
  private readonly normCache = new NormCache();

  /** @param options channels, image size, kernel, kernel size (default square), boundary (default `zero`) */
  constructor(options: Convolution2DOptions) {
    const o = parseOptions(convSchema, options, 'Convolution2D');
    let kh: number;
    let kw: number;
    if (o.kernelSize === undefined) {
      const s = Math.round(Math.sqrt(o.kernel.length));
      ensure(
        s * s === o.kernel.length && s % 2 === 1,
        `invalid Convolution2D options:\n  kernelSize: not given, and kernel.length = ${o.kernel.length} is not the square of an odd integer; pass kernelSize (odd, or [kh, kw] both odd)`,
      );
      kh = kw = s;
    } else if (typeof o.kernelSize === 'number') {
      kh = kw = o.kernelSize;
    } else {
      [kh, kw] = o.kernelSize;
    }
    checkData(`Convolution2D kernel (kernelSize ${kh}×${kw})`, o.kernel, kh * kw);
    this.kernel = Float64Array.from(o.kernel);
    this.kernelShape = Object.freeze([kh, kw] as const);
    this.boundary = o.boundary;
    this.channels = o.channels;
    this.domain = this.range = Object.freeze([o.channels, o.height, o.width]);
    this.n = o.channels * o.height * o.width;
    this.engine = new ConvEngine(o.height, o.width, kh, kw, o.boundary, 1);
  }

  /** `out = K x` (channel by channel). */
  apply(x: Vec, out: Vec): Vec {
    checkCall('Convolution2D.apply', x, this.domain, this.n, out, this.range, this.n, true);
    this.engine.applyEach(this.kernel, this.channels, x, out);
    return out;
  }

  /** `out = Kᵀ y` (exact for every boundary rule). */
  adjoint(y: Vec, out: Vec): Vec {
    checkCall('Convolution2D.adjoint', y, this.range, this.n, out, this.domain, this.n, true);
    this.engine.adjointEach(this.kernel, this.channels, y, out);
    return out;
  }

  /** Schur-test bound on `‖K‖` (kind `upper-bound`), cached. */
  norm(): OperatorNorm {
    return this.normCache.get(() => ({ value: this.engine.schurBound(this.kernel, 1, 1), kind: 'upper-bound' }));
  }
}
