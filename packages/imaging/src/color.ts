/**
 * Channel conversions: luma (grayscale), gray → RGB, alpha removal.
 * @module
 */
import { ValidationError } from '@bilevel/core';
import { assertImage, type Image } from './image.js';

/** ITU-R BT.601 luma weights `(0.299, 0.587, 0.114)` for `(R, G, B)`. */
export const BT601_WEIGHTS: readonly [number, number, number] = [0.299, 0.587, 0.114];

/**
 * Grayscale by ITU-R BT.601 luma, `Y' = 0.299 R' + 0.587 G' + 0.114 B'`, applied to the stored
 * (gamma-encoded) values, as in JPEG/JFIF and `PIL.Image.convert('L')`. RGBA ignores alpha;
 * gray+alpha keeps the gray channel; a gray image is copied. Returns a new 1-channel image.
 */
export function toGray(img: Image): Image {
  assertImage('toGray image', img);
  const n = img.height * img.width;
  const d = img.data;
  const out = new Float64Array(n);
  if (img.channels >= 3) {
    const [wr, wg, wb] = BT601_WEIGHTS;
    for (let p = 0; p < n; p++) out[p] = wr * d[p]! + wg * d[n + p]! + wb * d[2 * n + p]!;
  } else {
    out.set(d.subarray(0, n));
  }
  return { channels: 1, height: img.height, width: img.width, data: out };
}

/** A 3-channel RGB copy: a gray image (1 or 2 channels) is replicated, RGBA drops alpha, RGB is copied. */
export function toRgb(img: Image): Image {
  assertImage('toRgb image', img);
  const n = img.height * img.width;
  const out = new Float64Array(3 * n);
  if (img.channels >= 3) out.set(img.data.subarray(0, 3 * n));
  else for (let c = 0; c < 3; c++) out.set(img.data.subarray(0, n), c * n);
  return { channels: 3, height: img.height, width: img.width, data: out };
}

/** A copy without the alpha channel: gray+alpha → gray, RGBA → RGB; 1- and 3-channel images are copied. */
export function dropAlpha(img: Image): Image {
  assertImage('dropAlpha image', img);
  if (img.channels > 4) throw new ValidationError(`dropAlpha: expected 1–4 channels, got ${img.channels}`);
  const keep = img.channels === 2 || img.channels === 4 ? img.channels - 1 : img.channels;
  const n = img.height * img.width;
  return { channels: keep, height: img.height, width: img.width, data: img.data.slice(0, keep * n) };
}
