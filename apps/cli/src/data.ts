/**
 * The data of an experiment: the clean images (bundled photographs, a folder, or pairs of
 * degraded and clean images) loaded from files and split into training and test images; the
 * crops and their measurements come from the data pipeline of `@bilevel/imaging` (`imagePairs`,
 * the one the playground uses too).
 * @module
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { ValidationError } from '@bilevel/core';
import {
  DEFAULT_SPLIT,
  PHOTOGRAPHS,
  imagePairs,
  splitByImage,
  streamFor,
  type Image,
  type ImagePair,
  type NamedImage,
  type PhotographName,
} from '@bilevel/imaging';
import { loadFolder, loadPhotograph, photographPath } from '@bilevel/imaging/node';
import type { DataConfig, ExperimentConfig } from './config/schema.js';

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

/** The pairs of one part: `imagePairs` of `@bilevel/imaging` with the part's crop spec, the degradation and the seed. */
function cropPart(images: readonly NamedImage[], config: ExperimentConfig, part: 'train' | 'test', paired?: ReadonlyMap<string, Image>): ImagePair[] {
  const { cropSize, cropsPerImage, minStd } = config.data[part];
  return imagePairs(images, {
    part,
    seed: config.seed,
    crops: { cropSize, cropsPerImage, minStd },
    degradation: config.data.degradation,
    maxSide: config.data.maxSide,
    ...(paired ? { paired } : {}),
  });
}

/**
 * Build the training and test pairs of an experiment, deterministically from `config.seed`:
 * load the clean images (gray, shrunk to `data.maxSide`), check that no test image is also a
 * training image (unless `data.allowTrainTestOverlap`), take `cropsPerImage` random crops of
 * each (rejecting flat crops), and degrade each crop with fresh seeded noise (`imagePairs` of
 * `@bilevel/imaging`).
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
