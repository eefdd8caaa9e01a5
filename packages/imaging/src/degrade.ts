/**
 * Seeded degradations to build training and test data: Gaussian noise, blur kernels (Gaussian,
 * box, motion) with a same-size convolution, blur + noise, and random inpainting masks.
 *
 * The convolution here only generates data; the learnable, adjoint-tested blur operator of the
 * reconstruction models lives in `@bilevel/operators`.
 * @module
 */
import { ValidationError, assertFinite, nonNegative, parseOrThrow, positive, positiveInt, z } from '@bilevel/core';
import { assertImage, type Image } from './image.js';
import { toRng, type Seed } from './seed.js';

/** A 2-D filter kernel, row-major; its centre is `(⌊height/2⌋, ⌊width/2⌋)`. */
export interface Kernel {
  /** Rows. */
  readonly height: number;
  /** Columns. */
  readonly width: number;
  /** `height·width` weights, row-major. */
  readonly data: Float64Array;
}

/**
 * Boundary extension used by {@link convolve}, for a signal `a b c d`:
 * - `'symmetric'`: half-sample symmetric, `… b a | a b c d | d c …` (MATLAB `imfilter(…,'symmetric')`,
 *   NumPy `pad(mode='symmetric')`, SciPy `ndimage` `mode='reflect'`);
 * - `'reflect'`: whole-sample symmetric, `… c b | a b c d | c b …` (NumPy `mode='reflect'`,
 *   PyTorch `padding_mode='reflect'`, used by the ISGD code's blur).
 * Both preserve constant images under a kernel that sums to 1.
 */
export type Boundary = 'symmetric' | 'reflect';

/**
 * Normalised Gaussian kernel `k(a,b) ∝ exp(−((a−r)² + (b−r)²)/(2σ²))`, `size × size` with
 * `size = 2r+1`, default `size = 2⌈3σ⌉+1`; weights sum to 1. (ISGD deblurring: `size 5, σ = 1`.)
 */
export function gaussianKernel(sigma: number, size?: number): Kernel {
  parseOrThrow(positive, sigma, 'gaussianKernel sigma');
  const n = size ?? 2 * Math.ceil(3 * sigma) + 1;
  if (!Number.isInteger(n) || n < 1 || n % 2 === 0) throw new ValidationError(`gaussianKernel: size must be an odd integer ≥ 1, got ${n}`);
  const r = (n - 1) / 2;
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) g[i] = Math.exp(-((i - r) ** 2) / (2 * sigma * sigma));
  const data = new Float64Array(n * n);
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s += data[i * n + j] = g[i]! * g[j]!;
  for (let k = 0; k < data.length; k++) data[k]! /= s;
  return { height: n, width: n, data };
}

/** Uniform `size × size` averaging kernel (weights `1/size²`); `size` odd. */
export function boxKernel(size: number): Kernel {
  if (!Number.isInteger(size) || size < 1 || size % 2 === 0) throw new ValidationError(`boxKernel: size must be an odd integer ≥ 1, got ${size}`);
  return { height: size, width: size, data: new Float64Array(size * size).fill(1 / (size * size)) };
}

/**
 * Linear motion blur of `length` pixels (an integer ≥ 1) at `angle` degrees (0 = horizontal,
 * counter-clockwise, rows pointing down): `length` points spaced one pixel apart on a segment
 * through the kernel centre, `t_k = k − (length−1)/2`, each of weight `1/length`, splatted
 * bilinearly into an odd `size × size` grid (`size = 2⌈length/2⌉+1`). Horizontal and vertical
 * kernels of odd length are exact boxes (`1/length` on `length` pixels, like MATLAB
 * `fspecial('motion')`); length 1 is the identity; weights sum to 1.
 */
