/**
 * The data pipeline of an experiment, one for every app: clean images, a crop spec, a
 * degradation and a seed → training (or test) pairs `{ clean, degraded, data operator }`.
 * `bilevel train` (apps/cli) and the playground (apps/playground) both build their samples here,
 * so the same config gives the same crops, noise and masks, bit for bit, in Node and in a
 * browser.
 *
 * Randomness comes from independent seeded streams, one per use ({@link SEED_OFFSETS},
 * {@link streamFor}): crop positions and measurements of the training and test parts, initial
 * parameters, the split of a folder and the minibatches each have their own, so changing one
 * part of an experiment leaves the draws of the others as they were.
 * @module
 */
import { Rng, ValidationError, parseOrThrow, positiveInt, z, type LinearOperator } from '@bilevel/core';
import { dataOperator, type DataOperatorSpec } from '@bilevel/operators';
import { crop, sampleCrops } from './crops.js';
import { degradationSchema, degradationOperator, degradeSample, type Degradation, type DegradationInput, type DegradedSample } from './degradation.js';
import { assertImage, imageShape, type Image, type NamedImage } from './image.js';

/** Offsets of the independent seeded streams of an experiment (one per use of randomness). */
export const SEED_OFFSETS = {
  /** Positions of the training crops. */
  trainCrops: 101,
  /** Positions of the test crops. */
  testCrops: 202,
  /** Noise (and masks) of the training measurements. */
  trainNoise: 303,
  /** Noise (and masks) of the test measurements. */
  testNoise: 404,
  /** Initial parameters (e.g. random filters). */
  init: 505,
  /** Train/test split of a folder. */
  split: 606,
  /** Minibatch sampling of the stochastic optimizers. */
  minibatch: 707,
} as const;

/** One use of randomness in an experiment (a key of {@link SEED_OFFSETS}). */
export type SeedUse = keyof typeof SEED_OFFSETS;

/** The seed of the stream of one use: `(seed·7919 + offset) | 0` (see {@link SEED_OFFSETS}). */
export function seedFor(seed: number, use: SeedUse): number {
  return (seed * 7919 + SEED_OFFSETS[use]) | 0;
}

/** The seeded stream for one use of randomness in an experiment, `Rng.seeded(seedFor(seed, use))`. */
export function streamFor(seed: number, use: SeedUse): Rng {
  return Rng.seeded(seedFor(seed, use));
}

/** How one part (train or test) of an experiment is cropped (`data.train` / `data.test` of a config). */
export interface CropSpec {
  /** Side of the square crops, in pixels. */
  readonly cropSize: number;
  /** Random crops taken from each image (default 1). */
  readonly cropsPerImage?: number;
  /** Reject crops whose standard deviation is below this (default 0.03; 0 keeps every crop). */
  readonly minStd?: number;
}

/** zod schema of a {@link CropSpec} (defaults filled in; the crop fields of `data.train` / `data.test` of a config). */
export const cropSpecSchema = z.strictObject({
  /** Side of the square crops, in pixels. */
  cropSize: z.number().int('must be an integer').min(8, 'must be ≥ 8 pixels').describe('Side of the square crops, in pixels.'),
  /** Random crops taken from each image (seeded). */
  cropsPerImage: z.number().int('must be an integer').positive('must be ≥ 1').default(1).describe('Random crops taken from each image (seeded).'),
  /** Reject crops whose standard deviation is below this (flat sky, paper borders); 0 keeps every crop. */
  minStd: z
    .number()
    .finite()
    .nonnegative('must be ≥ 0')
    .default(0.03)
    .describe('Reject crops whose standard deviation is below this (flat sky, paper borders); 0 keeps every crop.'),
});

/** Options of {@link imagePairs}. */
export interface ImagePairsOptions {
  /** The part of the experiment: its crops and measurements come from its own streams. */
  readonly part: 'train' | 'test';
  /** The experiment seed. */
  readonly seed: number;
  /** How the images are cropped. */
  readonly crops: CropSpec;
  /** How the crops are degraded (for `paired` images: only the data operator it names). */
  readonly degradation: DegradationInput;
  /**
   * Degraded images given with the clean ones (real measurements), by image name: each crop's
   * measurement is cut from its image at the same place instead of being synthesised.
   */
  readonly paired?: ReadonlyMap<string, Image>;
  /** The longer side the images were shrunk to, for messages only. */
  readonly maxSide?: number;
}

