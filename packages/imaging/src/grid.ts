/**
 * Image grids for reports: several images tiled into one, optionally captioned.
 * @module
 */
import { ValidationError } from '@bilevel/core';
import { toRgb } from './color.js';
import { GLYPH_HEIGHT, drawTextInPlace, measureText } from './font.js';
import { assertImage, type Image } from './image.js';

/** Minimum blank columns on each side of a caption inside its cell. */
const CAPTION_MARGIN = 3;

/** Options of {@link tileImages}. */
export interface TileImagesOptions {
  /** Images per row (default: all in one row). */
  readonly columns?: number;
  /** Pixels between cells and around the grid (default 2). */
  readonly padding?: number;
  /** Value of the padding and empty cell area (default 1, white). */
  readonly background?: number;
  /** One caption per image (or `''` for none), drawn below it in the built-in 5×7 font. */
  readonly captions?: readonly string[];
  /** Integer magnification of the caption font (default 1). */
  readonly captionScale?: number;
  /** Caption ink (default 0, black). */
  readonly captionColor?: number;
}

/**
 * Tile `images` row by row into one image with `columns` cells per row. Every cell is as large
 * as the largest image (each image centred in its cell) plus, with `captions`, a caption strip of
 * `7·captionScale + 2` rows below it (cells widen to fit captions with 3 blank columns each side). Gray and RGB images can be mixed (gray is replicated to
 * RGB); alpha channels are not accepted. Values are copied unchanged (not clamped).
 */
export function tileImages(images: readonly Image[], options: TileImagesOptions = {}): Image {
  if (images.length === 0) throw new ValidationError('tileImages: no images given; pass at least one image');
  images.forEach((img, k) => assertImage(`tileImages image ${k}`, img));
  const columns = options.columns ?? images.length;
  const padding = options.padding ?? 2;
  const bg = options.background ?? 1;
  const scale = options.captionScale ?? 1;
  if (!Number.isInteger(columns) || columns < 1) throw new ValidationError(`tileImages: columns must be an integer ≥ 1, got ${columns}`);
  if (!Number.isInteger(padding) || padding < 0) throw new ValidationError(`tileImages: padding must be an integer ≥ 0, got ${padding}`);
  if (!Number.isInteger(scale) || scale < 1) throw new ValidationError(`tileImages: captionScale must be an integer ≥ 1, got ${scale}`);
  const captions = options.captions;
  if (captions && captions.length !== images.length) {
    throw new ValidationError(`tileImages: ${captions.length} captions for ${images.length} images; give one caption per image ('' for none)`);
  }
  const bad = images.findIndex((img) => img.channels !== 1 && img.channels !== 3);
  if (bad >= 0) throw new ValidationError(`tileImages: image ${bad} has ${images[bad]!.channels} channels; grids take gray or RGB images (use dropAlpha or toGray first)`);
  const channels = images.some((img) => img.channels === 3) ? 3 : 1;
  const cells = images.map((img) => (img.channels === channels ? img : toRgb(img)));
  let cellW = Math.max(...cells.map((c) => c.width));
  const cellH = Math.max(...cells.map((c) => c.height));
  const capH = captions && captions.some((s) => s.length > 0) ? GLYPH_HEIGHT * scale + 2 : 0;
  if (capH > 0) cellW = Math.max(cellW, ...captions!.map((s) => measureText(s, scale).width + 2 * CAPTION_MARGIN));
  const rows = Math.ceil(cells.length / columns);
  const cols = Math.min(columns, cells.length);
  const W = cols * cellW + (cols + 1) * padding;
  const H = rows * (cellH + capH) + (rows + 1) * padding;
  const out: Image = { channels, height: H, width: W, data: new Float64Array(channels * H * W).fill(bg) };
  const n = H * W;
  cells.forEach((img, k) => {
    const r = Math.floor(k / columns);
    const q = k % columns;
    const top = padding + r * (cellH + capH + padding) + Math.floor((cellH - img.height) / 2);
    const left = padding + q * (cellW + padding) + Math.floor((cellW - img.width) / 2);
    const m = img.height * img.width;
    for (let c = 0; c < channels; c++) {
      for (let i = 0; i < img.height; i++) {
        const src = c * m + i * img.width;
        out.data.set(img.data.subarray(src, src + img.width), c * n + (top + i) * W + left);
      }
    }
  });
  if (capH > 0) {
    captions!.forEach((text, k) => {
      if (!text) return;
      const r = Math.floor(k / columns);
      const q = k % columns;
      const y = padding + r * (cellH + capH + padding) + cellH + 1;
      const x = padding + q * (cellW + padding) + Math.floor((cellW - measureText(text, scale).width) / 2);
      drawTextInPlace(out, text, { x, y, scale, color: options.captionColor ?? 0 });
    });
  }
  return out;
}