export function motionKernel(length: number, angle = 0): Kernel {
  parseOrThrow(positiveInt, length, 'motionKernel length');
  parseOrThrow(z.number().finite(), angle, 'motionKernel angle');
  const n = 2 * Math.ceil(length / 2) + 1;
  const r = (n - 1) / 2;
  const data = new Float64Array(n * n);
  const th = (angle * Math.PI) / 180;
  const dx = Math.cos(th);
  const dy = -Math.sin(th);
  const round = (v: number): number => (Math.abs(v - Math.round(v)) < 1e-12 ? Math.round(v) : v);
  for (let k = 0; k < length; k++) {
    const t = k - (length - 1) / 2;
    const y = round(r + t * dy);
    const x = round(r + t * dx);
    const i0 = Math.floor(y);
    const j0 = Math.floor(x);
    const fy = y - i0;
    const fx = x - j0;
    for (const [i, j, wt] of [[i0, j0, (1 - fy) * (1 - fx)], [i0, j0 + 1, (1 - fy) * fx], [i0 + 1, j0, fy * (1 - fx)], [i0 + 1, j0 + 1, fy * fx]] as const) {
      if (wt > 0 && i >= 0 && i < n && j >= 0 && j < n) data[i * n + j]! += wt / length;
    }
  }
  return { height: n, width: n, data };
}

/** Map an out-of-range index into `0 … n−1` by the boundary rule. */
function boundaryIndex(i: number, n: number, mode: Boundary): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'symmetric') {
    const p = 2 * n;
    const m = ((i % p) + p) % p;
    return m < n ? m : p - 1 - m;
  }
  if (n === 1) return 0;
  const p = 2 * n - 2;
  const m = ((i % p) + p) % p;
  return m < n ? m : p - m;
}

function assertKernel(k: Kernel): void {
  if (!Number.isInteger(k.height) || !Number.isInteger(k.width) || k.height < 1 || k.width < 1 || k.data.length !== k.height * k.width) {
    throw new ValidationError(`kernel: expected { height, width, data } with data.length = height·width, got ${k.height}×${k.width} and ${k.data.length} weights`);
  }
  assertFinite('kernel.data', k.data);
}

/**
 * Same-size 2-D convolution of each channel with `kernel`,
 * `out(c,i,j) = Σ_{a,b} k(a,b) · x̃(c, i + ca − a, j + cb − b)` with centre `(ca, cb) =
 * (⌊kh/2⌋, ⌊kw/2⌋)` and `x̃` the image extended by `boundary` (default `'symmetric'`).
 * (A true convolution: the kernel is flipped; for symmetric kernels it equals correlation.)
 */
export function convolve(img: Image, kernel: Kernel, boundary: Boundary = 'symmetric'): Image {
  assertImage('convolve image', img);
  assertKernel(kernel);
  if (boundary !== 'symmetric' && boundary !== 'reflect') throw new ValidationError(`convolve: boundary must be 'symmetric' or 'reflect', got ${String(boundary)}`);
  const { channels, height: H, width: W, data } = img;
  const kh = kernel.height;
  const kw = kernel.width;
  const ca = Math.floor(kh / 2);
  const cb = Math.floor(kw / 2);
  // padded image: rows −(kh−1−ca) … H−1+ca, columns −(kw−1−cb) … W−1+cb
  const pt = kh - 1 - ca;
  const pl = kw - 1 - cb;
  const PH = H + kh - 1;
  const PW = W + kw - 1;
  const rowMap = Int32Array.from({ length: PH }, (_, r) => boundaryIndex(r - pt, H, boundary));
  const colMap = Int32Array.from({ length: PW }, (_, c) => boundaryIndex(c - pl, W, boundary));
  const pad = new Float64Array(PH * PW);
  const out = new Float64Array(data.length);
  const kd = kernel.data;
  for (let c = 0; c < channels; c++) {
    const base = c * H * W;
    for (let r = 0; r < PH; r++) {
      const src = base + rowMap[r]! * W;
      const dst = r * PW;
      for (let q = 0; q < PW; q++) pad[dst + q] = data[src + colMap[q]!]!;
    }
    // out(i,j) = Σ k(a,b) pad(i + kh−1−a, j + kw−1−b)
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const wt = kd[a * kw + b]!;
        if (wt === 0) continue;
        const ro = kh - 1 - a;
        const co = kw - 1 - b;
        for (let i = 0; i < H; i++) {
          const o = base + i * W;
          const p = (i + ro) * PW + co;
          for (let j = 0; j < W; j++) out[o + j]! += wt * pad[p + j]!;
        }
      }
    }
  }
  return { channels, height: H, width: W, data: out };
}

