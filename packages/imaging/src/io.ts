/**
 * Reading and writing image files by path (Node `fs`), with errors that name the file, and
 * creating folders without the endless loop of a recursive `mkdir` on special file systems.
 * @module
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FileSystemError, ValidationError, fileSystemError, systemErrorCode } from '@bilevel/core';
import {
  decodeImageWithInfo, decodeJpeg, decodePng, encodeImage, encodePng, imageFormatOfPath,
  type DecodedImage, type DecodeOptions, type EncodeImageOptions, type EncodePngOptions,
} from './codecs.js';
import type { Image } from './image.js';

/**
 * Read a whole file; a missing or unreadable file throws a `FileSystemError` naming it, a folder
 * a `ValidationError`.
 */
export function readBytes(path: string): Uint8Array {
  try {
    if (statSync(path).isDirectory()) {
      throw new ValidationError(`${path} is a directory, not an image file; use loadFolder(dir) to load every image in it`);
    }
    return readFileSync(path);
  } catch (e) {
    if (systemErrorCode(e) === 'ENOENT') {
      throw new FileSystemError(`image file not found: ${path} (resolved to ${resolve(path)}); check the path and that the file exists`, path, 'ENOENT');
    }
    throw fileSystemError(e, 'read the image file', path);
  }
}

/** Read a PNG file (see {@link decodePng}): values in `[0, 1]`, channels as stored. */
export function readPng(path: string, options: Omit<DecodeOptions, 'source'> = {}): Image {
  return decodePng(readBytes(path), { ...options, source: path });
}

/** Read a JPEG file (see {@link decodeJpeg}): 1 (gray) or 3 channels, values in `[0, 1]`. */
export function readJpeg(path: string, options: Omit<DecodeOptions, 'source'> = {}): Image {
  return decodeJpeg(readBytes(path), { ...options, source: path });
}

/** Read a PNG or JPEG file, chosen by its signature (not its extension). */
export function readImage(path: string, options: Omit<DecodeOptions, 'source'> = {}): Image {
  return readImageWithInfo(path, options).image;
}

/** Read a PNG or JPEG file with its format, bit depth and palette flag ({@link decodeImageWithInfo}). */
export function readImageWithInfo(path: string, options: Omit<DecodeOptions, 'source'> = {}): DecodedImage {
  return decodeImageWithInfo(readBytes(path), { ...options, source: path });
}

/**
 * Create the folder `path` and its missing parents, one level at a time (Node's recursive
 * `mkdir` loops forever under `/proc`). An existing folder is fine; an existing file, or a
 * parent that cannot be created, throws a `FileSystemError` naming the path and a fix.
 */
export function makeDirectory(path: string): void {
  const full = resolve(path);
  const missing: string[] = [];
  for (let p = full; ; p = dirname(p)) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      const code = systemErrorCode(e);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(p) === p) throw fileSystemError(e, 'create the folder', path);
      missing.push(p);
      continue;
    }
    if (!isDir) {
      throw new FileSystemError(
        `cannot create the folder ${path}: ${p} is a file, not a folder (ENOTDIR); choose another path`,
        path,
        p === full ? 'EEXIST' : 'ENOTDIR',
      );
    }
    break;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (e) {
      if (systemErrorCode(e) === 'EEXIST' && statSync(dir).isDirectory()) continue; // created meanwhile
      // ENOENT although the parent exists: a special file system (/proc, /sys) that has no room for folders
      const fix = systemErrorCode(e) === 'ENOENT' ? `the file system of ${dirname(dir)} does not allow new folders; choose another location` : undefined;
      throw fileSystemError(e, 'create the folder', dir === full ? path : dir, fix);
    }
  }
}

/** Write bytes to `path`, creating missing parent folders; failures name the file. */
function writeBytes(path: string, bytes: Uint8Array, what: string): void {
  makeDirectory(dirname(path));
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    throw fileSystemError(e, `write the ${what}`, path);
  }
}

/**
 * Write `img` as a PNG file (see {@link encodePng}: samples clamped to `[0, 1]`, 8 or 16 bits),
 * creating missing parent directories.
 */
export function writePng(path: string, img: Image, options: EncodePngOptions = {}): void {
  writeBytes(path, encodePng(img, options), 'PNG');
}

/**
 * Write `img` in the format its file name says (`.png`, or `.jpg`/`.jpeg`; another extension
 * throws a `ValidationError` before anything is written), creating missing parent directories.
 * PNG keeps 1–4 channels at `options.bitDepth` (8 or 16); JPEG holds gray or RGB at 8 bits.
 */
export function writeImage(path: string, img: Image, options: EncodeImageOptions = {}): void {
  const format = imageFormatOfPath(path);
  writeBytes(path, encodeImage(img, format, options), format === 'png' ? 'PNG' : 'JPEG');
}
