/**
 * `bilevel eval --model <name|file|run-dir> --images <dir>`: a learned model against the TV
 * baseline stored with it (the weight tuned on the model's training data) on any folder of
 * images, each degraded with a fixed seed as the model was trained for; mean and per-image
 * PSNR/SSIM of the degraded input, TV and the learned model.
 * @module
 */
import { ValidationError, parseOrThrow, positiveInteger, z } from '@bilevel/core';
import { clampImage, degradeSample, sampleCrops, ssim, streamFor, type Image, type LoadOptions, type NamedImage } from '@bilevel/imaging';
import { loadFolder, loadPhotographs } from '@bilevel/imaging/node';
import type { DegradationConfig } from './config/schema.js';
import { loadLearnedModel, type LearnedModel } from './model-source.js';
import { psnrOf } from './report/pictures.js';
import { stdoutLine } from './run/output.js';
import { reconstructModel, reconstructTvBaseline } from './wiring/problem.js';

/** Options of {@link evaluateModelOnFolder}. */
export interface FolderEvalOptions {
  /** The model: a model JSON file or a run directory (as `--model` of `bilevel denoise`). */
  readonly model: string;
  /** Folder of PNG/JPEG images (not recursive). */
  readonly images: string;
  /** Noise level σ of the degradation (default: the model's). */
  readonly sigma?: number;
  /** Random crops per image (default: the whole image, or 1 when `cropSize` is given). */
  readonly crops?: number;
  /** Side of the square crops (default 64 when `crops` is given). */
  readonly cropSize?: number;
  /** Seed of the crops and the degradation (default 0). */
  readonly seed?: number;
  /** Shrink every image so its longer side is at most this many pixels before cropping. */
  readonly maxSide?: number;
  /** Keep images the model was trained on (`meta.trainingImages`); by default they are left out, so the numbers are held out. */
  readonly includeTraining?: boolean;
  /** TV weight of the baseline (default: the model's stored `tvBaseline`). */
  readonly tvWeight?: number;
  /**
   * Evaluate only the first `limit` images (or crops) of the list the full evaluation runs over
   * (a positive integer; default all). Crop `k` is the same crop with the same noise as in the
   * full evaluation: crops are drawn for every image first, and the test-noise stream runs over
   * the crops in order, so crop `k`'s draws follow those of crops `0 … k−1`, which a prefix keeps.
   */
  readonly limit?: number;
  /** Lower-level accuracy (default: the model's). */
  readonly epsilon?: number;
  /** Iteration cap per reconstruction (default: the model's). */
  readonly maxIterations?: number;
  /** Progress messages (default: stdout). */
  readonly write?: (line: string) => void;
}

/** PSNR (dB) and SSIM of the degraded input, TV and the learned model (per image, or their means). */
export interface FolderMetrics {
  /** PSNR of the degraded input. */
  readonly input_psnr: number;
  /** PSNR of the TV baseline. */
  readonly tv_psnr: number;
  /** PSNR of the learned model. */
  readonly learned_psnr: number;
  /** SSIM of the degraded input. */
  readonly input_ssim: number;
  /** SSIM of the TV baseline. */
  readonly tv_ssim: number;
  /** SSIM of the learned model. */
  readonly learned_ssim: number;
}

/** The metrics of one image or crop. */
export interface FolderImageMetrics extends FolderMetrics {
  /** File name, with `#k` for the k-th crop. */
  readonly name: string;
}

/** Result of {@link evaluateModelOnFolder} (`--json` prints it): the mean metrics and the per-image ones. */
export interface FolderEvalResult extends FolderMetrics {
  /** The model's name. */
  readonly model: string;
  /** The image folder. */
  readonly folder: string;
  /** Number of images (or crops) evaluated. */
  readonly images: number;
  /** The degradation applied (with the `--sigma` override). */
  readonly degradation: DegradationConfig;
  /** Seed of the crops and the degradation. */
  readonly seed: number;
  /** TV weight of the baseline. */
  readonly tv_weight: number;
  /** Per image (or crop). */
  readonly per_image: readonly FolderImageMetrics[];
}

