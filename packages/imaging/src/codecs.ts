/**
 * PNG decode/encode (fast-png), JPEG decode (jpeg-js) and encode (the baseline encoder of
 * `jpeg-encode.ts`) between bytes and {@link Image}s, with what the file stores beside the pixels
 * (format, bit depth, palette). These functions work on bytes only (no file system), so they also
 * run in a browser; see `io.ts` for the file-path versions.
 * @module
 */
import { decode as pngDecode, encode as pngEncode, type DecodedPng } from 'fast-png';
import jpeg from 'jpeg-js';
import { ValidationError, assertFinite } from '@bilevel/core';
import { assertImage, getChannel, type Image } from './image.js';
import { encodeBaselineJpeg } from './jpeg-encode.js';

/** Bytes of an encoded image file. */
export type ImageBytes = Uint8Array | ArrayBuffer;

/** The file formats of the codecs. */
export type ImageFormat = 'png' | 'jpeg';

/**
 * Largest image the decoders accept by default, in pixels (2²⁶ ≈ 67 megapixels: 512 MiB per
 * channel as float64). A larger size in a file header is refused before any pixel is decoded.
 */
export const MAX_IMAGE_PIXELS = 2 ** 26;

/** Options of the decoders. */
export interface DecodeOptions {
  /** Name of the source (a path) used in error messages; default `'<bytes>'`. */
  readonly source?: string;
  /** Refuse images with more pixels than this (default {@link MAX_IMAGE_PIXELS}). */
  readonly maxPixels?: number;
}

/** What an image file stores beside its pixels. */
export interface ImageFileInfo {
  /** The file format (from the signature, not the file name). */
  readonly format: ImageFormat;
  /** Bits per sample as stored: PNG 1, 2, 4, 8 or 16; JPEG 8. */
  readonly bitDepth: number;
  /** A PNG palette image (decoded to RGB, or RGBA with a `tRNS` chunk). */
  readonly palette: boolean;
}

/** A decoded image with what its file stores ({@link decodeImageWithInfo}). */
export interface DecodedImage {
  /** The pixels, values in `[0, 1]`. */
  readonly image: Image;
  /** Format, bit depth, palette. */
  readonly info: ImageFileInfo;
}

/** Options of {@link encodePng}. */
export interface EncodePngOptions {
  /** Bits per sample, 8 (default) or 16. */
  readonly bitDepth?: 8 | 16;
}

/** Options of {@link encodeJpeg}. */
export interface EncodeJpegOptions {
  /** JPEG quality 1…100 (IJG scaling of the Annex K tables; default 92). */
  readonly quality?: number;
}

/** Options of {@link encodeImage}: those of the PNG and the JPEG encoder (each uses its own). */
export type EncodeImageOptions = EncodePngOptions & EncodeJpegOptions;

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

/** Throw unless a `width × height` header is within `maxPixels` (before decoding anything). */
function checkSize(source: string, width: number, height: number, options: DecodeOptions): void {
  const max = options.maxPixels ?? MAX_IMAGE_PIXELS;
  if (width * height > max) {
    throw new ValidationError(
      `${source}: the file says the image is ${width}×${height} pixels (${((width * height) / 1e6).toFixed(0)} megapixels), more than the limit of ${(max / 1e6).toFixed(0)} megapixels; shrink the image first (or the header is corrupt)`,
    );
  }
}

/** Width and height from the `IHDR` chunk, which must come first in a PNG (PNG spec §5.6). */
function pngHeaderSize(b: Uint8Array, source: string): { width: number; height: number } {
  const ihdr = b.length >= 33 && b[12] === 0x49 && b[13] === 0x48 && b[14] === 0x44 && b[15] === 0x52;
  if (!ihdr) throw new ValidationError(`${source}: corrupt PNG (no IHDR header after the signature); re-save the file`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/**
 * Size and number of components from the first start-of-frame marker of a JPEG (T.81 B.2.2), or
 * `undefined` when the markers end before one (jpeg-js then reports the file as corrupt).
 */
function jpegFrame(b: Uint8Array): { width: number; height: number; components: number } | undefined {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return { height: (b[i + 5]! << 8) | b[i + 6]!, width: (b[i + 7]! << 8) | b[i + 8]!, components: b[i + 9]! };
    i += 2 + ((b[i + 2]! << 8) | b[i + 3]!);
  }
  return undefined;
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
 * (use {@link toGray} / {@link dropAlpha} to convert). Corrupt or non-PNG bytes, and a header
 * size above `options.maxPixels`, throw a `ValidationError` naming `options.source`.
 */
export function decodePng(bytes: ImageBytes, options: DecodeOptions = {}): Image {
  return decodePngWithInfo(bytes, options).image;
}

function decodePngWithInfo(bytes: ImageBytes, options: DecodeOptions): DecodedImage {
  const source = options.source ?? '<bytes>';
  const b = asU8(bytes);
  if (!isPng(b)) {
    throw new ValidationError(`${source}: not a PNG file (missing PNG signature); pass a PNG, or use decodeImage/readImage for JPEG`);
  }
  const header = pngHeaderSize(b, source);
  checkSize(source, header.width, header.height, options);
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
    return { image: fromInterleaved(rgb, pc, height, width, 255), info: { format: 'png', bitDepth: depth, palette: true } };
  }
  const samples = depth < 8 ? unpackBits(png.data, width, height, channels, depth) : png.data;
  return { image: fromInterleaved(samples, channels, height, width, 2 ** depth - 1), info: { format: 'png', bitDepth: depth, palette: false } };
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
 * Encode an {@link Image} with 1 (gray) or 3 (RGB) channels as a baseline JPEG: a gray image
 * as one component, RGB as YCbCr without subsampling. Samples are clamped to `[0, 1]` and
 * quantised to 8 bits. An alpha channel (2 or 4 channels) is refused (JPEG has none), as are
 * NaN/±Inf samples.
 */
export function encodeJpeg(img: Image, options: EncodeJpegOptions = {}): Uint8Array {
  assertImage('encodeJpeg image', img);
  assertFinite('encodeJpeg image.data', img.data);
  const quality = options.quality ?? 92;
  if (!(quality >= 1 && quality <= 100)) throw new ValidationError(`encodeJpeg: quality must be in 1…100, got ${quality}`);
  const { channels, height, width, data } = img;
  if (channels !== 1 && channels !== 3) {
    throw new ValidationError(
      `encodeJpeg: JPEG holds gray or RGB images, not ${channels} channels${channels === 2 || channels === 4 ? ' (it has no alpha channel: write PNG to keep it, or drop it with dropAlpha)' : ''}`,
    );
  }
  const n = height * width;
  const samples = new Uint8Array(n * channels);
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < n; p++) {
      const v = data[c * n + p]!;
      samples[p * channels + c] = Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * 255);
    }
  }
  return encodeBaselineJpeg(samples, width, height, channels, quality);
}

