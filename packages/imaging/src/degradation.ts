/**
 * Degradations as data — Gaussian noise, Gaussian blur + noise, a random inpainting mask + noise,
 * as an experiment config or the playground says them — and what each one means for one clean
 * image: the forward operator `A` of the data term `½‖Ax − y‖²` (as data, a `DataOperatorSpec` of
 * `@bilevel/operators`, and built) and the seeded measurement `y`.
 *
 * One definition serves the data and the model: the measurement is made with the operator the
 * model's data term is built from, so `y = A x† + σε` holds exactly for the model's `A`.
 * @module
 */
import { ValidationError, kindError, parseOrThrow, strictObject, z, type LinearOperator, type Rng, type Shape } from '@bilevel/core';
import { dataOperator, gaussianKernel, type Convolution2D, type DataOperatorSpec } from '@bilevel/operators';
import { addGaussianNoise, applyMask, degrade, randomMask } from './degrade.js';
import { imageShape, type Image } from './image.js';

const positive = z.number().finite().positive('must be > 0');
const nonNegative = z.number().finite().nonnegative('must be ≥ 0');
/** A noise level on the [0, 1] intensity scale (at most 100: larger values overflow the noise). */
const noiseLevel = (s: z.ZodNumber) => s.max(100, 'must be ≤ 100 (on the [0, 1] intensity scale)');
const oddInt = z
  .number()
  .int('must be an integer')
  .positive('must be ≥ 1')
  .refine((v) => v % 2 === 1, { message: 'must be odd (the kernel needs a centre pixel)' });

const noiseDegradation = strictObject({
  /** Additive white Gaussian noise. */
  kind: z.literal('noise'),
  /** Standard deviation of additive white Gaussian noise, on the [0, 1] intensity scale. */
  sigma: noiseLevel(positive).describe('Standard deviation of additive white Gaussian noise, on the [0, 1] intensity scale.'),
  /** Clamp the noisy image to [0, 1] (the ISGD code does; MAID does not). */
  clamp: z.boolean().default(false).describe('Clamp the noisy image to [0, 1] (the ISGD code does; MAID does not).'),
});

const blurDegradation = strictObject({
  /** Gaussian blur, then noise. */
  kind: z.literal('blur'),
  /** Blur kernel family (Gaussian, normalised to sum 1). */
  kernel: z.literal('gaussian').default('gaussian').describe('Blur kernel family (Gaussian, normalised to sum 1).'),
  /** Kernel side (odd). */
  size: oddInt.max(101, 'must be ≤ 101').default(5).describe('Kernel side (odd, at most 101).'),
  /** Standard deviation of the Gaussian kernel, in pixels. */
  sigma: positive.default(1).describe('Standard deviation of the Gaussian kernel, in pixels.'),
  /** Standard deviation of the Gaussian noise added after blurring. */
  noise: noiseLevel(nonNegative).describe('Standard deviation of the Gaussian noise added after blurring.'),
  /** Clamp the degraded image to [0, 1]. */
  clamp: z.boolean().default(false).describe('Clamp the degraded image to [0, 1].'),
});

const inpaintingDegradation = strictObject({
  /** Random pixel masks (inpainting): a fresh seeded mask per crop, the same for every channel, then noise. */
  kind: z.literal('inpainting'),
  /** Fraction of the pixels removed by each mask (exactly round(fraction·H·W) of them, at seeded random positions). */
  fraction: z
    .number()
    .gt(0, 'must be > 0')
    .lt(1, 'must be < 1 (some pixels must be observed)')
    .describe('Fraction of the pixels removed by each mask (exactly round(fraction·H·W) of them, at seeded random positions).'),
  /** Standard deviation of the Gaussian noise on the observed pixels, y = M(x + σε). */
  noise: noiseLevel(nonNegative).default(0).describe('Standard deviation of the Gaussian noise on the observed pixels, y = M(x + σε).'),
  /** Clamp the noisy image to [0, 1] before masking. */
  clamp: z.boolean().default(false).describe('Clamp the noisy image to [0, 1] before masking.'),
});

/**
 * zod schema of a degradation (`data.degradation` of an experiment config): how clean crops are
 * degraded, and the forward operator of the model's data term. Strict objects: an unknown key is
 * named with the allowed ones.
 */
export const degradationSchema = z.discriminatedUnion(
  'kind',
  [noiseDegradation, blurDegradation, inpaintingDegradation],
  kindError('data.degradation', ['noise', 'blur', 'inpainting']),
);

/** A validated degradation, defaults filled in (see {@link degradationSchema}). */
export type Degradation = z.output<typeof degradationSchema>;
/** A degradation as written (defaults may be omitted). */
export type DegradationInput = z.input<typeof degradationSchema>;

/** Boundary rule of the blur, in data generation and in the deblurring model alike (see {@link blurOperator}). */
export const BLUR_BOUNDARY = 'symmetric' as const;

/**
 * The blur kernel of a blur degradation, `gaussianKernel(size, σ)` of `@bilevel/operators`
 * (normalised to sum 1); undefined for the others.
 */
