/**
 * Sampling operators: inpainting mask, regular subsampling, crop and zero-padding, average
 * pooling.
 * @module
 */
import { z, type LinearOperator, type OperatorNorm, type Shape, type Vec } from '@bilevel/core';
import { ElementwiseProduct } from './elementwise.js';
import { checkCall, dimension, ensure, offsetInt, parseOptions } from './validate.js';

/**
 * The inpainting mask `(M x)_i = m_i x_i`, with `m` a 0/1 mask (1 = observed pixel) or any
 * finite weights of the same shape as `x`. Self-adjoint, `‖M‖ = max_i |m_i|` (exact).
 * `out === x` is allowed. (The same operator as a `Diagonal`, under the name of its use.)
 */
export class Mask extends ElementwiseProduct {
  /**
   * @param shape tensor shape, e.g. `[C, H, W]`
   * @param mask one finite weight per entry (copied)
   */
  constructor(shape: Shape, mask: Float64Array) {
    super('Mask', 'mask', shape, mask);
  }

  /** The mask `m` (a private copy). */
  get mask(): Float64Array {
    return this.weights;
  }
}

/** The size of the `[C, H, W]` image a sampling operator acts on (its domain). */
export interface ImageSizeOptions {
  /** Channels `C`. */
  readonly channels: number;
  /** Height `H`. */
  readonly height: number;
  /** Width `W`. */
  readonly width: number;
}

const imageSize = { channels: dimension, height: dimension, width: dimension };

/**
 * Copy between the big `[C, H, W]` and the small `[C, h, w]` layout the grid of rows
 * `top + stride·i` and columns `left + stride·j` (`i < h`, `j < w`) of each channel: a crop
 * window (`stride` 1) or a subsampling grid. `toSmall`: gather into `small`, else scatter into `big`.
 */
function copyWindow(
  big: Vec, small: Vec, C: number, H: number, W: number, top: number, left: number, h: number, w: number, toSmall: boolean, stride = 1,
): void {
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < h; i++) {
      const b = (c * H + top + stride * i) * W + left;
      const s = (c * h + i) * w;
      if (toSmall) for (let j = 0; j < w; j++) small[s + j] = big[b + stride * j]!;
      else for (let j = 0; j < w; j++) big[b + stride * j] = small[s + j]!;
    }
  }
}

/**
 * The gather `G: ℝ^{C×H×W} → ℝ^{C×h×w}` of the grid of rows `top + stride·i` and columns
 * `left + stride·j` of each channel; its adjoint scatters back into a zero image. Its rows are
 * distinct unit vectors, so `G Gᵀ = I` and `‖G‖ = 1` (exact). `out` must not alias the input.
 * The common part of {@link Crop} (`stride` 1) and {@link Subsample}.
 */
export abstract class GridGather implements LinearOperator {
  /** `[C, H, W]`. */
  readonly domain: Shape;
  /** `[C, h, w]`. */
  readonly range: Shape;
  private readonly n: number;
  private readonly m: number;

  /**
   * @param what class name, for messages
   * @param image `[C, H, W]`
   * @param grid `[h, w]`, the grid's rows and columns
   * @param gridTop first row of the grid
   * @param gridLeft first column of the grid
   * @param stride distance between grid rows and columns
   */
  constructor(
    private readonly what: string,
    image: readonly [number, number, number],
    grid: readonly [number, number],
    private readonly gridTop: number,
    private readonly gridLeft: number,
    private readonly stride: number,
  ) {
    const [C, H, W] = image;
    const [h, w] = grid;
    this.domain = Object.freeze([C, H, W]);
    this.range = Object.freeze([C, h, w]);
    this.n = C * H * W;
    this.m = C * h * w;
  }

  /** `out = G x` (the grid's values). */
  apply(x: Vec, out: Vec): Vec {
    checkCall(`${this.what}.apply`, x, this.domain, this.n, out, this.range, this.m, false);
    const [C, H, W] = this.domain as [number, number, number];
    const [, h, w] = this.range as [number, number, number];
    copyWindow(x, out, C, H, W, this.gridTop, this.gridLeft, h, w, true, this.stride);
    return out;
  }

  /** `out = Gᵀ y` (a zero image with `y` on the grid). */
  adjoint(y: Vec, out: Vec): Vec {
    checkCall(`${this.what}.adjoint`, y, this.range, this.m, out, this.domain, this.n, false);
    const [C, H, W] = this.domain as [number, number, number];
    const [, h, w] = this.range as [number, number, number];
    out.fill(0);
    copyWindow(out, y, C, H, W, this.gridTop, this.gridLeft, h, w, false, this.stride);
    return out;
  }

  /** `‖G‖ = 1`, exact. */
  norm(): OperatorNorm {
    return { value: 1, kind: 'exact' };
  }
}

