/**
 * Resizing: integer-factor area averaging, general area (box) and bilinear resampling, and
 * fitting the longer side to a maximum.
 * @module
 */
import { ValidationError, parseOrThrow, positiveInt, z } from '@bilevel/core';
import { assertImage, type Image } from './image.js';

/**
 * Downscale by an integer `factor` by averaging each `factor × factor` block (area averaging):
 * `out(c,i,j) = factor⁻² Σ_{a,b<factor} x(c, factor·i + a, factor·j + b)`. The output is
 * `⌊H/factor⌋ × ⌊W/factor⌋`; trailing rows/columns that do not fill a block are dropped.
 */
export function downscale(img: Image, factor: number): Image {
  assertImage('downscale image', img);
  if (!Number.isInteger(factor) || factor < 1) throw new ValidationError(`downscale: factor must be an integer ≥ 1, got ${factor}`);
  const h = Math.floor(img.height / factor);
  const w = Math.floor(img.width / factor);
  if (h < 1 || w < 1) {
    throw new ValidationError(`downscale: factor ${factor} is larger than the image (${img.height}×${img.width}); use a factor ≤ ${Math.min(img.height, img.width)}`);
  }
  const { channels, width: W, height: H, data } = img;
  const out = new Float64Array(channels * h * w);
  const s = 1 / (factor * factor);
  for (let c = 0; c < channels; c++) {
    const ib = c * H * W;
    const ob = c * h * w;
    for (let i = 0; i < h; i++) {
      for (let a = 0; a < factor; a++) {
        const row = ib + (i * factor + a) * W;
        const orow = ob + i * w;
        for (let j = 0; j < w; j++) {
          let t = 0;
          const r = row + j * factor;
          for (let b = 0; b < factor; b++) t += data[r + b]!;
          out[orow + j]! += t;
        }
      }
    }
    for (let k = ob; k < ob + h * w; k++) out[k]! *= s;
  }
  return { channels, height: h, width: w, data: out };
}

/** Sparse 1-D resampling weights: output `o` = Σ_k weight[k]·input[index[k]] for k in [start[o], start[o+1]). */
interface Weights {
  readonly start: Int32Array;
  readonly index: Int32Array;
  readonly weight: Float64Array;
}

function areaWeights(nIn: number, nOut: number): Weights {
  const s = nIn / nOut;
  const idx: number[] = [];
  const wts: number[] = [];
  const start = new Int32Array(nOut + 1);
  for (let o = 0; o < nOut; o++) {
    start[o] = idx.length;
    const a = o * s;
    const b = (o + 1) * s;
    for (let k = Math.floor(a); k < Math.min(nIn, Math.ceil(b)); k++) {
      const ov = Math.min(b, k + 1) - Math.max(a, k);
      if (ov > 1e-12) {
        idx.push(k);
        wts.push(ov / s);
      }
    }
  }
  start[nOut] = idx.length;
  return { start, index: Int32Array.from(idx), weight: Float64Array.from(wts) };
}

function bilinearWeights(nIn: number, nOut: number): Weights {
  const s = nIn / nOut;
  const start = new Int32Array(nOut + 1);
  const index = new Int32Array(2 * nOut);
  const weight = new Float64Array(2 * nOut);
  for (let o = 0; o < nOut; o++) {
    start[o] = 2 * o;
    const x = Math.min(Math.max((o + 0.5) * s - 0.5, 0), nIn - 1);
    const k0 = Math.floor(x);
    const k1 = Math.min(k0 + 1, nIn - 1);
    const f = x - k0;
    index[2 * o] = k0;
    index[2 * o + 1] = k1;
    weight[2 * o] = 1 - f;
    weight[2 * o + 1] = f;
  }
  start[nOut] = 2 * nOut;
  return { start, index, weight };
}

/** Options of {@link resize}. */
export interface ResizeOptions {
  /** Output rows. */
  readonly height: number;
  /** Output columns. */
  readonly width: number;
  /** `'area'` (default; box filter, right for downscaling) or `'bilinear'`. */
  readonly method?: 'area' | 'bilinear';
}

const resizeSchema = z.strictObject({ height: positiveInt, width: positiveInt, method: z.enum(['area', 'bilinear']).optional() });

/**
 * Resize to `height × width`, separably (rows, then columns).
 * - `'area'`: each output pixel is the average of the input over its footprint
 *   `[o·s, (o+1)·s)` with `s = n_in/n_out`, weighting partially covered pixels by the covered
 *   length (exact box filter; equals {@link downscale} for integer factors; like OpenCV `INTER_AREA`).
 * - `'bilinear'`: linear interpolation at `x = (o + ½)·s − ½` (pixel centres aligned, edges
 *   clamped; like OpenCV `INTER_LINEAR` / PyTorch `align_corners=false`), no antialiasing.
 * Both preserve constants.
 */
export function resize(img: Image, options: ResizeOptions): Image {
  assertImage('resize image', img);
  const o = parseOrThrow(resizeSchema, options, 'resize options');
  const make = o.method === 'bilinear' ? bilinearWeights : areaWeights;
  const wy = make(img.height, o.height);
  const wx = make(img.width, o.width);
  const { channels, height: H, width: W, data } = img;
  const h = o.height;
  const w = o.width;
  const tmp = new Float64Array(H * w);
  const out = new Float64Array(channels * h * w);
  for (let c = 0; c < channels; c++) {
    const ib = c * H * W;
    for (let i = 0; i < H; i++) {
      const row = ib + i * W;
      for (let j = 0; j < w; j++) {
        let t = 0;
        for (let k = wx.start[j]!; k < wx.start[j + 1]!; k++) t += wx.weight[k]! * data[row + wx.index[k]!]!;
        tmp[i * w + j] = t;
      }
    }
    const ob = c * h * w;
    for (let i = 0; i < h; i++) {
      const orow = ob + i * w;
      for (let k = wy.start[i]!; k < wy.start[i + 1]!; k++) {
        const wt = wy.weight[k]!;
        const trow = wy.index[k]! * w;
        for (let j = 0; j < w; j++) out[orow + j]! += wt * tmp[trow + j]!;
      }
    }
  }
  return { channels, height: h, width: w, data: out };
}

/**
 * Shrink (area resampling) so that the longer side is at most `maxSide`, keeping the aspect
 * ratio (shorter side `max(1, round(short·maxSide/long))`). Returns `img` itself when it already fits.
 */
export function fitMaxSide(img: Image, maxSide: number): Image {
  assertImage('fitMaxSide image', img);
  if (!Number.isInteger(maxSide) || maxSide < 1) throw new ValidationError(`maxSide must be an integer ≥ 1, got ${maxSide}`);
  const long = Math.max(img.height, img.width);
  if (long <= maxSide) return img;
  const r = maxSide / long;
  const height = img.height >= img.width ? maxSide : Math.max(1, Math.round(img.height * r));
  const width = img.width > img.height ? maxSide : Math.max(1, Math.round(img.width * r));
  return resize(img, { height, width, method: 'area' });
}
