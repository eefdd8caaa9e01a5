import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode as rawPngEncode } from 'fast-png';
import jpeg from 'jpeg-js';
import { FileSystemError, ValidationError, ShapeError } from '@bilevel/core';
import { maxAbsDifference } from '@bilevel/core/testing';
import { createImage, decodeImage, decodeJpeg, decodePng, encodePng, isJpeg, isPng, type Image } from '@bilevel/imaging';
import { photographPath, readBytes, readImage, readJpeg, readPng, writePng } from '@bilevel/imaging/node';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bilevel-imaging-io-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A deterministic test image with values spread over [0, 1] (including 0 and 1). */
function pattern(channels: number, height: number, width: number): Image {
  const img = createImage(channels, height, width);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < height; i++) {
      for (let j = 0; j < width; j++) {
        const v = 0.5 + 0.5 * Math.sin(0.37 * i + 0.61 * j + 1.3 * c);
        img.data[(c * height + i) * width + j] = i === 0 && j === 0 ? 0 : i === 1 && j === 0 ? 1 : v;
      }
    }
  }
  return img;
}

describe('PNG round trip', () => {
  for (const channels of [1, 2, 3, 4]) {
    for (const bitDepth of [8, 16] as const) {
      it(`${channels} channel(s), ${bitDepth}-bit: write then read equals within quantisation`, () => {
        const img = pattern(channels, 13, 17);
        const back = decodePng(encodePng(img, { bitDepth }));
        expect([back.channels, back.height, back.width]).toEqual([channels, 13, 17]);
        const q = bitDepth === 8 ? 255 : 65535;
        expect(maxAbsDifference(back.data, img.data)).toBeLessThanOrEqual(0.5 / q + 1e-12);
        // exactly representable values survive exactly
        expect(back.data[0]).toBe(0);
        expect(back.data[17]).toBe(1);
        // a second round trip is lossless
        expect(decodePng(encodePng(back, { bitDepth })).data).toEqual(back.data);
      });
    }
  }

  it('round-trips through files with writePng/readPng/readImage (creating folders)', () => {
    const img = pattern(3, 9, 11);
    const path = join(dir, 'sub', 'dir', 'rgb16.png');
    writePng(path, img, { bitDepth: 16 });
    const a = readPng(path);
    const b = readImage(path);
    expect(b.data).toEqual(a.data);
    expect(maxAbsDifference(a.data, img.data)).toBeLessThanOrEqual(0.5 / 65535 + 1e-12);
  });

  it('clamps out-of-range samples to [0, 1] when encoding', () => {
    const img = createImage(1, 1, 3, Float64Array.from([-0.5, 0.5, 1.5]));
    expect(Array.from(decodePng(encodePng(img)).data)).toEqual([0, 128 / 255, 1]);
  });

  it('decodes palette PNGs (with and without tRNS) and 1/2/4-bit gray PNGs', () => {
    const palette = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30]];
    const idx = Uint8Array.from([0, 1, 2, 3, 3, 2]);
    const p8 = decodePng(rawPngEncode({ width: 3, height: 2, data: idx, channels: 1, depth: 8, palette }));
    expect([p8.channels, p8.height, p8.width]).toEqual([3, 2, 3]);
    expect(Array.from(p8.data.subarray(0, 6)).map((v) => Math.round(v * 255))).toEqual([255, 0, 0, 10, 10, 0]);
    // 2-bit palette indices, packed: row 0 = [0,1,2] → 0b00011000, row 1 = [3,3,2] → 0b11111000
    const p2 = decodePng(rawPngEncode({ width: 3, height: 2, data: Uint8Array.from([0b00011000, 0b11111000]), channels: 1, depth: 2, palette }));
    expect(p2.data).toEqual(p8.data);
    const pa = decodePng(rawPngEncode({ width: 3, height: 2, data: idx, channels: 1, depth: 8, palette: palette.map((c, k) => [...c, k * 80]) }));
    expect(pa.channels).toBe(4);
    expect(Array.from(pa.data.subarray(18, 24)).map((v) => Math.round(v * 255))).toEqual([0, 80, 160, 240, 240, 160]);
    // 1-bit gray 10 pixels wide: bits 1010101010 → bytes 0b10101010, 0b10000000
    const g1 = decodePng(rawPngEncode({ width: 10, height: 1, data: Uint8Array.from([0b10101010, 0b10000000]), channels: 1, depth: 1 }));
    expect(Array.from(g1.data)).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1, 0]);
    // 4-bit gray: nibbles 0, 15, 5 → values 0, 1, 1/3
    const g4 = decodePng(rawPngEncode({ width: 3, height: 1, data: Uint8Array.from([0x0f, 0x50]), channels: 1, depth: 4 }));
    expect(Array.from(g4.data)).toEqual([0, 1, 5 / 15]);
  });

  it('detects signatures', () => {
    const png = encodePng(pattern(1, 2, 2));
    expect(isPng(png)).toBe(true);
    expect(isJpeg(png)).toBe(false);
    expect(isPng(png.buffer.slice(png.byteOffset, png.byteOffset + png.byteLength) as ArrayBuffer)).toBe(true);
  });
});