/** Options of {@link Subsample}. */
export interface SubsampleOptions extends ImageSizeOptions {
  /** Keep every `factor`-th row and column. */
  readonly factor: number;
  /** Index of the first kept row and column, `0 ≤ offset < factor` (default 0). */
  readonly offset?: number;
}

const subsampleSchema = z.strictObject({
  ...imageSize,
  factor: dimension,
  offset: offsetInt.default(0),
});

/**
 * Regular subsampling `S: ℝ^{C×H×W} → ℝ^{C×H'×W'}`,
 * `(S x)[c, i, j] = x[c, offset + factor·i, offset + factor·j]`, with
 * `H' = ⌈(H − offset)/factor⌉`, `W' = ⌈(W − offset)/factor⌉`. The adjoint scatters `y` back
 * into a zero image. `S Sᵀ = I`, so `‖S‖ = 1` (exact). `out` must not alias the input.
 */
export class Subsample extends GridGather {
  /** The subsampling factor. */
  readonly factor: number;
  /** The offset of the first kept row/column. */
  readonly offset: number;

  /** @param options channels, image size, factor, offset (default 0) */
  constructor(options: SubsampleOptions) {
    const o = parseOptions(subsampleSchema, options, 'Subsample');
    ensure(o.offset < o.factor, `invalid Subsample options:\n  offset: must be < factor (${o.factor}), got ${o.offset}`);
    ensure(
      o.offset < o.height && o.offset < o.width,
      `invalid Subsample options:\n  offset: must be < height (${o.height}) and < width (${o.width}), got ${o.offset}`,
    );
    const h = Math.ceil((o.height - o.offset) / o.factor);
    const w = Math.ceil((o.width - o.offset) / o.factor);
    super('Subsample', [o.channels, o.height, o.width], [h, w], o.offset, o.offset, o.factor);
    this.factor = o.factor;
    this.offset = o.offset;
  }
}

/** Options of {@link Crop}. */
export interface CropOptions extends ImageSizeOptions {
  /** First row of the window. */
  readonly top: number;
  /** First column of the window. */
  readonly left: number;
  /** Rows `h` of the window (`top + h ≤ H`). */
  readonly cropHeight: number;
  /** Columns `w` of the window (`left + w ≤ W`). */
  readonly cropWidth: number;
}

const cropSchema = z.strictObject({
  ...imageSize,
  top: offsetInt,
  left: offsetInt,
  cropHeight: dimension,
  cropWidth: dimension,
});

/**
 * Crop `P: ℝ^{C×H×W} → ℝ^{C×h×w}`, `(P x)[c, i, j] = x[c, top + i, left + j]`. The adjoint is
 * zero-padding (the window is placed back into a zero image). `P Pᵀ = I`, so `‖P‖ = 1` (exact).
 * `out` must not alias the input.
 */
export class Crop extends GridGather {
  /** First row of the window. */
  readonly top: number;
  /** First column of the window. */
  readonly left: number;

  /** @param options channels, full size, window origin and size */
  constructor(options: CropOptions) {
    const o = parseOptions(cropSchema, options, 'Crop');
    ensure(
      o.top + o.cropHeight <= o.height,
      `invalid Crop options:\n  cropHeight: top + cropHeight = ${o.top + o.cropHeight} exceeds height ${o.height}`,
    );
    ensure(
      o.left + o.cropWidth <= o.width,
      `invalid Crop options:\n  cropWidth: left + cropWidth = ${o.left + o.cropWidth} exceeds width ${o.width}`,
    );
    super('Crop', [o.channels, o.height, o.width], [o.cropHeight, o.cropWidth], o.top, o.left, 1);
    this.top = o.top;
    this.left = o.left;
  }
}

/** Options of {@link ZeroPad}. */
export interface ZeroPadOptions extends ImageSizeOptions {
  /** Zero rows added above. */
  readonly top: number;
  /** Zero rows added below (default `top`). */
  readonly bottom?: number;
  /** Zero columns added on the left. */
  readonly left: number;
  /** Zero columns added on the right (default `left`). */
  readonly right?: number;
}

const padSchema = z.strictObject({
  ...imageSize,
  top: offsetInt,
  bottom: offsetInt.optional(),
  left: offsetInt,
  right: offsetInt.optional(),
});

/**
 * Zero-padding `ℝ^{C×h×w} → ℝ^{C×(top+h+bottom)×(left+w+right)}`, the adjoint of a
 * {@link Crop}: the image is placed at `(top, left)` in a zero image; the adjoint crops.
 * `‖·‖ = 1` (exact). `out` must not alias the input.
 */
export class ZeroPad implements LinearOperator {
  /** `[C, h, w]`. */
  readonly domain: Shape;
  /** `[C, top + h + bottom, left + w + right]`. */
  readonly range: Shape;
  private readonly crop: Crop;