const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

/** The options of {@link evaluateModelOnFolder} that are checked here (the CLI's parsers check the others first). */
const checkedOptionsSchema = z.looseObject({ limit: positiveInteger.optional() });

/** The degradation of the model with the noise level replaced by `sigma` when given. */
export function withNoiseLevel(d: DegradationConfig, sigma: number | undefined): DegradationConfig {
  if (sigma === undefined) return d;
  return d.kind === 'noise' ? { ...d, sigma } : { ...d, noise: sigma };
}

/** `--images stdlib`, `stdlib:train`, `stdlib:test`: the bundled photographs (all, or a part of their default split). */
const BUNDLED_IMAGES = /^stdlib(?::(train|test))?$/;

/**
 * The images of `--images`: a folder of PNG/JPEG files, or the bundled photographs (`stdlib`,
 * `stdlib:train`, `stdlib:test`: the default split of `@bilevel/imaging`, which pretrained models
 * are measured on).
 */
export function loadEvaluationImages(images: string, options: LoadOptions): NamedImage[] {
  const bundled = BUNDLED_IMAGES.exec(images);
  if (bundled) return loadPhotographs((bundled[1] as 'train' | 'test' | undefined) ?? 'all', options);
  return loadFolder(images, options);
}

/**
 * The images not named among the model's training images (`meta.trainingImages`), with a line
 * saying which were left out; a `ValidationError` when none is left.
 */
function heldOut(all: readonly NamedImage[], learned: LearnedModel, folder: string, write: (line: string) => void): readonly NamedImage[] {
  const training = new Set(learned.trainingImages);
  const kept = all.filter((i) => !training.has(i.name));
  if (kept.length === all.length) return all;
  const left = all.filter((i) => training.has(i.name)).map((i) => i.name);
  if (!kept.length) {
    throw new ValidationError(
      `--images ${folder}: every image is one ${learned.name} was trained on (${left.join(', ')}), so no number would be held out; ` +
        'evaluate on other images, or pass --include-training to measure on the training images knowingly',
    );
  }
  write(`leaving out ${left.length} training image(s) of ${learned.name}: ${left.join(', ')} (--include-training keeps them)`);
  return kept;
}

/** The images (or seeded crops of them) to evaluate on. */
function evaluationImages(all: readonly NamedImage[], options: FolderEvalOptions, seed: number): { name: string; image: Image }[] {
  if (options.crops === undefined && options.cropSize === undefined) return all.map((i) => ({ name: i.name, image: i.image }));
  const size = options.cropSize ?? 64;
  const count = options.crops ?? 1;
  const rng = streamFor(seed, 'testCrops');
  return all.flatMap((img) => {
    if (img.image.height < size || img.image.width < size) {
      throw new ValidationError(
        `--crop-size ${size}: ${img.name} is ${img.image.height}×${img.image.width} pixels${options.maxSide ? ` (after --max-side ${options.maxSide})` : ''}; use a smaller --crop-size or larger images`,
      );
    }
    return sampleCrops([img], { size, count, seed: rng }).map((p, k) => ({ name: `${img.name}#${k}`, image: p.image }));
  });
}

/**
 * Evaluate a learned model on every image of a folder: load the images (gray, or with the
 * model's `channels` when it has that option), optionally take seeded crops, degrade each with
 * the model's degradation (σ overridable) from a fixed seed, reconstruct with the learned model
 * and with the TV baseline at the weight stored with the model (tuned on its training data),
 * and report mean and per-image PSNR/SSIM (estimates clipped to [0, 1]). `limit` keeps the
 * first images (or crops) of that list, each with the numbers it has in the full evaluation.
 */