export function blurKernel(degradation: DegradationInput): Float64Array | undefined {
  const d = parseOrThrow(degradationSchema, degradation, 'degradation');
  return d.kind === 'blur' ? gaussianKernel(d.size, d.sigma) : undefined;
}

/**
 * The blur `A` on images of `shape` `[C, H, W]`: the `Convolution2D` of `@bilevel/operators`,
 * `(A x)[c, p] = Σ_q k[q]·x̃[c, p + q]` (correlation with centred offsets, `x̃` the
 * {@link BLUR_BOUNDARY} extension), built by `dataOperator` from its description.
 */
export function blurOperator(kernel: Float64Array, shape: Shape): Convolution2D {
  return dataOperator({ kind: 'convolution', kernel, boundary: BLUR_BOUNDARY }, shape) as Convolution2D;
}

/**
 * The data operator of a degradation as data (what the compute engines rebuild): the
 * {@link blurKernel} with {@link BLUR_BOUNDARY} for `blur`, the identity for `noise`. Inpainting
 * draws a mask per image, so it has none of its own: each sample carries its mask
 * ({@link degradeSample}); asking for it is a `ValidationError`.
 */
export function degradationOperator(degradation: DegradationInput): DataOperatorSpec {
  const d = parseOrThrow(degradationSchema, degradation, 'degradation');
  if (d.kind === 'inpainting') {
    throw new ValidationError(
      'data.degradation "inpainting" draws a mask per image, so it has no single forward operator: each sample carries its own (degradeSample); ' +
        'evaluate an inpainting model with `bilevel eval --model … --images …`',
    );
  }
  const kernel = blurKernel(d);
  return kernel ? { kind: 'convolution', kernel, boundary: BLUR_BOUNDARY } : { kind: 'identity' };
}

/**
 * The forward operator `A` of a degradation on images of `shape`: the {@link blurOperator} of
 * the {@link blurKernel} for `blur`, undefined (the identity) for `noise`.
 */
export function forwardOperator(d: DegradationInput, shape: Shape): LinearOperator | undefined {
  return dataOperator(degradationOperator(d), shape);
}

/** A degraded image: the measurement and the data operator of its data term. */
export interface DegradedSample {
  /** The measurement `y = A x + σε`. */
  readonly degraded: Image;
  /** The data operator `A` as data (identity for pure noise, the blur, or the image's own mask). */
  readonly operator: DataOperatorSpec;
  /** `A` built (`dataOperator(operator, shape)`; undefined for the identity). */
  readonly forward?: LinearOperator;
}

/**
 * Degrade a clean image as the degradation says, returning the forward operator `A` of the
 * sample's data term `½‖Ax − y‖²` with the measurement: `y = A x + σε` for noise and blur
 * (`ε` drawn from `rng` in data order); for inpainting a fresh random mask `m`
 * ({@link randomMask}, exactly `round((1 − fraction)·H·W)` observed pixels, shared by the
 * channels, drawn from `rng` before the noise) and `y = M(x + σε)`, `A = M` the `Mask` of
 * `@bilevel/operators`.
 */
export function degradeSample(clean: Image, degradation: DegradationInput, rng: Rng): DegradedSample {
  const d = parseOrThrow(degradationSchema, degradation, 'degradation');
  const shape = imageShape(clean);
  if (d.kind === 'inpainting') {
    const mask = randomMask(clean.height, clean.width, { keepRatio: 1 - d.fraction, seed: rng });
    return maskedSample(addGaussianNoise(clean, { sigma: d.noise, seed: rng, clamp: d.clamp }), mask);
  }
  const operator = degradationOperator(d);
  const forward = dataOperator(operator, shape);
  const sigma = d.kind === 'noise' ? d.sigma : d.noise;
  return { degraded: degrade(clean, { ...(forward ? { forward } : {}), sigma, seed: rng, clamp: d.clamp }), operator, ...(forward ? { forward } : {}) };
}

/**
 * The inpainting sample of an image and a mask: the measurement `y = M x` (missing pixels 0) and
 * the data operator `M` of the data term `½‖Mx − y‖²`, the `Mask` of `@bilevel/operators` — what
 * {@link degradeSample} makes of its random mask (from the noisy image) and `bilevel inpaint` of a
 * user's mask. `mask`: 1 channel of 0/1 (1 = observed), shared by every channel of `image`, or
 * one per channel.
 */
export function maskedSample(image: Image, mask: Image): DegradedSample {
  const operator: DataOperatorSpec = { kind: 'mask', mask: applyMask({ ...image, data: new Float64Array(image.data.length).fill(1) }, mask).data };
  return { degraded: applyMask(image, mask), operator, forward: dataOperator(operator, imageShape(image))! };
}

/** The measurement of {@link degradeSample} alone. */
export function degradeImage(clean: Image, d: DegradationInput, rng: Rng): Image {
  return degradeSample(clean, d, rng).degraded;
}

/** What a degraded crop is called in pictures and tables: `noisy`, `blurred` or `masked`. */
export function degradedLabel(d: Pick<Degradation, 'kind'>): string {
  return d.kind === 'noise' ? 'noisy' : d.kind === 'blur' ? 'blurred' : 'masked';
}