/**
 * Decode baseline or progressive JPEG bytes (jpeg-js) to an {@link Image} with values `v/255`:
 * one channel for a gray (one-component) file, three (RGB) otherwise. Corrupt bytes, and a
 * header size above `options.maxPixels`, throw a `ValidationError` naming `options.source`.
 */
export function decodeJpeg(bytes: ImageBytes, options: DecodeOptions = {}): Image {
  return decodeJpegWithInfo(bytes, options).image;
}

function decodeJpegWithInfo(bytes: ImageBytes, options: DecodeOptions): DecodedImage {
  const source = options.source ?? '<bytes>';
  const b = asU8(bytes);
  if (!isJpeg(b)) throw new ValidationError(`${source}: not a JPEG file (missing FF D8 FF marker); pass a JPEG, or use decodeImage/readImage for PNG`);
  const frame = jpegFrame(b);
  if (frame) checkSize(source, frame.width, frame.height, options);
  let raw: { width: number; height: number; data: Uint8Array };
  try {
    raw = jpeg.decode(b, { useTArray: true, formatAsRGBA: false });
  } catch (e) {
    throw new ValidationError(`${source}: corrupt or unsupported JPEG (${(e as Error).message}); re-save the file as a baseline JPEG or PNG`);
  }
  const channels = raw.data.length / (raw.width * raw.height);
  if (!Number.isInteger(channels) || channels < 1) throw new ValidationError(`${source}: corrupt JPEG (decoded data has the wrong length)`);
  const rgb = fromInterleaved(raw.data, channels, raw.height, raw.width, 255);
  // jpeg-js expands a one-component (gray) file to three equal channels: keep one
  const image = frame?.components === 1 ? getChannel(rgb, 0) : rgb;
  return { image, info: { format: 'jpeg', bitDepth: 8, palette: false } };
}

/** Decode PNG or JPEG bytes, chosen by the file signature; other formats throw a `ValidationError`. */
export function decodeImage(bytes: ImageBytes, options: DecodeOptions = {}): Image {
  return decodeImageWithInfo(bytes, options).image;
}

/**
 * Decode PNG or JPEG bytes (chosen by the file signature) and say what the file stores: format,
 * bit depth and whether it is a palette image — what a converter needs to write the result
 * without silently losing precision ({@link encodeImage}).
 */
export function decodeImageWithInfo(bytes: ImageBytes, options: DecodeOptions = {}): DecodedImage {
  if (isPng(bytes)) return decodePngWithInfo(bytes, options);
  if (isJpeg(bytes)) return decodeJpegWithInfo(bytes, options);
  const b = asU8(bytes);
  const what = b.length === 0 ? 'an empty file' : 'neither a PNG nor a JPEG file (unknown signature)';
  throw new ValidationError(`${options.source ?? '<bytes>'}: ${what}; convert it to PNG`);
}

/** The extensions of each format (lower case, with the dot). */
export const IMAGE_FORMAT_EXTENSIONS: Readonly<Record<ImageFormat, readonly string[]>> = { png: ['.png'], jpeg: ['.jpg', '.jpeg'] };

/**
 * The format of an output file from its extension (`.png`, `.jpg`, `.jpeg`, any case); any other
 * extension throws a `ValidationError` (an image is never written in a format its name hides).
 */
export function imageFormatOfPath(path: string): ImageFormat {
  const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  const ext = dot > 0 ? base.slice(dot).toLowerCase() : '';
  for (const [format, exts] of Object.entries(IMAGE_FORMAT_EXTENSIONS) as [ImageFormat, readonly string[]][]) {
    if (exts.includes(ext)) return format;
  }
  throw new ValidationError(
    `${path}: ${ext ? `unknown image extension "${ext}"` : 'no file extension'}; name the output .png (PNG, 8 or 16 bits, alpha kept) or .jpg (JPEG, 8 bits)`,
  );
}

/** Encode an {@link Image} as `format` ({@link encodePng} or {@link encodeJpeg}). */
export function encodeImage(img: Image, format: ImageFormat, options: EncodeImageOptions = {}): Uint8Array {
  return format === 'png'
    ? encodePng(img, options.bitDepth !== undefined ? { bitDepth: options.bitDepth } : {})
    : encodeJpeg(img, options.quality !== undefined ? { quality: options.quality } : {});
}