/** One training or test pair: a clean crop, its degraded version and its data operator, with where it came from. */
export interface ImagePair {
  /** `<image>#<k>`: source image name and crop index. */
  readonly name: string;
  /** The clean crop `x†`. */
  readonly clean: Image;
  /** The measurement `y` (noisy, blurred and noisy, or masked). */
  readonly degraded: Image;
  /** The data operator `A` of the crop's data term `½‖Ax − y‖²` as data (its own mask for inpainting). */
  readonly operator: DataOperatorSpec;
  /** `A` built (undefined for the identity). */
  readonly forward?: LinearOperator;
  /** Source image name (photograph name or file name). */
  readonly source: string;
  /** Row of the crop in the (shrunk) source image. */
  readonly top: number;
  /** Column of the crop in the (shrunk) source image. */
  readonly left: number;
}

const optionsSchema = z.strictObject({
  part: z.enum(['train', 'test']),
  seed: z.number().int('must be an integer'),
  crops: cropSpecSchema,
  degradation: degradationSchema,
  paired: z.custom<ReadonlyMap<string, Image>>((v) => v instanceof Map, { message: 'must be a Map from image name to image' }).optional(),
  maxSide: positiveInt.optional(),
});

/** The measurement of a crop at (top, left): cut from the paired degraded image, or synthesised. */
function measure(clean: Image, at: { top: number; left: number }, paired: Image | undefined, d: Degradation, rng: Rng): DegradedSample {
  if (!paired) return degradeSample(clean, d, rng);
  const operator = degradationOperator(d);
  const forward = dataOperator(operator, imageShape(clean));
  return { degraded: crop(paired, { ...at, height: clean.height, width: clean.width }), operator, ...(forward ? { forward } : {}) };
}

/**
 * The pairs of one part of an experiment, deterministically from the seed: for each image in
 * order, `cropsPerImage` random crops (`sampleCrops`, rejecting crops flatter than `minStd`) from
 * the part's crop stream, each degraded ({@link degradeSample}) with the part's noise stream —
 * the streams run on across the images, so image `k`'s draws follow image `k−1`'s. Every image
 * must be at least as large as the crop.
 * @param images the clean images of the part (gray, already shrunk), in order
 * @param options part, seed, crop spec, degradation (and paired measurements)
 */
export function imagePairs(images: readonly NamedImage[], options: ImagePairsOptions): ImagePair[] {
  const o = parseOrThrow(optionsSchema, options, 'imagePairs options');
  const key = `data.${o.part}`;
  const { cropSize, cropsPerImage, minStd } = o.crops;
  const cropRng = streamFor(o.seed, o.part === 'train' ? 'trainCrops' : 'testCrops');
  const noiseRng = streamFor(o.seed, o.part === 'train' ? 'trainNoise' : 'testNoise');
  const out: ImagePair[] = [];
  for (const img of images) {
    assertImage(`${key} image "${img.name}"`, img.image);
    const { height, width } = img.image;
    if (height < cropSize || width < cropSize) {
      const shrunk = o.maxSide !== undefined ? ` (after shrinking to maxSide ${o.maxSide})` : '';
      throw new ValidationError(
        `${key}.cropSize: image "${img.name}" is ${height}×${width} pixels${shrunk}, smaller than the crop size ${cropSize}×${cropSize}; use a smaller cropSize, a larger data.maxSide, or larger images`,
      );
    }
    let patches;
    try {
      patches = sampleCrops([img], { size: cropSize, count: cropsPerImage, seed: cropRng, minStd });
    } catch (e) {
      if (e instanceof ValidationError) throw new ValidationError(`${key} (image "${img.name}"): ${e.message}`);
      throw e;
    }
    patches.forEach((p, k) => {
      const { degraded, operator, forward } = measure(p.image, p, o.paired?.get(img.name), o.degradation, noiseRng);
      out.push({ name: `${img.name}#${k}`, clean: p.image, degraded, operator, ...(forward ? { forward } : {}), source: img.name, top: p.top, left: p.left });
    });
  }
  return out;
}
