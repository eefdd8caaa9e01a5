/**
 * A tiny built-in 5×7 bitmap font (after the HD44780 character ROM) to draw captions such as
 * `PSNR 28.31 dB` onto images without a canvas dependency.
 * @module
 */
import { ValidationError } from '@bilevel/core';
import { assertImage, type Image } from './image.js';

/** Glyph width in font pixels. */
export const GLYPH_WIDTH = 5;
/** Glyph height in font pixels. */
export const GLYPH_HEIGHT = 7;
/** Horizontal gap between glyphs in font pixels. */
export const GLYPH_SPACING = 1;

// 7 rows per glyph, 2 hex digits per row, bit 4 = leftmost column.
const GLYPHS: Record<string, string> = {
  ' ': '00000000000000', '.': '00000000000c0c', ':': '000c0c000c0c00', '-': '0000001f000000',
  '+': '0004041f040400', '=': '00001f001f0000', '/': '00010204081000', '%': '18190204081303',
  '(': '02040808080402', ')': '08040202020408', ',': '00000000000c04', '_': '0000000000001f',
  '0': '0e11131519110e', '1': '040c040404040e', '2': '0e11010204081f', '3': '1f02040201110e',
  '4': '02060a121f0202', '5': '1f101e0101110e', '6': '0608101e11110e', '7': '1f010204080808',
  '8': '0e11110e11110e', '9': '0e11110f01020c',
  A: '0e1111111f1111', B: '1e11111e11111e', C: '0e11101010110e', D: '1c12111111121c', E: '1f10101e10101f',
  F: '1f10101e101010', G: '0e11101711110f', H: '1111111f111111', I: '0e04040404040e', J: '0702020202120c',
  K: '11121418141211', L: '1010101010101f', M: '111b1515111111', N: '11111915131111', O: '0e11111111110e',
  P: '1e11111e101010', Q: '0e11111115120d', R: '1e11111e141211', S: '0f10100e01011e', T: '1f040404040404',
  U: '1111111111110e', V: '11111111110a04', W: '1111111515150a', X: '11110a040a1111', Y: '1111110a040404',
  Z: '1f01020408101f', d: '01010d1311110f',
};

/** The characters the font can draw; other lowercase letters are drawn as capitals. */
export const FONT_CHARACTERS: string = Object.keys(GLYPHS).sort().join('');

function glyph(ch: string): number[] {
  const key = ch in GLYPHS ? ch : ch.toUpperCase();
  const hex = GLYPHS[key];
  if (hex === undefined) {
    throw new ValidationError(`drawText: character '${ch}' is not in the built-in font; use only these characters: ${JSON.stringify(FONT_CHARACTERS)} (lowercase letters are drawn as capitals)`);
  }
  return Array.from({ length: GLYPH_HEIGHT }, (_, r) => parseInt(hex.slice(2 * r, 2 * r + 2), 16));
}

/** Size in image pixels of `text` drawn at `scale`: `width = n·6·scale − scale`, `height = 7·scale`. */
export function measureText(text: string, scale = 1): { width: number; height: number } {
  const n = [...text].length;
  return { width: n === 0 ? 0 : (n * (GLYPH_WIDTH + GLYPH_SPACING) - GLYPH_SPACING) * scale, height: GLYPH_HEIGHT * scale };
}

/** Options of {@link drawText}. */
export interface DrawTextOptions {
  /** Column of the text's left edge (default 0). */
  readonly x?: number;
  /** Row of the text's top edge (default 0). */
  readonly y?: number;
  /** Integer magnification: each font pixel becomes `scale × scale` image pixels (default 1). */
  readonly scale?: number;
  /** Ink value, one number for all channels or one per channel (default 0, black). */
  readonly color?: number | readonly number[];
}

function inkOf(color: number | readonly number[] | undefined, channels: number): number[] {
  const c = color ?? 0;
  const v = typeof c === 'number' ? Array.from({ length: channels }, () => c) : [...c];
  if (v.length !== channels || !v.every(Number.isFinite)) {
    throw new ValidationError(`drawText: color must be a finite number or ${channels} finite numbers (one per channel), got ${JSON.stringify(color)}`);
  }
  return v;
}

/**
 * A copy of `img` with `text` drawn in the built-in 5×7 font at `(x, y)` (top-left), `scale`
 * times enlarged, in `color`. Pixels falling outside the image are clipped. Characters: digits,
 * `A–Z` (lowercase drawn as capitals), `d` (for "dB"), space and `. : - + = / % ( ) , _`.
 */
export function drawText(img: Image, text: string, options: DrawTextOptions = {}): Image {
  assertImage('drawText image', img);
  const out = { channels: img.channels, height: img.height, width: img.width, data: Float64Array.from(img.data) };
  drawTextInPlace(out, text, options);
  return out;
}

/** {@link drawText} writing into `img.data` (internal; not exported from the package). */
export function drawTextInPlace(img: Image, text: string, options: DrawTextOptions = {}): void {
  const scale = options.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1) throw new ValidationError(`drawText: scale must be an integer ≥ 1, got ${scale}`);
  const x0 = options.x ?? 0;
  const y0 = options.y ?? 0;
  if (!Number.isInteger(x0) || !Number.isInteger(y0)) throw new ValidationError(`drawText: x and y must be integers, got ${x0}, ${y0}`);
  const ink = inkOf(options.color, img.channels);
  const glyphs = [...text].map(glyph);
  const { channels, height: H, width: W, data } = img;
  const n = H * W;
  glyphs.forEach((rows, k) => {
    const gx = x0 + k * (GLYPH_WIDTH + GLYPH_SPACING) * scale;
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if (!((rows[r]! >> (GLYPH_WIDTH - 1 - col)) & 1)) continue;
        for (let a = 0; a < scale; a++) {
          const i = y0 + r * scale + a;
          if (i < 0 || i >= H) continue;
          for (let b = 0; b < scale; b++) {
            const j = gx + col * scale + b;
            if (j < 0 || j >= W) continue;
            for (let c = 0; c < channels; c++) data[c * n + i * W + j] = ink[c]!;
          }
        }
      }
    }
  });
}

/** Options of {@link textImage}. */
export interface TextImageOptions {
  /** Integer magnification (default 1). */
  readonly scale?: number;
  /** Empty pixels around the text (default 1). */
  readonly padding?: number;
  /** Number of channels of the result (default 1). */
  readonly channels?: number;
  /** Ink value (default 0, black). */
  readonly color?: number | readonly number[];
  /** Background value (default 1, white). */
  readonly background?: number;
  /** Minimum width; the text is left-aligned inside (default: as narrow as possible). */
  readonly minWidth?: number;
}

/** A new image just large enough for `text` (plus `padding`), ink on a plain background. */
export function textImage(text: string, options: TextImageOptions = {}): Image {
  const scale = options.scale ?? 1;
  const pad = options.padding ?? 1;
  const channels = options.channels ?? 1;
  if (!Number.isInteger(pad) || pad < 0) throw new ValidationError(`textImage: padding must be an integer ≥ 0, got ${pad}`);
  if (!Number.isInteger(channels) || channels < 1) throw new ValidationError(`textImage: channels must be an integer ≥ 1, got ${channels}`);
  const m = measureText(text, scale);
  const width = Math.max(m.width + 2 * pad, options.minWidth ?? 1, 1);
  const height = m.height + 2 * pad;
  const bg = options.background ?? 1;
  const base: Image = { channels, height, width, data: new Float64Array(channels * height * width).fill(bg) };
  drawTextInPlace(base, text, { x: pad, y: pad, scale, ...(options.color !== undefined ? { color: options.color } : {}) });
  return base;
}
