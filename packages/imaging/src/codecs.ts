/**
 * PNG decode/encode (fast-png) and JPEG decode (jpeg-js) between bytes and {@link Image}s. These
 * functions work on bytes only (no file system), so they also run in a browser; see `io.ts` for
 * the file-path versions.
 * @module
 */
import { decode as pngDecode, encode as pngEncode, type DecodedPng } from 'fast-png';
import jpeg from 'jpeg-js';
import { ValidationError, assertFinite } from '@bilevel/core';
import { assertImage, type Image } from './image.js';

/** Bytes of an encoded image file. */
export type ImageBytes = Uint8Array | ArrayBuffer;

/** Options of the decoders. */
export interface DecodeOptions {
  /** Name of the source (a path) used in error messages; default `'<bytes>'`. */
  readonly source?: string;
}

/** Options of {@link encodePng}. */
export interface EncodePngOptions {
  /** Bits per sample, 8 (default) or 16. */
  readonly bitDepth?: 8 | 16;
}

function asU8(bytes: ImageBytes): Uint8Array {
  return bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
}

/** Whether `bytes` start with the 8-byte PNG signature `89 50 4E 47 0D 0A 1A 0A`. */
export function isPng(bytes: ImageBytes): boolean {
  const b = asU8(bytes);
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  return b.length >= 8 && sig.every((v, i) => b[i] === v);
}

