/**
 * The data of an experiment: clean images (bundled photographs or a folder), seeded crops and
 * seeded degradations (noise, blur + noise), split into training and test pairs.
 * @module
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { Rng, ValidationError, type LinearOperator, type Shape } from '@bilevel/core';
import {
  DEFAULT_SPLIT,
  PHOTOGRAPHS,
  addGaussianNoise,
  applyMask,
  crop,
  degrade,
  randomMask,
  imageShape,
  sampleCrops,
  splitByImage,
  type Image,
  type NamedImage,
  type PhotographName,
} from '@bilevel/imaging';
import { loadFolder, loadPhotograph, photographPath } from '@bilevel/imaging/node';
import { dataOperator, type DataOperatorSpec } from '@bilevel/models';
import { Mask, gaussianKernel, type Convolution2D } from '@bilevel/operators';
import type { DataConfig, DegradationConfig, ExperimentConfig } from './config/schema.js';

/** One training or test pair: a clean crop and its degraded version, with where it came from. */
export interface ImagePair {
  /** `<image>#<k>`: source image name and crop index. */
  readonly name: string;
  /** The clean crop `x†` (one channel, values in `[0, 1]`). */
  readonly clean: Image;
  /** The degraded measurement `y` (noisy, blurred and noisy, or masked). */
  readonly degraded: Image;
  /** The crop's own forward operator (inpainting: its mask); undefined: the degradation's ({@link forwardOperator}). */
  readonly forward?: LinearOperator;
  /** Source image name (photograph name or file name). */
  readonly source: string;
  /** Row of the crop in the (shrunk) source image. */
  readonly top: number;
  /** Column of the crop in the (shrunk) source image. */
  readonly left: number;
}

/** Training and test pairs of an experiment. */
export interface Dataset {
  /** Training pairs (the samples of the bilevel problem). */
  readonly train: readonly ImagePair[];
  /** Held-out test pairs (never seen in training: split by source image). */
  readonly test: readonly ImagePair[];
  /** Names of the source images of each part. */
  readonly sources: DatasetSources;
}

/** Names of the source images of the training and test parts of a {@link Dataset}. */
export interface DatasetSources {
  /** Source images of the training crops. */
  readonly train: readonly string[];
  /** Source images of the test crops. */
  readonly test: readonly string[];
}

/** Independent seeded streams derived from the experiment seed (one per use). */
export const SEED_OFFSETS = {
  /** Positions of the training crops. */
  trainCrops: 101,
  /** Positions of the test crops. */
  testCrops: 202,
  /** Noise of the training measurements. */
  trainNoise: 303,
  /** Noise of the test measurements. */
  testNoise: 404,
  /** Initial filters. */
  init: 505,
  /** Train/test split of a folder. */
  split: 606,
  /** Minibatch sampling of the stochastic optimizers. */
  minibatch: 707,
} as const;

/** The seeded stream for one use of randomness in an experiment. */
export function streamFor(seed: number, use: keyof typeof SEED_OFFSETS): Rng {
  return Rng.seeded((seed * 7919 + SEED_OFFSETS[use]) | 0);
}

/**
 * The blur kernel of a blur degradation, `gaussianKernel(size, σ)` of `@bilevel/operators`
 * (normalised to sum 1); undefined for pure noise.
 */
export function blurKernel(d: DegradationConfig): Float64Array | undefined {
  return d.kind === 'blur' ? gaussianKernel(d.size, d.sigma) : undefined;
}

/** Boundary rule of the blur, in data generation and in the deblurring model alike (see {@link blurOperator}). */
export const BLUR_BOUNDARY = 'symmetric' as const;

/**
 * The blur `A` on images of `shape` `[C, H, W]`: the `Convolution2D` of `@bilevel/operators`,
 * `(A x)[c, p] = Σ_q k[q]·x̃[c, p + q]` (correlation with centred offsets, `x̃` the
 * {@link BLUR_BOUNDARY} extension). The one place the app builds a blur: the measurements
 * ({@link degradeImage}) and the deblurring model's data term `½‖Ax − y‖²` both use it, so
 * `y = A x† + σε` holds exactly for the model's `A`, for any kernel (asymmetric ones included).
 */
export function blurOperator(kernel: Float64Array, shape: Shape): Convolution2D {
  return dataOperator({ kind: 'convolution', kernel, boundary: BLUR_BOUNDARY }, shape) as Convolution2D;
}