describe('JPEG decode', () => {
  it('decodes a stdlib photograph: dimensions, 3 channels, range [0, 1]', () => {
    const img = readJpeg(photographPath('french-alpine-landscape'));
    expect([img.channels, img.height, img.width]).toEqual([3, 484, 1024]);
    let min = Infinity;
    let max = -Infinity;
    for (const v of img.data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(max - min).toBeGreaterThan(0.5);
    expect(maxAbsDifference(readImage(photographPath('french-alpine-landscape')).data, img.data)).toBe(0);
  });

  it('decodes a jpeg-js-encoded image close to the original', () => {
    const w = 16;
    const h = 8;
    const rgba = new Uint8Array(w * h * 4);
    for (let p = 0; p < w * h; p++) rgba.set([100, 150, 200, 255], 4 * p);
    const bytes = jpeg.encode({ width: w, height: h, data: rgba }, 95).data;
    const img = decodeImage(bytes, { source: 'flat.jpg' });
    expect([img.channels, img.height, img.width]).toEqual([3, h, w]);
    expect(Math.abs(img.data[0]! - 100 / 255)).toBeLessThan(3 / 255);
    expect(Math.abs(img.data[h * w]! - 150 / 255)).toBeLessThan(3 / 255);
    expect(Math.abs(img.data[2 * h * w]! - 200 / 255)).toBeLessThan(3 / 255);
  });
});

describe('bad input', () => {
  it('a corrupt PNG names the file and suggests a fix', () => {
    const good = encodePng(pattern(3, 20, 20));
    const bad = good.slice(0, 60); // truncated inside IDAT
    const path = join(dir, 'corrupt.png');
    writeFileSync(path, bad);
    expect(() => readPng(path)).toThrow(ValidationError);
    expect(() => readPng(path)).toThrow(/corrupt\.png.*(corrupt|truncated)/s);
    const flipped = good.slice();
    flipped[40] = flipped[40]! ^ 0xff; // damage a chunk: CRC mismatch
    expect(() => decodePng(flipped, { source: 'flipped.png' })).toThrow(/flipped\.png: corrupt/);
  });

  it('a missing file names the path', () => {
    const path = join(dir, 'does-not-exist.png');
    expect(() => readPng(path)).toThrow(FileSystemError);
    expect(() => readImage(path)).toThrow(/image file not found: .*does-not-exist\.png/);
    expect(() => readBytes(dir)).toThrow(/is a directory.*loadFolder/);
  });

  it('a non-image file or bytes are rejected with the format named', () => {
    const path = join(dir, 'notes.png');
    writeFileSync(path, 'hello, not an image');
    expect(() => readImage(path)).toThrow(/notes\.png: neither a PNG nor a JPEG/);
    expect(() => readPng(path)).toThrow(/notes\.png: not a PNG/);
    expect(() => decodeJpeg(new Uint8Array([1, 2, 3]))).toThrow(/not a JPEG/);
    expect(() => decodeJpeg(new Uint8Array([0xff, 0xd8, 0xff, 0, 0, 0]), { source: 'x.jpg' })).toThrow(/x\.jpg: corrupt/);
  });

  it('NaN and malformed images are rejected when encoding', () => {
    const img = pattern(1, 2, 2);
    img.data[3] = NaN;
    expect(() => encodePng(img)).toThrow(/entry 3 is NaN/);
    expect(() => encodePng({ channels: 1, height: 2, width: 2, data: new Float64Array(3) })).toThrow(ShapeError);
    expect(() => encodePng(pattern(1, 2, 2), { bitDepth: 12 as 8 })).toThrow(/bitDepth/);
    expect(() => encodePng(createImage(5, 2, 2))).toThrow(/1–4 channels/);
  });

  it('writePng reports an unwritable path', () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    mkdirSync(join(dir, 'ok'), { recursive: true });
    expect(() => writePng(join(file, 'child.png'), pattern(1, 2, 2))).toThrow(FileSystemError);
    expect(() => writePng(join(file, 'child.png'), pattern(1, 2, 2))).toThrow(/cannot create the folder .*plain-file is a file, not a folder/);
    const folder = join(dir, 'a-folder.png');
    mkdirSync(folder, { recursive: true });
    expect(() => writePng(folder, pattern(1, 2, 2))).toThrow(/cannot write the PNG .*a-folder\.png: it is a folder, not a file \(EISDIR\)/);
  });
});
