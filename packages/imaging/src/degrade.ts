/**
 * Seeded degradations to build training and test data: Gaussian noise, a forward operator plus
 * noise (`y = A x + σε`, e.g. blur), and random inpainting masks.
 *
 * There is one definition of blur: the kernels (`gaussianKernel`, `boxKernel`, `motionKernel`)
 * and the convolution (`Convolution2D`, with its boundary rule) of `@bilevel/operators`. Data is
 * degraded by applying that `LinearOperator`, so the operator that made the data can be, and in the
 * app is, the reconstruction model's forward operator `A`.
 * @module
 */
import {
  ShapeError,
  formatShape,
  nonNegative,
  parseOrThrow,
  positiveInt,
  shapeEquals,
  shapeSize,
  ValidationError,
  z,
  type LinearOperator,
} from '@bilevel/core';
import { crop } from './crops.js';
import { assertImage, imageShape, type Image } from './image.js';
import { toRng, type Seed } from './seed.js';

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

/** A clean crop and its noisy measurement (see {@link noisyCrops}). */
export interface NoisyCrop {
  /** The clean `size × size` crop (all channels). */
  readonly clean: Image;
  /** `clean + σε` (not clamped). */
  readonly degraded: Image;
}

const noisyCropsSchema = z.strictObject({ sigma: nonNegative, seed: z.number().int('must be an integer') });

/**
 * Denoising pairs from fixed windows of one image: the `size × size` crop at each `[top, left]`
 * corner and its measurement `y = x + σε` ({@link addGaussianNoise}, unclamped), crop `k` with the
 * noise seed `seed + k` — reproducible small training sets for tests and examples.
 */
export function noisyCrops(
  img: Image,
  corners: readonly (readonly [top: number, left: number])[],
  size: number,
  options: { readonly sigma: number; readonly seed: number },
): NoisyCrop[] {
  const o = parseOrThrow(noisyCropsSchema, options, 'noisyCrops options');
  const side = parseOrThrow(positiveInt, size, 'noisyCrops size');
  return corners.map(([top, left], k) => {
    const clean = crop(img, { top, left, height: side, width: side });
    return { clean, degraded: addGaussianNoise(clean, { sigma: o.sigma, seed: o.seed + k }) };
  });
}

/** Options of {@link degrade}. */
export interface DegradeOptions extends NoiseOptions {
  /**
   * The forward operator `A` applied before the noise (identity when omitted), e.g. a blur
   * `new Convolution2D({ channels, height, width, kernel: motionKernel(9, 30), boundary })` of
   * `@bilevel/operators`. Its domain must be the image's shape `[C, H, W]`; its range is the
   * shape `[C', H', W']` of the result. Pass the same operator to the reconstruction model.
   */
  readonly forward?: LinearOperator;
}

const operatorSchema = z.custom<LinearOperator>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    Array.isArray((v as LinearOperator).domain) &&
    Array.isArray((v as LinearOperator).range) &&
    typeof (v as LinearOperator).apply === 'function',
  { message: 'must be a LinearOperator (domain, range, apply), e.g. a Convolution2D of @bilevel/operators' },
);

/**
 * Measurement `y = A x + σ·ε`: the forward operator applied to the image (see
 * {@link DegradeOptions.forward}), then {@link addGaussianNoise} with the same options (`ε` drawn in
 * data order from the seed, optionally clamped). Without `forward`, `y = x + σ·ε`. `σ = 0` gives
 * `A x` exactly.
 */
export function degrade(img: Image, options: DegradeOptions): Image {
  assertImage('degrade image', img, true);
  const { forward, ...noise } = options;
  if (forward === undefined) return addGaussianNoise(img, noise);
  const A = parseOrThrow(operatorSchema, forward, 'degrade options.forward');
  const shape = imageShape(img);
  if (!shapeEquals(A.domain, shape)) {
    throw new ShapeError(
      `degrade: the forward operator's domain is ${formatShape(A.domain)} but the image is ${formatShape(shape)}; build the operator for the image's shape`,
    );
  }
  const [channels, height, width] = A.range;
  if (A.range.length !== 3 || channels === undefined || height === undefined || width === undefined) {
    throw new ShapeError(`degrade: the forward operator's range ${formatShape(A.range)} is not an image shape [C, H, W]`);
  }
  const data = A.apply(img.data, new Float64Array(shapeSize(A.range)));
  return addGaussianNoise({ channels, height, width, data }, noise);
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