/** Whether `bytes` start with the JPEG start-of-image marker `FF D8 FF`. */
export function isJpeg(bytes: ImageBytes): boolean {
  const b = asU8(bytes);
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/** Unpack `depth`-bit samples (1, 2, 4) of packed PNG rows into one integer per sample. */
function unpackBits(data: ArrayLike<number>, width: number, height: number, samplesPerPixel: number, depth: number): Uint8Array {
  const perRow = width * samplesPerPixel;
  const bytesPerRow = Math.ceil((perRow * depth) / 8);
  const out = new Uint8Array(perRow * height);
  const mask = (1 << depth) - 1;
  for (let i = 0; i < height; i++) {
    for (let k = 0; k < perRow; k++) {
      const bit = k * depth;
      const byte = data[i * bytesPerRow + (bit >> 3)]!;
      out[i * perRow + k] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/** Interleaved `H·W·C` integer samples → channels-first float image scaled by `1/max`. */
function fromInterleaved(src: ArrayLike<number>, channels: number, height: number, width: number, max: number): Image {
  const n = height * width;
  const data = new Float64Array(channels * n);
  const s = 1 / max;
  for (let c = 0; c < channels; c++) {
    const o = c * n;
    for (let p = 0; p < n; p++) data[o + p] = src[p * channels + c]! * s;
  }
  return { channels, height, width, data };
}

/**
 * Decode PNG bytes to an {@link Image} with values `v / (2^depth − 1)` in `[0, 1]`. Supports bit
 * depths 1, 2, 4, 8 and 16, gray, gray+alpha, RGB, RGBA and palette images (expanded to RGB, or
 * RGBA when the file has a `tRNS` chunk); interlaced files too. Channels are kept as stored
 * (use {@link toGray} / {@link dropAlpha} to convert). Corrupt or non-PNG bytes throw a
 * `ValidationError` naming `options.source`.
 */
export function decodePng(bytes: ImageBytes, options: DecodeOptions = {}): Image {
  const source = options.source ?? '<bytes>';
  const b = asU8(bytes);
  if (!isPng(b)) {
    throw new ValidationError(`${source}: not a PNG file (missing PNG signature); pass a PNG, or use decodeImage/readImage for JPEG`);
  }
  let png: DecodedPng;
  try {
    png = pngDecode(b, { checkCrc: true });
  } catch (e) {
    throw new ValidationError(`${source}: corrupt or unsupported PNG (${(e as Error).message}); re-save the file as an 8- or 16-bit PNG`);
  }
  const { width, height, depth, channels } = png;
  const expected = depth < 8 ? Math.ceil((width * channels * depth) / 8) * height : width * height * channels;
  if (!(width >= 1 && height >= 1) || png.data.length < expected) {
    throw new ValidationError(`${source}: corrupt PNG (image data truncated: ${png.data.length} of ${expected} samples); re-save the file`);
  }
  if (png.palette) {
    const palette = png.palette;
    const idx = depth < 8 ? unpackBits(png.data, width, height, 1, depth) : png.data;
    const pc = palette[0]?.length ?? 3;
    const rgb = new Uint8Array(width * height * pc);
    for (let p = 0; p < width * height; p++) {
      const col = palette[idx[p]!];
      if (!col) throw new ValidationError(`${source}: corrupt PNG (palette index ${idx[p]} out of range); re-save the file`);
      for (let c = 0; c < pc; c++) rgb[p * pc + c] = col[c] ?? 255;
    }
    return fromInterleaved(rgb, pc, height, width, 255);
  }
  const samples = depth < 8 ? unpackBits(png.data, width, height, channels, depth) : png.data;
  return fromInterleaved(samples, channels, height, width, 2 ** depth - 1);
}

/**
 * Encode an {@link Image} (1–4 channels) as PNG bytes. Samples are clamped to `[0, 1]` and
 * quantised to `round(v·(2^bitDepth − 1))`, so a decode returns the image within `0.5/255`
 * (8-bit) or `0.5/65535` (16-bit). NaN/±Inf samples throw a `ValidationError`.
 */
export function encodePng(img: Image, options: EncodePngOptions = {}): Uint8Array {
  assertImage('encodePng image', img);
  assertFinite('encodePng image.data', img.data);
  const bitDepth = options.bitDepth ?? 8;
  if (bitDepth !== 8 && bitDepth !== 16) throw new ValidationError(`encodePng: bitDepth must be 8 or 16, got ${String(bitDepth)}`);
  const { channels, height, width, data } = img;
  if (channels > 4) throw new ValidationError(`encodePng: PNG holds 1–4 channels, the image has ${channels}; select channels with getChannel first`);
  const n = height * width;
  const max = bitDepth === 8 ? 255 : 65535;
  const out = bitDepth === 8 ? new Uint8Array(n * channels) : new Uint16Array(n * channels);
  for (let c = 0; c < channels; c++) {
    const o = c * n;
    for (let p = 0; p < n; p++) {
      const v = data[o + p]!;
      out[p * channels + c] = Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * max);
    }
  }
  return pngEncode({ width, height, data: out, channels, depth: bitDepth });
}

/**
 * Decode baseline or progressive JPEG bytes (jpeg-js) to a 3-channel RGB {@link Image} with
 * values `v/255`; grayscale JPEGs decode to three equal channels (use {@link toGray}).
 * Corrupt bytes throw a `ValidationError` naming `options.source`.
 */
export function decodeJpeg(bytes: ImageBytes, options: DecodeOptions = {}): Image {
  const source = options.source ?? '<bytes>';
  const b = asU8(bytes);
  if (!isJpeg(b)) throw new ValidationError(`${source}: not a JPEG file (missing FF D8 FF marker); pass a JPEG, or use decodeImage/readImage for PNG`);
  let raw: { width: number; height: number; data: Uint8Array };
  try {
    raw = jpeg.decode(b, { useTArray: true, formatAsRGBA: false });
  } catch (e) {
    throw new ValidationError(`${source}: corrupt or unsupported JPEG (${(e as Error).message}); re-save the file as a baseline JPEG or PNG`);
  }
  const channels = raw.data.length / (raw.width * raw.height);
  if (!Number.isInteger(channels) || channels < 1) throw new ValidationError(`${source}: corrupt JPEG (decoded data has the wrong length)`);
  return fromInterleaved(raw.data, channels, raw.height, raw.width, 255);
}

/** Decode PNG or JPEG bytes, chosen by the file signature; other formats throw a `ValidationError`. */
export function decodeImage(bytes: ImageBytes, options: DecodeOptions = {}): Image {
  if (isPng(bytes)) return decodePng(bytes, options);
  if (isJpeg(bytes)) return decodeJpeg(bytes, options);
  throw new ValidationError(`${options.source ?? '<bytes>'}: neither a PNG nor a JPEG file (unknown signature); convert it to PNG`);
}
