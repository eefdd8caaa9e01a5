/**
 * Reading and writing image files by path (Node `fs`), with errors that name the file.
 * @module
 */
import { readFileSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ValidationError } from '@bilevel/core';
import { decodeImage, decodeJpeg, decodePng, encodePng, type EncodePngOptions } from './codecs.js';
import type { Image } from './image.js';

/** Read a whole file, turning a missing/unreadable file into a `ValidationError` naming it. */
export function readBytes(path: string): Uint8Array {
  try {
    if (statSync(path).isDirectory()) {
      throw new ValidationError(`${path} is a directory, not an image file; use loadFolder(dir) to load every image in it`);
    }
    return readFileSync(path);
  } catch (e) {
    if (e instanceof ValidationError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ValidationError(`image file not found: ${path} (resolved to ${resolve(path)}); check the path and that the file exists`);
    }
    throw new ValidationError(`cannot read image file ${path}: ${(e as Error).message}; check the path and its permissions`);
  }
}

/** Read a PNG file (see {@link decodePng}): values in `[0, 1]`, channels as stored. */
export function readPng(path: string): Image {
  return decodePng(readBytes(path), { source: path });
}

/** Read a JPEG file (see {@link decodeJpeg}): 3 channels, values in `[0, 1]`. */
export function readJpeg(path: string): Image {
  return decodeJpeg(readBytes(path), { source: path });
}

/** Read a PNG or JPEG file, chosen by its signature (not its extension). */
export function readImage(path: string): Image {
  return decodeImage(readBytes(path), { source: path });
}

/**
 * Write `img` as a PNG file (see {@link encodePng}: samples clamped to `[0, 1]`, 8 or 16 bits),
 * creating missing parent directories.
 */
export function writePng(path: string, img: Image, options: EncodePngOptions = {}): void {
  const bytes = encodePng(img, options);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  } catch (e) {
    throw new ValidationError(`cannot write PNG ${path}: ${(e as Error).message}; check the directory and its permissions`);
  }
}
