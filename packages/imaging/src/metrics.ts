/**
 * Image-quality metrics: MSE, PSNR and SSIM. PSNR and SSIM take the data range explicitly (no
 * guessing from the data, the cause of pycolibri #79 and piqa #32).
 * @module
 */
import { ShapeError, ValidationError, assertFinite, type Vec } from '@bilevel/core';
import { assertImage, type Image } from './image.js';

/** Options of {@link psnr} and {@link ssim}. */
export interface MetricOptions {
  /**
   * The data range `R = max − min` of the intended signal, e.g. `1` for images in `[0, 1]`,
   * `255` for 8-bit values. Required: there is no default and nothing is inferred from the data.
   */
  readonly dataRange: number;
  /**
   * Clip the *estimate* to `[lo, hi]` before comparing (e.g. `[0, 1]`, as the MAID/ISGD code
   * does before PSNR); default no clipping.
   */
  readonly clip?: readonly [number, number];
}

function samples(x: Image | Vec, name: string): Vec {
  if (x instanceof Float64Array) return x;
  assertImage(name, x);
  return x.data;
}

function checkPair(a: Image | Vec, b: Image | Vec, what: string): [Vec, Vec] {
  const x = samples(a, `${what} estimate`);
  const y = samples(b, `${what} reference`);
  if (x.length !== y.length) throw new ShapeError(`${what}: estimate has ${x.length} samples, reference ${y.length}; compare images of the same shape`);
  if (!(a instanceof Float64Array) && !(b instanceof Float64Array)) {
    if (a.channels !== b.channels || a.height !== b.height || a.width !== b.width) {
      throw new ShapeError(`${what}: estimate is ${a.channels}×${a.height}×${a.width}, reference ${b.channels}×${b.height}×${b.width}; compare images of the same shape`);
    }
  }
  if (x.length === 0) throw new ShapeError(`${what}: empty images`);
  assertFinite(`${what} estimate`, x);
  assertFinite(`${what} reference`, y);
  return [x, y];
}

function checkOptions(options: MetricOptions | undefined, what: string): { range: number; clip?: readonly [number, number] } {
  const range = options?.dataRange;
  if (typeof range !== 'number' || !Number.isFinite(range) || range <= 0) {
    throw new ValidationError(
      `${what}: dataRange must be a finite number > 0, got ${String(range)}; pass the range of the signal explicitly, e.g. { dataRange: 1 } for images in [0, 1] or 255 for 8-bit values`,
    );
  }
  const clip = options?.clip;
  if (clip !== undefined && !(Array.isArray(clip) && clip.length === 2 && Number.isFinite(clip[0]) && Number.isFinite(clip[1]) && clip[0] < clip[1])) {
    throw new ValidationError(`${what}: clip must be [lo, hi] with finite lo < hi, got ${JSON.stringify(clip)}`);
  }
  return clip ? { range, clip } : { range };
}

function clipped(x: Vec, clip: readonly [number, number] | undefined): Vec {
  if (!clip) return x;
  const [lo, hi] = clip;
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return out;
}

/** Mean squared error `MSE = (1/n) Σ_i (x_i − y_i)²` over all samples (all channels). */
export function mse(estimate: Image | Vec, reference: Image | Vec): number {
  const [x, y] = checkPair(estimate, reference, 'mse');
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i]! - y[i]!) ** 2;
  return s / x.length;
}

/**
 * Peak signal-to-noise ratio in dB, `PSNR = 10·log₁₀(R² / MSE)` with `R = dataRange`, MSE over
 * all samples (all channels together, as scikit-image's `peak_signal_noise_ratio`). Equal
 * images give `Infinity`. With `clip`, the estimate is clipped first.
 */
export function psnr(estimate: Image | Vec, reference: Image | Vec, options: MetricOptions): number {
  const { range, clip } = checkOptions(options, 'psnr');
  const [x, y] = checkPair(estimate, reference, 'psnr');
  const e = mse(clipped(x, clip), y);
  return e === 0 ? Infinity : 10 * Math.log10((range * range) / e);
}

/**
 * PSNR (dB, data range 1) implied by a squared-error training loss per image of `n` pixels:
 * `½‖x − x†‖²` (`reduction: 'sum'`, MSE `2·loss/n`) or `½‖x − x†‖²/n` (`'mean'`, MSE `2·loss`).
 * The loss of unclipped reconstructions, so it can differ from {@link psnr} with `clip`.
 */
export function psnrFromLoss(loss: number, n: number, reduction: 'sum' | 'mean'): number {
  const mse = reduction === 'sum' ? (2 * loss) / n : 2 * loss;
  return mse > 0 ? -10 * Math.log10(mse) : Infinity;
}