/**
 * The data operator of a degradation as data (`DataOperatorSpec` of `@bilevel/models`, what the
 * compute engines rebuild): the {@link blurKernel} with {@link BLUR_BOUNDARY} for `blur`, the
 * identity for `noise`; inpainting has none (each sample carries its own mask).
 */
export function dataOperatorSpec(d: DegradationConfig): DataOperatorSpec {
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
export function forwardOperator(d: DegradationConfig, shape: Shape): LinearOperator | undefined {
  return dataOperator(dataOperatorSpec(d), shape);
}

/**
 * Apply the configured degradation to a clean image, `y = A x + σε` with `A` the
 * {@link forwardOperator} (identity for noise) and `ε` drawn from `rng`.
 */
export function degradeImage(clean: Image, d: DegradationConfig, rng: Rng): Image {
  return degradeSample(clean, d, rng).degraded;
}

/** A degraded sample: the measurement and the forward operator of its data term (undefined: identity). */
export interface DegradedSample {
  /** The measurement `y = A x + σε`. */
  readonly degraded: Image;
  /** The sample's forward operator `A` (undefined for pure noise). */
  readonly forward?: LinearOperator;
}

/**
 * Degrade a clean image as the configured degradation says, returning the forward operator `A`
 * of the sample's data term `½‖Ax − y‖²` with the measurement: `y = A x + σε` for noise and
 * blur; for inpainting a fresh random mask `m` (`randomMask` of `@bilevel/imaging`, exactly
 * `round((1 − fraction)·H·W)` observed pixels, shared by the channels, drawn from `rng` before the
 * noise) and `y = M(x + σε)`, `A = M` the `Mask` of `@bilevel/operators`.
 */
export function degradeSample(clean: Image, d: DegradationConfig, rng: Rng): DegradedSample {
  if (d.kind === 'inpainting') {
    const mask = randomMask(clean.height, clean.width, { keepRatio: 1 - d.fraction, seed: rng });
    const degraded = applyMask(addGaussianNoise(clean, { sigma: d.noise, seed: rng, clamp: d.clamp }), mask);
    const perEntry = applyMask({ ...clean, data: new Float64Array(clean.data.length).fill(1) }, mask).data;
    return { degraded, forward: new Mask(imageShape(clean), perEntry) };
  }
  const forward = forwardOperator(d, imageShape(clean));
  const sigma = d.kind === 'noise' ? d.sigma : d.noise;
  return { degraded: degrade(clean, { ...(forward ? { forward } : {}), sigma, seed: rng, clamp: d.clamp }), ...(forward ? { forward } : {}) };
}

/** What a degraded crop is called in pictures and tables: `noisy`, `blurred` or `masked`. */
export function degradedLabel(d: DegradationConfig): string {
  return d.kind === 'noise' ? 'noisy' : d.kind === 'blur' ? 'blurred' : 'masked';
}

function isPhotograph(name: string): name is PhotographName {
  return PHOTOGRAPHS.some((p) => p.name === name);
}

/** Resolve `data.source.folder` against the directory of the config file (undefined for the bundled photographs and for pairs). */
export function resolveFolder(data: DataConfig, configDir: string): string | undefined {
  if (data.source === 'stdlib' || !('folder' in data.source)) return undefined;
  return absolute(data.source.folder, configDir);
}

const absolute = (path: string, dir: string): string => (isAbsolute(path) ? path : resolve(dir, path));

/** `data.source` with every folder resolved against the directory of the config file. */
export function resolveSource(data: DataConfig, configDir: string): DataConfig['source'] {
  const s = data.source;
  if (s === 'stdlib') return s;
  if ('folder' in s) return { ...s, folder: absolute(s.folder, configDir) };
  return { ...s, degraded: absolute(s.degraded, configDir), clean: absolute(s.clean, configDir) };
}

/** Where the images of a data section come from, for messages and reports. */
export function describeSource(data: DataConfig): string {
  const s = data.source;
  if (s === 'stdlib') return 'bundled photographs';
  return 'folder' in s ? `folder ${s.folder}` : `image pairs: degraded ${s.degraded}, clean ${s.clean}`;
}

interface Sources {
  readonly train: NamedImage[];
  readonly test: NamedImage[];
  /** For image pairs: the degraded image of each clean one, by name. */
  readonly degraded?: ReadonlyMap<string, Image>;
}

/**
 * The degraded image of every clean one, matched by file name; a file without its partner, or a
 * pair of different sizes, is an error naming it.
 */
function matchPairs(clean: readonly NamedImage[], degraded: readonly NamedImage[], dirs: { clean: string; degraded: string }): Map<string, Image> {
  const byName = new Map(degraded.map((d) => [d.name, d.image]));
  const cleanNames = new Set(clean.map((c) => c.name));
  const noDegraded = clean.filter((c) => !byName.has(c.name)).map((c) => c.name);
  const noClean = degraded.filter((d) => !cleanNames.has(d.name)).map((d) => d.name);
  if (noDegraded.length || noClean.length) {
    const parts = [
      ...(noDegraded.length ? [`no degraded image in ${dirs.degraded} for ${noDegraded.join(', ')}`] : []),
      ...(noClean.length ? [`no clean image in ${dirs.clean} for ${noClean.join(', ')}`] : []),
    ];
    throw new ValidationError(`data.source: the pairs are matched by file name, but ${parts.join('; ')}; give every image the same file name in both folders`);
  }
  for (const c of clean) {
    const d = byName.get(c.name)!;
    if (d.channels !== c.image.channels || d.height !== c.image.height || d.width !== c.image.width) {
      throw new ValidationError(
        `data.source: ${c.name} is ${c.image.width}×${c.image.height} in ${dirs.clean} but ${d.width}×${d.height} in ${dirs.degraded}; a pair must have the same size`,
      );
    }
  }
  return byName;
}

function pick(images: readonly NamedImage[], names: readonly string[] | undefined, count: number | undefined, part: string, where: string): NamedImage[] {
  let out: NamedImage[] = [...images];
  if (names) {
    out = names.map((n) => {
      const img = images.find((i) => i.name === n);
      if (!img) {
        throw new ValidationError(`data.${part}.images: no image named "${n}" in ${where}; available: ${images.map((i) => i.name).join(', ')}`);
      }
      return img;
    });
  }
  if (count !== undefined) {
    if (count > out.length) throw new ValidationError(`data.${part}.count: ${count} images requested but ${where} has only ${out.length} for ${part}`);
    out = out.slice(0, count);
  }
  return out;
}

function loadSources(config: ExperimentConfig, configDir: string): Sources {
  const { data } = config;
  const opts = { gray: data.gray, maxSide: data.maxSide } as const;
  const folder = resolveFolder(data, configDir);
  if (data.source === 'stdlib') {
    const cache = new Map<string, NamedImage>();
    const load = (names: readonly string[], part: string): NamedImage[] =>
      names.map((name) => {
        if (!isPhotograph(name)) {
          throw new ValidationError(
            `data.${part}.images: unknown photograph "${name}"; choose from ${PHOTOGRAPHS.map((p) => p.name).join(', ')}`,
          );
        }
        let img = cache.get(name);
        if (!img) {
          img = { name, path: photographPath(name), image: loadPhotograph(name, opts) };
          cache.set(name, img);
        }
        return img;
      });
    const part = (p: 'train' | 'test'): NamedImage[] => {
      const s = data[p];
      const names = s.images ?? DEFAULT_SPLIT[p].slice(0, s.count ?? DEFAULT_SPLIT[p].length);
      if (!s.images && s.count !== undefined && s.count > DEFAULT_SPLIT[p].length) {
        throw new ValidationError(`data.${p}.count: ${s.count} requested but the default ${p} split has ${DEFAULT_SPLIT[p].length} photographs`);
      }
      return load(names, p);
    };
    return { train: part('train'), test: part('test') };
  }
  return folder === undefined ? loadPairs(config, configDir) : splitFolder(loadFolder(folder, opts), config, `folder ${folder}`);
}

/** Clean images of a folder (or of pairs) split into training and test images as `data` says. */
function splitFolder(all: readonly NamedImage[], config: ExperimentConfig, where: string): Sources {
  const { data } = config;
  if (data.train.images || data.test.images) {
    return {
      train: pick(all, data.train.images, data.train.count, 'train', where),
      test: pick(all, data.test.images, data.test.count, 'test', where),
    };
  }
  const testFraction = data.source === 'stdlib' ? 0.25 : data.source.testFraction;
  const split = splitByImage(all, { testFraction, seed: streamFor(config.seed, 'split') });
  return {
    train: pick(split.train, undefined, data.train.count, 'train', where),
    test: pick(split.test, undefined, data.test.count, 'test', where),
  };
}

/** The image pairs of `data.source` `{ degraded, clean }`, split by their clean images. */
function loadPairs(config: ExperimentConfig, configDir: string): Sources {
  const source = resolveSource(config.data, configDir);
  if (source === 'stdlib' || 'folder' in source) throw new ValidationError('data.source: expected image pairs { degraded, clean }');
  const opts = { gray: config.data.gray, maxSide: config.data.maxSide } as const;
  const clean = loadFolder(source.clean, opts);
  const degraded = matchPairs(clean, loadFolder(source.degraded, opts), source);
  return { ...splitFolder(clean, config, `folder ${source.clean}`), degraded };
}

function samePixels(a: Image, b: Image): boolean {
  if (a.channels !== b.channels || a.height !== b.height || a.width !== b.width) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

/**
 * Refuse a test image that is also a training image (same name, same file, or the same pixels
 * under another name) unless `data.allowTrainTestOverlap` is set: test numbers are meant to be
 * held out.
 */
function checkHeldOut(sources: Sources, data: DataConfig): void {
  if (data.allowTrainTestOverlap) return;
  const key = data.test.images ? 'data.test.images' : 'data.test';
  for (const t of sources.test) {
    const same = sources.train.find((r) => r.name === t.name || (r.path !== undefined && r.path === t.path) || samePixels(r.image, t.image));
    if (same) {
      const how = same.name === t.name ? '' : ` (the same ${same.path === t.path ? 'file' : 'pixels'} as the training image "${same.name}")`;
      throw new ValidationError(
        `${key}: "${t.name}" is also a training image${how}, so the test numbers would not be held out; ` +
          'remove it from one of data.train and data.test, or set data.allowTrainTestOverlap: true to allow it knowingly',
      );
    }
  }
}

/** The degraded crop of a crop at (top, left): cut from the degraded image of a pair, or degraded now. */
function degradedCrop(clean: Image, at: { top: number; left: number }, paired: Image | undefined, d: DegradationConfig, rng: Rng): DegradedSample {
  if (!paired) return degradeSample(clean, d, rng);
  const forward = forwardOperator(d, imageShape(clean));
  return { degraded: crop(paired, { ...at, height: clean.height, width: clean.width }), ...(forward ? { forward } : {}) };
}

function cropPart(images: readonly NamedImage[], config: ExperimentConfig, part: 'train' | 'test', paired?: ReadonlyMap<string, Image>): ImagePair[] {
  const s = config.data[part];
  const cropRng = streamFor(config.seed, part === 'train' ? 'trainCrops' : 'testCrops');
  const noiseRng = streamFor(config.seed, part === 'train' ? 'trainNoise' : 'testNoise');
  const out: ImagePair[] = [];
  for (const img of images) {
    const { height, width } = img.image;
    if (height < s.cropSize || width < s.cropSize) {
      throw new ValidationError(
        `data.${part}.cropSize: image "${img.name}" is ${height}×${width} pixels (after shrinking to maxSide ${config.data.maxSide}), smaller than the crop size ${s.cropSize}×${s.cropSize}; use a smaller cropSize, a larger data.maxSide, or larger images`,
      );
    }
    let patches;
    try {
      patches = sampleCrops([img], { size: s.cropSize, count: s.cropsPerImage, seed: cropRng, minStd: s.minStd });
    } catch (e) {
      if (e instanceof ValidationError) throw new ValidationError(`data.${part} (image "${img.name}"): ${e.message}`);
      throw e;
    }
    patches.forEach((p, k) => {
      const { degraded, forward } = degradedCrop(p.image, p, paired?.get(img.name), config.data.degradation, noiseRng);
      out.push({
        name: `${img.name}#${k}`,
        clean: p.image,
        degraded,
        ...(forward && config.data.degradation.kind === 'inpainting' ? { forward } : {}),
        source: img.name,
        top: p.top,
        left: p.left,
      });
    });
  }
  return out;
}

/**
 * Build the training and test pairs of an experiment, deterministically from `config.seed`:
 * load the clean images (gray, shrunk to `data.maxSide`), check that no test image is also a
 * training image (unless `data.allowTrainTestOverlap`), take `cropsPerImage` random crops of
 * each (rejecting flat crops), and degrade each crop with fresh seeded noise.
 * @param config the validated experiment config
 * @param configDir directory of the config file (a relative `data.source.folder` is resolved against it)
 */
export function buildDataset(config: ExperimentConfig, configDir = '.'): Dataset {
  const sources = loadSources(config, configDir);
  checkHeldOut(sources, config.data);
  return {
    train: cropPart(sources.train, config, 'train', sources.degraded),
    test: cropPart(sources.test, config, 'test', sources.degraded),
    sources: { train: sources.train.map((s) => s.name), test: sources.test.map((s) => s.name) },
  };
}

/** Directory of a config file (for resolving relative folders). */
export function configDirOf(configPath: string): string {
  return dirname(resolve(configPath));
}