  /** @param options channels, input size, padding on each side */
  constructor(options: ZeroPadOptions) {
    const o = parseOptions(padSchema, options, 'ZeroPad');
    const bottom = o.bottom ?? o.top;
    const right = o.right ?? o.left;
    this.crop = new Crop({
      channels: o.channels,
      height: o.top + o.height + bottom,
      width: o.left + o.width + right,
      top: o.top,
      left: o.left,
      cropHeight: o.height,
      cropWidth: o.width,
    });
    this.domain = this.crop.range;
    this.range = this.crop.domain;
  }

  /** `out` = the input placed into a zero image. */
  apply(x: Vec, out: Vec): Vec {
    return this.crop.adjoint(x, out);
  }

  /** `out` = the window of `y` (crop). */
  adjoint(y: Vec, out: Vec): Vec {
    return this.crop.apply(y, out);
  }

  /** `1`, exact. */
  norm(): OperatorNorm {
    return { value: 1, kind: 'exact' };
  }
}

/** Options of {@link AvgPool}. */
export interface AvgPoolOptions extends ImageSizeOptions {
  /** Block side `p`. */
  readonly factor: number;
}

const poolSchema = z.strictObject({ ...imageSize, factor: dimension });

/**
 * Average pooling `A: ℝ^{C×H×W} → ℝ^{C×(H/p)×(W/p)}`, the mean over non-overlapping `p×p`
 * blocks: `(A x)[c, I, J] = p⁻² Σ_{a,b<p} x[c, pI + a, pJ + b]` (the ICNN of arXiv 2412.06436
 * pools by 16; docs/math/icnn.md#the-network). The adjoint spreads `y[c, I, J]/p²` over its block. `A Aᵀ = p⁻² I`, so
 * `‖A‖ = 1/p` (exact). `out` must not alias the input.
 */
export class AvgPool implements LinearOperator {
  /** `[C, H, W]`. */
  readonly domain: Shape;
  /** `[C, H/p, W/p]`. */
  readonly range: Shape;
  /** Block side `p`. */
  readonly factor: number;
  private readonly n: number;
  private readonly m: number;

  /** @param options channels, image size (divisible by `factor`), factor */
  constructor(options: AvgPoolOptions) {
    const o = parseOptions(poolSchema, options, 'AvgPool');
    ensure(
      o.height % o.factor === 0,
      `invalid AvgPool options:\n  height: ${o.height} is not divisible by factor ${o.factor}; crop or pad the image first`,
    );
    ensure(
      o.width % o.factor === 0,
      `invalid AvgPool options:\n  width: ${o.width} is not divisible by factor ${o.factor}; crop or pad the image first`,
    );
    this.factor = o.factor;
    this.domain = Object.freeze([o.channels, o.height, o.width]);
    this.range = Object.freeze([o.channels, o.height / o.factor, o.width / o.factor]);
    this.n = o.channels * o.height * o.width;
    this.m = this.n / (o.factor * o.factor);
  }

  /** `out = A x` (block means). */
  apply(x: Vec, out: Vec): Vec {
    checkCall('AvgPool.apply', x, this.domain, this.n, out, this.range, this.m, false);
    const [, , W] = this.domain as [number, number, number];
    const [C, h, w] = this.range as [number, number, number];
    const p = this.factor;
    const s = 1 / (p * p);
    out.fill(0);
    // rows of x in order: each adds its p-blocks into one output row
    for (let ci = 0; ci < C * h; ci++) {
      const o = ci * w;
      for (let a = 0; a < p; a++) {
        const r = (ci * p + a) * W;
        for (let J = 0; J < w; J++) {
          let acc = 0;
          const b0 = r + J * p;
          for (let b = b0; b < b0 + p; b++) acc += x[b]!;
          out[o + J] = out[o + J]! + acc;
        }
      }
      for (let J = o; J < o + w; J++) out[J] = out[J]! * s;
    }
    return out;
  }

  /** `out = Aᵀ y` (each `y[c, I, J]/p²` spread over its block). */
  adjoint(y: Vec, out: Vec): Vec {
    checkCall('AvgPool.adjoint', y, this.range, this.m, out, this.domain, this.n, false);
    const [, , W] = this.domain as [number, number, number];
    const [C, h, w] = this.range as [number, number, number];
    const p = this.factor;
    const s = 1 / (p * p);
    for (let ci = 0; ci < C * h; ci++) {
      const o = ci * w;
      for (let a = 0; a < p; a++) {
        const r = (ci * p + a) * W;
        for (let J = 0; J < w; J++) {
          const v = y[o + J]! * s;
          const b0 = r + J * p;
          for (let b = b0; b < b0 + p; b++) out[b] = v;
        }
      }
    }
    return out;
  }

  /** `‖A‖ = 1/p`, exact. */
  norm(): OperatorNorm {
    return { value: 1 / this.factor, kind: 'exact' };
  }
}