/** Size of the SSIM Gaussian window (11). */
export const SSIM_WINDOW = 11;
/** Standard deviation of the SSIM Gaussian window (1.5 pixels). */
export const SSIM_SIGMA = 1.5;
/** SSIM stabilisers: `C1 = (K1·R)²`, `C2 = (K2·R)²` with `K1 = 0.01`, `K2 = 0.03`. */
export const SSIM_K: readonly [number, number] = [0.01, 0.03];

const WINDOW = (() => {
  const w = new Float64Array(SSIM_WINDOW);
  const r = (SSIM_WINDOW - 1) / 2;
  let s = 0;
  for (let i = 0; i < SSIM_WINDOW; i++) s += w[i] = Math.exp(-((i - r) ** 2) / (2 * SSIM_SIGMA * SSIM_SIGMA));
  for (let i = 0; i < SSIM_WINDOW; i++) w[i]! /= s;
  return w;
})();

/**
 * `out[o + f] = Σ_t g_t·src[start + t·stride + f]` for the five interleaved fields `f < 5`: the
 * Gaussian window along a row or a column of the fields (x, y, x², y², xy), all five in one pass.
 */
function window5(src: Float64Array, start: number, stride: number, out: Float64Array, o: number): void {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  for (let t = 0, p = start; t < SSIM_WINDOW; t++, p += stride) {
    const g = WINDOW[t]!;
    s0 += g * src[p]!;
    s1 += g * src[p + 1]!;
    s2 += g * src[p + 2]!;
    s3 += g * src[p + 3]!;
    s4 += g * src[p + 4]!;
  }
  out[o] = s0;
  out[o + 1] = s1;
  out[o + 2] = s2;
  out[o + 3] = s3;
  out[o + 4] = s4;
}

/**
 * Structural similarity (Wang, Bovik, Sheikh, Simoncelli, *Image quality assessment: from error
 * visibility to structural similarity*, IEEE TIP 13(4), 2004, eq. (13) and §III-C):
 * `SSIM(x,y) = ((2μxμy + C1)(2σxy + C2)) / ((μx² + μy² + C1)(σx² + σy² + C2))`, where the local
 * means, variances and covariance use an 11×11 Gaussian window with σ = 1.5 (normalised to sum 1,
 * biased moments as in the paper's MATLAB code), `C1 = (0.01·R)²`, `C2 = (0.03·R)²`,
 * `R = dataRange`. The SSIM map is computed at the `(H−10)×(W−10)` positions where the window
 * fits (no padding, like the reference MATLAB `ssim_index` `'valid'` filtering; equals
 * scikit-image `structural_similarity(gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False)`), averaged per channel, then over channels. Symmetric in its
 * arguments; 1 for identical images. Images must be at least 11×11.
 */
export function ssim(estimate: Image, reference: Image, options: MetricOptions): number {
  const { range, clip } = checkOptions(options, 'ssim');
  if (estimate instanceof Float64Array || reference instanceof Float64Array) {
    throw new ValidationError('ssim: pass images { channels, height, width, data }, not bare vectors (SSIM needs the 2-D layout)');
  }
  const [x0, y] = checkPair(estimate, reference, 'ssim');
  const x = clipped(x0, clip);
  const { channels: C, height: H, width: W } = reference;
  const k = SSIM_WINDOW;
  if (H < k || W < k) throw new ValidationError(`ssim: images are ${H}×${W}, smaller than the ${k}×${k} window; use images of at least ${k}×${k} pixels`);
  const c1 = (SSIM_K[0] * range) ** 2;
  const c2 = (SSIM_K[1] * range) ** 2;
  const h = H - k + 1;
  const w = W - k + 1;
  // per channel, the five fields (x, y, x², y², xy) interleaved, their window along the rows
  // (H × w), then along the columns (h × w): the local means μx, μy, E[x²], E[y²], E[xy]
  const fields = new Float64Array(5 * H * W);
  const rows = new Float64Array(5 * H * w);
  const means = new Float64Array(5 * h * w);
  let total = 0;
  for (let c = 0; c < C; c++) {
    const base = c * H * W;
    for (let i = 0, p = 0; i < H * W; i++, p += 5) {
      const a = x[base + i]!;
      const b = y[base + i]!;
      fields[p] = a;
      fields[p + 1] = b;
      fields[p + 2] = a * a;
      fields[p + 3] = b * b;
      fields[p + 4] = a * b;
    }
    for (let i = 0; i < H; i++) for (let j = 0; j < w; j++) window5(fields, 5 * (i * W + j), 5, rows, 5 * (i * w + j));
    for (let o = 0; o < h * w; o++) window5(rows, 5 * o, 5 * w, means, 5 * o);
    let acc = 0;
    for (let o = 0; o < 5 * h * w; o += 5) {
      const mx = means[o]!;
      const my = means[o + 1]!;
      const vx = means[o + 2]! - mx * mx;
      const vy = means[o + 3]! - my * my;
      const cxy = means[o + 4]! - mx * my;
      acc += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
    }
    total += acc / (h * w);
  }
  return total / C;
}
