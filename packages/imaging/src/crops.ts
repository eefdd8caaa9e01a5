/**
 * Crops, regular tiles, seeded random crops with flat-patch rejection, and seeded train/test
 * splits by image.
 * @module
 */
import { ValidationError, nonNegative, parseOrThrow, positiveInt, z } from '@bilevel/core';
import { assertImage, type Image, type NamedImage } from './image.js';
import { toRng, type Seed } from './seed.js';

/** A rectangle of pixels: rows `top … top+height−1`, columns `left … left+width−1`. */
export interface CropWindow {
  /** First row. */
  readonly top: number;
  /** First column. */
  readonly left: number;
  /** Number of rows. */
  readonly height: number;
  /** Number of columns. */
  readonly width: number;
}

/** A crop together with where it came from. */
export interface Patch {
  /** The cropped pixels (a copy). */
  readonly image: Image;
  /** Index of the source image in the list passed in (0 for single-image functions). */
  readonly source: number;
  /** Row of the crop's top-left pixel in the source. */
  readonly top: number;
  /** Column of the crop's top-left pixel in the source. */
  readonly left: number;
}

/** Copy the pixels of `window` (all channels) out of `img`; the window must lie inside the image. */
export function crop(img: Image, window: CropWindow): Image {
  assertImage('crop image', img);
  const { top, left, height, width } = window;
  if (![top, left].every((v) => Number.isInteger(v) && v >= 0) || ![height, width].every((v) => Number.isInteger(v) && v >= 1)) {
    throw new ValidationError(`crop: window ${JSON.stringify(window)} must have integer top, left ≥ 0 and height, width ≥ 1`);
  }
  if (top + height > img.height || left + width > img.width) {
    throw new ValidationError(
      `crop: window rows ${top}…${top + height - 1}, columns ${left}…${left + width - 1} exceed the ${img.height}×${img.width} image; use a smaller window`,
    );
  }
  const { channels, height: H, width: W, data } = img;
  const out = new Float64Array(channels * height * width);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < height; i++) {
      const src = c * H * W + (top + i) * W + left;
      out.set(data.subarray(src, src + width), (c * height + i) * width);
    }
  }
  return { channels, height, width, data: out };
}

/** The centred `height × width` crop (default square `height × height`). */
export function centerCrop(img: Image, height: number, width = height): Image {
  assertImage('centerCrop image', img);
  if (height > img.height || width > img.width) {
    throw new ValidationError(`centerCrop: ${height}×${width} is larger than the ${img.height}×${img.width} image; use a smaller size`);
  }
  return crop(img, { top: Math.floor((img.height - height) / 2), left: Math.floor((img.width - width) / 2), height, width });
}

function cropSize(size: number | readonly [number, number]): [number, number] {
  return typeof size === 'number' ? [size, size] : [size[0], size[1]];
}

/** Population standard deviation of the samples of `img` inside a window (all channels). */
function windowStd(img: Image, top: number, left: number, h: number, w: number): number {
  const { channels, height: H, width: W, data } = img;
  let s = 0;
  let q = 0;
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < h; i++) {
      const r = c * H * W + (top + i) * W + left;
      for (let j = 0; j < w; j++) {
        const v = data[r + j]!;
        s += v;
        q += v * v;
      }
    }
  }
  const n = channels * h * w;
  const m = s / n;
  return Math.sqrt(Math.max(q / n - m * m, 0));
}

/** Options of {@link gridTiles}. */
export interface GridTilesOptions {
  /** Tile size: `s` for `s × s`, or `[height, width]`. */
  readonly size: number | readonly [number, number];
  /** Step between tiles, `s` or `[rows, columns]`; default the tile size (non-overlapping). */
  readonly stride?: number | readonly [number, number];
}

const sizeSchema = z.union([positiveInt, z.tuple([positiveInt, positiveInt])]);

/**
 * All tiles of a regular grid, row by row: tile `(a, b)` starts at row `a·strideH`, column
 * `b·strideW`, for every start where the whole tile fits (a remainder at the bottom/right edge is
 * not covered).
 */
export function gridTiles(img: Image, options: GridTilesOptions): Patch[] {
  assertImage('gridTiles image', img);
  const o = parseOrThrow(z.strictObject({ size: sizeSchema, stride: sizeSchema.optional() }), options, 'gridTiles options');
  const [h, w] = cropSize(o.size);
  const [sh, sw] = cropSize(o.stride ?? o.size);
  if (h > img.height || w > img.width) {
    throw new ValidationError(`gridTiles: tile ${h}×${w} is larger than the ${img.height}×${img.width} image; use a smaller size`);
  }
  const out: Patch[] = [];
  for (let top = 0; top + h <= img.height; top += sh) {
    for (let left = 0; left + w <= img.width; left += sw) out.push({ image: crop(img, { top, left, height: h, width: w }), source: 0, top, left });
  }
  return out;
}

