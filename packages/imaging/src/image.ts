/**
 * The image type of bilevel: a channels-first float64 tensor with values (usually) in `[0, 1]`,
 * and small helpers to create, check, copy and summarise images.
 * @module
 */
import { ShapeError, ValidationError, assertFinite, type Shape, type Vec } from '@bilevel/core';

/**
 * An image: `channels × height × width` float64 values, channels first, row-major, so pixel
 * `(c, i, j)` is `data[(c·height + i)·width + j]`. Loaders return values in `[0, 1]`
 * (`v / (2^bitDepth − 1)` for an integer sample `v`); computed images may leave that range.
 * Channels: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA.
 */
export interface Image {
  /** Number of channels `C` (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA). */
  readonly channels: number;
  /** Number of rows `H`. */
  readonly height: number;
  /** Number of columns `W`. */
  readonly width: number;
  /** The `C·H·W` samples, channels first, row-major. */
  readonly data: Vec;
}

/** An image with the name it was loaded under (file name or photograph name) and its path. */
export interface NamedImage {
  /** File name (for `loadFolder` of `@bilevel/imaging/node`) or photograph name (for the bundled photographs). */
  readonly name: string;
  /** The decoded image. */
  readonly image: Image;
  /** Absolute or user-given path of the source file, when there is one. */
  readonly path?: string;
}

/**
 * A new image of the given size; `data` is used as is when given (not copied; its length must
 * be `channels·height·width`), otherwise the image is filled with `fill` (default 0).
 */
export function createImage(channels: number, height: number, width: number, data?: Vec, fill = 0): Image {
  for (const [k, v] of [['channels', channels], ['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ValidationError(`createImage: ${k} must be an integer ≥ 1, got ${v}`);
  }
  const n = channels * height * width;
  if (data !== undefined) {
    if (data.length !== n) {
      throw new ShapeError(`createImage: data has length ${data.length}, expected ${channels}·${height}·${width} = ${n}`);
    }
    return { channels, height, width, data };
  }
  const d = new Float64Array(n);
  if (fill !== 0) d.fill(fill);
  return { channels, height, width, data: d };
}

/**
 * Throw a {@link ShapeError} unless `img` is a well-formed {@link Image} (positive integer sizes,
 * a `Float64Array` of length `C·H·W`); with `finite`, also a `ValidationError` on NaN/±Inf.
 */
export function assertImage(name: string, img: Image, finite = false): void {
  if (img === null || typeof img !== 'object') throw new ShapeError(`${name}: expected an image { channels, height, width, data }, got ${String(img)}`);
  const { channels, height, width, data } = img;
  for (const [k, v] of [['channels', channels], ['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ShapeError(`${name}.${k} must be an integer ≥ 1, got ${String(v)}`);
  }
  if (!(data instanceof Float64Array)) throw new ShapeError(`${name}.data must be a Float64Array`);
  if (data.length !== channels * height * width) {
    throw new ShapeError(`${name}.data has length ${data.length}, expected ${channels}·${height}·${width} = ${channels * height * width}`);
  }
  if (finite) assertFinite(`${name}.data`, data);
}

/** The tensor shape `[C, H, W]` of an image (the `Shape` convention of `@bilevel/core`). */
export function imageShape(img: Image): Shape {
  return [img.channels, img.height, img.width];
}

/** A deep copy of `img` (new data array). */
export function cloneImage(img: Image): Image {
  return { channels: img.channels, height: img.height, width: img.width, data: Float64Array.from(img.data) };
}

/** A copy of `img` with every sample clamped to `[lo, hi]` (default `[0, 1]`). */
export function clampImage(img: Image, lo = 0, hi = 1): Image {
  const out = new Float64Array(img.data.length);
  const d = img.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return { channels: img.channels, height: img.height, width: img.width, data: out };
}

/** One channel `c` of `img` as a 1-channel image (a copy). */
export function getChannel(img: Image, c: number): Image {
  if (!Number.isInteger(c) || c < 0 || c >= img.channels) {
    throw new ValidationError(`getChannel: channel ${c} out of range 0…${img.channels - 1}`);
  }
  const n = img.height * img.width;
  return { channels: 1, height: img.height, width: img.width, data: img.data.slice(c * n, (c + 1) * n) };
}

/** Summary statistics of all samples of an image. */
export interface ImageStats {
  /** Arithmetic mean of all samples. */
  readonly mean: number;
  /** Population standard deviation `sqrt(mean((v − mean)²))` of all samples. */
  readonly std: number;
  /** Smallest sample. */
  readonly min: number;
  /** Largest sample. */
  readonly max: number;
}

/** Mean, population standard deviation, minimum and maximum over all samples of `img` (or a vector). */
export function imageStats(img: Image | Vec): ImageStats {
  const d = img instanceof Float64Array ? img : img.data;
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    s += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = s / d.length;
  let q = 0;
  for (let i = 0; i < d.length; i++) q += (d[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(q / d.length), min, max };
}
