import { describe, expect, it } from 'vitest';
import {
  FONT_CHARACTERS, GLYPH_HEIGHT, createImage, decodePng, drawText, encodePng, measureText, textImage, tileImages, type Image,
} from '@bilevel/imaging';

function at(img: Image, c: number, i: number, j: number): number {
  return img.data[(c * img.height + i) * img.width + j]!;
}

/** The rows of a 1-channel image as strings, '#' for ink (< 0.5) and '.' for background. */
function ascii(img: Image): string[] {
  return Array.from({ length: img.height }, (_, i) => Array.from({ length: img.width }, (_, j) => (at(img, 0, i, j) < 0.5 ? '#' : '.')).join(''));
}

describe('font', () => {
  it('draws the 5×7 glyphs', () => {
    expect(ascii(textImage('1', { padding: 0 }))).toEqual(['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.']);
    expect(ascii(textImage('dB', { padding: 0 }))).toEqual([
      '....#.####.',
      '....#.#...#',
      '.##.#.#...#',
      '#..##.####.',
      '#...#.#...#',
      '#...#.#...#',
      '.####.####.',
    ]);
    expect(ascii(textImage(': .', { padding: 0 }))[5]).toBe('.##..........##..');
  });

  it('has every promised character with a well-formed glyph', () => {
    for (const ch of '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZd.: ') expect(FONT_CHARACTERS).toContain(ch);
    for (const ch of FONT_CHARACTERS) {
      const img = textImage(ch, { padding: 0 });
      expect([img.height, img.width]).toEqual([7, 5]);
      if (ch !== ' ') expect(img.data.some((v) => v === 0)).toBe(true);
    }
    // distinct glyphs
    const shapes = new Set([...FONT_CHARACTERS].map((ch) => ascii(textImage(ch, { padding: 0 })).join('/')));
    expect(shapes.size).toBe(FONT_CHARACTERS.length);
  });

  it('measures, scales, draws lowercase as capitals, clips at the border, rejects unknown characters', () => {
    expect(measureText('PSNR 28.31 dB', 2)).toEqual({ width: (13 * 6 - 1) * 2, height: 14 });
    expect(measureText('')).toEqual({ width: 0, height: 7 });
    expect(ascii(textImage('psnr', { padding: 0 }))).toEqual(ascii(textImage('PSNR', { padding: 0 })));
    const big = textImage('8', { scale: 3, padding: 2 });
    expect([big.height, big.width]).toEqual([7 * 3 + 4, 5 * 3 + 4]);
    const base = createImage(3, 10, 10, undefined, 1);
    const red = drawText(base, '88888', { x: 7, y: 5, color: [1, 0, 0] });
    expect(at(red, 1, 5, 8)).toBe(0);
    expect(at(red, 0, 5, 8)).toBe(1);
    expect(base.data.every((v) => v === 1)).toBe(true); // input untouched
    expect(() => textImage('σ = 0.1')).toThrow(/character 'σ' is not in the built-in font/);
    expect(() => drawText(base, 'A', { color: [1, 0] })).toThrow(/3 finite numbers/);
  });
});

describe('tileImages', () => {
  it('places images in a grid with padding and background', () => {
    const a = createImage(1, 4, 6, undefined, 0.2);
    const b = createImage(1, 2, 2, undefined, 0.7);
    const g = tileImages([a, b, a], { columns: 2, padding: 1, background: 1 });
    expect([g.channels, g.height, g.width]).toEqual([1, 2 * 4 + 3, 2 * 6 + 3]);
    expect(at(g, 0, 0, 0)).toBe(1);
    expect(at(g, 0, 1, 1)).toBe(0.2); // first cell starts after the padding
    expect(at(g, 0, 1 + 1, 1 + 6 + 1 + 2)).toBe(0.7); // b centred in the second cell
    expect(at(g, 0, 1, 1 + 6 + 1)).toBe(1);
    expect(at(g, 0, 1 + 4 + 1, 1)).toBe(0.2); // third image on the second row
    expect(at(g, 0, 1 + 4 + 1, 1 + 6 + 1)).toBe(1); // empty fourth cell
  });

  it('mixes gray and RGB, adds captions, and round-trips through PNG', () => {
    const gray = createImage(1, 12, 20, undefined, 0.5);
    const rgb = createImage(3, 12, 20, undefined, 0.25);
    const g = tileImages([gray, rgb], { captions: ['PSNR 28.31 dB', ''], padding: 2 });
    expect(g.channels).toBe(3);
    const capH = GLYPH_HEIGHT + 2;
    const cellW = Math.max(20, measureText('PSNR 28.31 dB').width + 6);
    expect([g.height, g.width]).toEqual([12 + capH + 4, 2 * cellW + 6]);
    let ink = 0;
    for (let i = 2 + 12; i < 2 + 12 + capH; i++) for (let j = 0; j < g.width; j++) if (at(g, 0, i, j) === 0) ink++;
    expect(ink).toBeGreaterThan(40);
    const back = decodePng(encodePng(g));
    expect([back.channels, back.height, back.width]).toEqual([3, g.height, g.width]);
    expect(() => tileImages([gray], { captions: ['a', 'b'] })).toThrow(/one caption per image/);
    expect(() => tileImages([createImage(4, 2, 2)])).toThrow(/gray or RGB/);
    expect(() => tileImages([])).toThrow(/no images/);
  });
});