/** Options of {@link sampleCrops}. */
export interface SampleCropsOptions {
  /** Crop size: `s` for `s × s`, or `[height, width]`. */
  readonly size: number | readonly [number, number];
  /** Number of crops to return. */
  readonly count: number;
  /** Seed or `Rng` (see {@link Seed}). */
  readonly seed: Seed;
  /**
   * Reject crops whose standard deviation (all channels) is below this; default 0 (keep all).
   * Around 0.02–0.05 on the `[0, 1]` scale discards sky, paper borders and other flat regions.
   */
  readonly minStd?: number;
  /** Give up (with a `ValidationError`) after this many draws; default `100·count + 1000`. */
  readonly maxAttempts?: number;
}

const sampleSchema = z.strictObject({
  size: sizeSchema,
  count: positiveInt,
  seed: z.unknown(),
  minStd: nonNegative.optional(),
  maxAttempts: positiveInt.optional(),
});

/**
 * Draw `count` random crops from `images` (plain images or {@link NamedImage}s): each draw picks
 * an image uniformly (every photograph weighs the same, whatever its size), then a top-left
 * corner uniformly among the positions where the crop fits; crops with standard deviation below
 * `minStd` are rejected and redrawn. Deterministic for a given seed. Every image must be at
 * least as large as the crop (otherwise a `ValidationError` names the image and the fix).
 */
export function sampleCrops(images: readonly (Image | NamedImage)[], options: SampleCropsOptions): Patch[] {
  const o = parseOrThrow(sampleSchema, options, 'sampleCrops options');
  const rng = toRng(options.seed, 'sampleCrops options.seed');
  if (images.length === 0) throw new ValidationError('sampleCrops: the image list is empty; load at least one image');
  const [h, w] = cropSize(o.size);
  const imgs = images.map((x, k) => {
    const img = 'image' in x ? x.image : x;
    const label = 'image' in x ? `image ${k} (${x.name})` : `image ${k}`;
    assertImage(`sampleCrops ${label}`, img);
    if (img.height < h || img.width < w) {
      throw new ValidationError(
        `sampleCrops: ${label} is ${img.height}×${img.width}, smaller than the crop size ${h}×${w}; use a smaller size option or larger images (e.g. a larger maxSide)`,
      );
    }
    return img;
  });
  const minStd = o.minStd ?? 0;
  const maxAttempts = o.maxAttempts ?? 100 * o.count + 1000;
  const out: Patch[] = [];
  let attempts = 0;
  while (out.length < o.count) {
    if (attempts >= maxAttempts) {
      throw new ValidationError(
        `sampleCrops: found only ${out.length} of ${o.count} crops with standard deviation ≥ minStd = ${minStd} in ${attempts} attempts; lower minStd, use larger crops, or raise maxAttempts`,
      );
    }
    attempts++;
    const source = rng.int(0, imgs.length - 1);
    const img = imgs[source]!;
    const top = rng.int(0, img.height - h);
    const left = rng.int(0, img.width - w);
    if (minStd > 0 && windowStd(img, top, left, h, w) < minStd) continue;
    out.push({ image: crop(img, { top, left, height: h, width: w }), source, top, left });
  }
  return out;
}

/** Options of {@link splitByImage}. */
export interface SplitOptions {
  /** Number of test items (1 … n−1). Give this or `testFraction`. */
  readonly testCount?: number;
  /** Fraction of items for testing, rounded to a count in 1 … n−1; default 0.25. */
  readonly testFraction?: number;
  /** Seed or `Rng` (see {@link Seed}). */
  readonly seed: Seed;
}

/** The two parts of a split. */
export interface Split<T> {
  /** Training items, in their original order. */
  readonly train: T[];
  /** Test items, in their original order. */
  readonly test: T[];
}

/**
 * Seeded train/test split of whole items (images, photographs, file names): a random
 * permutation picks the test items, so no crop of a test image can appear in training (split
 * images first, then crop). Both parts keep the original order; the split depends only on the
 * seed and the number of items.
 */
export function splitByImage<T>(items: readonly T[], options: SplitOptions): Split<T> {
  const o = parseOrThrow(
    z.strictObject({ testCount: positiveInt.optional(), testFraction: z.number().gt(0).lt(1).optional(), seed: z.unknown() }),
    options,
    'splitByImage options',
  );
  const n = items.length;
  if (n < 2) throw new ValidationError(`splitByImage: need at least 2 items to split, got ${n}; add more images`);
  if (o.testCount !== undefined && o.testFraction !== undefined) {
    throw new ValidationError('splitByImage: give testCount or testFraction, not both');
  }
  const k = o.testCount ?? Math.min(n - 1, Math.max(1, Math.round((o.testFraction ?? 0.25) * n)));
  if (k > n - 1) throw new ValidationError(`splitByImage: testCount ${k} leaves no training items out of ${n}; use testCount ≤ ${n - 1}`);
  const perm = toRng(options.seed, 'splitByImage options.seed').permutation(n);
  const isTest = new Uint8Array(n);
  for (let i = 0; i < k; i++) isTest[perm[i]!] = 1;
  const train: T[] = [];
  const test: T[] = [];
  items.forEach((x, i) => (isTest[i] ? test : train).push(x));
  return { train, test };
}