export function evaluateModelOnFolder(options: FolderEvalOptions): FolderEvalResult {
  parseOrThrow(checkedOptionsSchema, options, 'bilevel eval options');
  const write = options.write ?? stdoutLine;
  const learned = loadLearnedModel(options.model);
  const tvWeight = options.tvWeight ?? learned.tvBaseline?.weight;
  if (tvWeight === undefined) {
    throw new ValidationError(
      `--model ${options.model} stores no TV baseline (meta.tvBaseline: the TV weight tuned on its training data); ` +
        'train it to completion with `bilevel train` (its run folder then holds model.json with the tuned weight), or pass --tv-weight <w>',
    );
  }
  const base = learned.degradation;
  if (!base && options.sigma === undefined) {
    throw new ValidationError(`--model ${options.model} does not say which degradation it was trained for (meta.degradation); pass --sigma for denoising`);
  }
  const degradation = withNoiseLevel(base ?? { kind: 'noise', sigma: options.sigma!, clamp: false }, options.sigma);
  const seed = options.seed ?? 0;
  const channels = Number((learned.spec.options as { channels?: unknown }).channels ?? 1);
  const loaded = loadEvaluationImages(options.images, { gray: channels === 1, ...(options.maxSide ? { maxSide: options.maxSide } : {}) });
  const all = options.includeTraining ? loaded : heldOut(loaded, learned, options.images, write);
  const wrong = all.find((i) => i.image.channels !== channels);
  if (wrong) {
    throw new ValidationError(`${options.images}/${wrong.name} has ${wrong.image.channels} channel(s) but the model ${learned.name} works on ${channels}; use ${channels === 3 ? 'RGB' : 'gray'} images`);
  }
  const every = evaluationImages(all, options, seed);
  const images = every.slice(0, options.limit);
  const opts = { epsilon: options.epsilon ?? learned.epsilon, maxIterations: options.maxIterations ?? learned.maxIterations };
  const noise = streamFor(seed, 'testNoise');
  const count = images.length < every.length ? `the first ${images.length} of ${every.length}` : `${images.length}`;
  write(`evaluating ${learned.name} on ${count} image(s) of ${options.images} (TV weight ${tvWeight.toPrecision(3)}) …`);
  const perImage = images.map(({ name, image: clean }): FolderImageMetrics => {
    const { degraded, forward } = degradeSample(clean, degradation, noise);
    const tv = reconstructTvBaseline({ degradation, ridge: learned.ridge }, tvWeight, degraded, opts, forward).image;
    const x = reconstructModel(learned.spec, { ...(forward ? { forward } : {}), ridge: learned.ridge }, degraded, opts).image;
    const score = (img: Image) => ({ psnr: psnrOf(img, clean), ssim: ssim(clampImage(img), clean, { dataRange: 1 }) });
    const [i, t, l] = [score(degraded), score(tv), score(x)];
    write(`  ${name}: input ${i.psnr.toFixed(2)} dB, TV ${t.psnr.toFixed(2)} dB, learned ${l.psnr.toFixed(2)} dB`);
    return { name, input_psnr: i.psnr, tv_psnr: t.psnr, learned_psnr: l.psnr, input_ssim: i.ssim, tv_ssim: t.ssim, learned_ssim: l.ssim };
  });
  const m = (k: keyof FolderMetrics): number => mean(perImage.map((r) => r[k]));
  const result: FolderEvalResult = {
    model: learned.name,
    folder: options.images,
    images: perImage.length,
    degradation,
    seed,
    tv_weight: tvWeight,
    input_psnr: m('input_psnr'),
    tv_psnr: m('tv_psnr'),
    learned_psnr: m('learned_psnr'),
    input_ssim: m('input_ssim'),
    tv_ssim: m('tv_ssim'),
    learned_ssim: m('learned_ssim'),
    per_image: perImage,
  };
  write(`mean over ${result.images}: input ${result.input_psnr.toFixed(2)} dB / ${result.input_ssim.toFixed(4)}, ` +
    `TV ${result.tv_psnr.toFixed(2)} dB / ${result.tv_ssim.toFixed(4)}, learned ${result.learned_psnr.toFixed(2)} dB / ${result.learned_ssim.toFixed(4)} (PSNR / SSIM)`);
  return result;
}