/** Options of {@link addGaussianNoise}. */
export interface NoiseOptions {
  /** Standard deviation σ ≥ 0 on the `[0, 1]` scale (e.g. `0.1`, or `25/255`). */
  readonly sigma: number;
  /** Seed or `Rng` (see {@link Seed}). */
  readonly seed: Seed;
  /** Clamp the result to `[0, 1]` (default `false`; ISGD clamps, MAID does not). */
  readonly clamp?: boolean;
}

const noiseSchema = z.strictObject({ sigma: nonNegative, seed: z.unknown(), clamp: z.boolean().optional() });

/**
 * Additive white Gaussian noise, `y = x + σ·ε` with `ε ~ N(0, I)` drawn in data order
 * (channel, row, column) from the seeded stream; optionally clamped to `[0, 1]`. Returns a new image.
 */
export function addGaussianNoise(img: Image, options: NoiseOptions): Image {
  assertImage('addGaussianNoise image', img, true);
  const o = parseOrThrow(noiseSchema, options, 'addGaussianNoise options');
  const rng = toRng(options.seed, 'addGaussianNoise options.seed');
  const d = img.data;
  const out = new Float64Array(d.length);
  const s = o.sigma;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]! + s * rng.normal();
    out[i] = o.clamp ? (v < 0 ? 0 : v > 1 ? 1 : v) : v;
  }
  return { channels: img.channels, height: img.height, width: img.width, data: out };
}

/** Options of {@link degrade}. */
export interface DegradeOptions extends NoiseOptions {
  /** Blur kernel applied before the noise (none when omitted). */
  readonly kernel?: Kernel;
  /** Boundary rule of the blur (default `'symmetric'`). */
  readonly boundary?: Boundary;
}

/** Blur plus noise, `y = k ∗ x + σ·ε` (see {@link convolve} and {@link addGaussianNoise}). */
export function degrade(img: Image, options: DegradeOptions): Image {
  const { kernel, boundary, ...noise } = options;
  const blurred = kernel ? convolve(img, kernel, boundary ?? 'symmetric') : img;
  return addGaussianNoise(blurred, noise);
}

/** Options of {@link randomMask}. */
export interface MaskOptions {
  /** Fraction of pixels kept (mask 1), in `[0, 1]`; exactly `round(keepRatio·H·W)` pixels are kept. */
  readonly keepRatio: number;
  /** Seed or `Rng` (see {@link Seed}). */
  readonly seed: Seed;
}

/**
 * Random inpainting mask: a 1-channel `height × width` image of 0/1 with exactly
 * `round(keepRatio·H·W)` ones at uniformly random pixels (partial Fisher–Yates). Shared by all
 * channels when applied with {@link applyMask}.
 */
export function randomMask(height: number, width: number, options: MaskOptions): Image {
  parseOrThrow(z.object({ height: positiveInt, width: positiveInt }), { height, width }, 'randomMask size');
  const o = parseOrThrow(z.strictObject({ keepRatio: z.number().gte(0).lte(1), seed: z.unknown() }), options, 'randomMask options');
  const rng = toRng(options.seed, 'randomMask options.seed');
  const n = height * width;
  const keep = Math.round(o.keepRatio * n);
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  const data = new Float64Array(n);
  for (let i = 0; i < keep; i++) {
    const j = rng.int(i, n - 1);
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
    data[idx[i]!] = 1;
  }
  return { channels: 1, height, width, data };
}

/** `x ⊙ m`: multiply every channel of `img` by a 1-channel mask (or channel-wise by a mask with as many channels). */
export function applyMask(img: Image, mask: Image): Image {
  assertImage('applyMask image', img);
  assertImage('applyMask mask', mask);
  if (mask.height !== img.height || mask.width !== img.width || (mask.channels !== 1 && mask.channels !== img.channels)) {
    throw new ValidationError(
      `applyMask: mask is ${mask.channels}×${mask.height}×${mask.width}, image is ${img.channels}×${img.height}×${img.width}; the mask needs the image's size and 1 or ${img.channels} channels`,
    );
  }
  const n = img.height * img.width;
  const out = new Float64Array(img.data.length);
  for (let c = 0; c < img.channels; c++) {
    const mo = mask.channels === 1 ? 0 : c * n;
    for (let p = 0; p < n; p++) out[c * n + p] = img.data[c * n + p]! * mask.data[mo + p]!;
  }
  return { channels: img.channels, height: img.height, width: img.width, data: out };
}
