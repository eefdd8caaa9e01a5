/**
 * Loading images from files (Node only): the bundled photographs through their npm packages and
 * a folder of the user's own PNG/JPEG files, decoded by the browser-safe pipeline of
 * `datasets.ts` ({@link photographFromBytes}, {@link prepareImage}).
 * @module
 */
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { ValidationError, fileSystemError } from '@bilevel/core';
import {
  DEFAULT_SPLIT, PHOTOGRAPHS, PHOTOGRAPH_FILE, parseLoadOptions, photographFromBytes, photographInfo, prepareImage,
  type LoadOptions, type PhotographName,
} from './datasets.js';
import type { Image, NamedImage } from './image.js';
import { readBytes, readImage } from './io.js';

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
  return join(dirname(pkgJson), ...PHOTOGRAPH_FILE.split('/'));
}

/**
 * Load a bundled photograph with values in `[0, 1]`: RGB by default, one channel with
 * `gray: true`; `maxSide` shrinks it (area averaging) so the longer side is at most that many
 * pixels, e.g. `maxSide: 256`. Decoding takes roughly 50–150 ms per photograph.
 */
export function loadPhotograph(name: PhotographName, options: LoadOptions = {}): Image {
  parseLoadOptions(options, `loadPhotograph('${name}') options`);
  return photographFromBytes(name, readBytes(photographPath(name)), options);
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
  const o = parseLoadOptions(options, `loadFolder('${dir}') options`);
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
    return { name: f, path, image: prepareImage(readImage(path), o) };
  });
}
