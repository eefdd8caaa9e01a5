import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encode as rawPngEncode } from 'fast-png';
import jpeg from 'jpeg-js';
import { FileSystemError, ValidationError } from '@bilevel/core';
import {
  MAX_IMAGE_PIXELS, createImage, decodeImageWithInfo, decodeJpeg, encodeImage, encodeJpeg, encodePng, imageFormatOfPath, psnr, type Image,
} from '@bilevel/imaging';
import { makeDirectory, readImageWithInfo, writeImage } from '@bilevel/imaging/node';

const dir = mkdtempSync(join(tmpdir(), 'bilevel-imaging-codecs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A smooth test image (JPEG-friendly) with values in [0.1, 0.9]. */
function smooth(channels: number, height: number, width: number): Image {
  const img = createImage(channels, height, width);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < height; i++) {
      for (let j = 0; j < width; j++) img.data[(c * height + i) * width + j] = 0.5 + 0.4 * Math.sin(0.11 * i + 0.07 * j + 1.9 * c);
    }
  }
  return img;
}

/** Number of components in the start-of-frame segment of a baseline JPEG. */
function sofComponents(bytes: Uint8Array): number {
  for (let i = 2; i + 9 < bytes.length; i += 2 + ((bytes[i + 2]! << 8) | bytes[i + 3]!)) {
    if (bytes[i + 1] === 0xc0) return bytes[i + 9]!;
  }
  throw new Error('no SOF0');
}

describe('JPEG encoding (baseline, gray stays gray)', () => {
  it('writes a gray image as a one-component JPEG that jpeg-js decodes to the same picture', () => {
    const img = smooth(1, 37, 53);
    const bytes = encodeJpeg(img, { quality: 95 });
    expect(sofComponents(bytes)).toBe(1);
    const raw = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
    expect([raw.width, raw.height]).toEqual([53, 37]);
    const back = decodeJpeg(bytes);
    expect(back.channels).toBe(1);
    expect(psnr(back, img, { dataRange: 1 })).toBeGreaterThan(40);
    // the three channels jpeg-js expands a gray file to are equal, and equal to our one channel
    for (let p = 0; p < 37 * 53; p++) expect(raw.data[3 * p]).toBe(Math.round(back.data[p]! * 255));
  });

  it('writes RGB as three components (YCbCr 4:4:4), close to the original', () => {
    const img = smooth(3, 24, 40);
    const bytes = encodeJpeg(img, { quality: 95 });
    expect(sofComponents(bytes)).toBe(3);
    const back = decodeJpeg(bytes);
    expect(back.channels).toBe(3);
    expect(psnr(back, img, { dataRange: 1 })).toBeGreaterThan(38);
    // a lower quality gives a smaller file and a lower PSNR
    const low = encodeJpeg(img, { quality: 20 });
    expect(low.length).toBeLessThan(bytes.length);
    expect(psnr(decodeJpeg(low), img, { dataRange: 1 })).toBeLessThan(psnr(back, img, { dataRange: 1 }));
  });

  it('refuses alpha, bad qualities and non-finite samples', () => {
    expect(() => encodeJpeg(smooth(4, 8, 8))).toThrow(/no alpha channel: write PNG to keep it/);
    expect(() => encodeJpeg(smooth(2, 8, 8))).toThrow(ValidationError);
    expect(() => encodeJpeg(smooth(1, 8, 8), { quality: 0 })).toThrow(/quality must be in 1…100/);
    const bad = smooth(1, 8, 8);
    bad.data[5] = NaN;
    expect(() => encodeJpeg(bad)).toThrow(/entry 5 is NaN/);
  });
});

describe('decoding with what the file stores', () => {
  it('reports format, bit depth and palette; 16-bit samples keep 16-bit precision', () => {
    const img = smooth(1, 9, 11);
    const d16 = decodeImageWithInfo(encodePng(img, { bitDepth: 16 }));
    expect(d16.info).toEqual({ format: 'png', bitDepth: 16, palette: false });
    let maxErr = 0;
    for (let i = 0; i < img.data.length; i++) maxErr = Math.max(maxErr, Math.abs(d16.image.data[i]! - img.data[i]!));
    expect(maxErr).toBeLessThanOrEqual(0.5 / 65535 + 1e-12);
    expect(decodeImageWithInfo(encodePng(img)).info.bitDepth).toBe(8);
    const palette = rawPngEncode({ width: 2, height: 1, data: Uint8Array.from([0, 1]), channels: 1, depth: 8, palette: [[255, 0, 0], [0, 0, 255]] });
    const p = decodeImageWithInfo(palette);
    expect(p.info).toEqual({ format: 'png', bitDepth: 8, palette: true });
    expect(p.image.channels).toBe(3);
    const j = decodeImageWithInfo(encodeJpeg(img));
    expect(j.info).toEqual({ format: 'jpeg', bitDepth: 8, palette: false });
    expect(j.image.channels).toBe(1);
  });

  it('refuses a header size above the limit before decoding, and an empty file', () => {
    const png = encodePng(smooth(1, 4, 4));
    const huge = png.slice();
    const view = new DataView(huge.buffer);
    view.setUint32(16, 100_000);
    view.setUint32(20, 100_000);
    expect(() => decodeImageWithInfo(huge, { source: 'huge.png' })).toThrow(/huge\.png: the file says the image is 100000×100000 pixels .*more than the limit of 67 megapixels/);
    expect(() => decodeImageWithInfo(png, { maxPixels: 15 })).toThrow(/4×4 pixels/);
    expect(MAX_IMAGE_PIXELS).toBe(2 ** 26);
    const bigJpeg = encodeJpeg(smooth(1, 16, 16));
    expect(() => decodeImageWithInfo(bigJpeg, { source: 'x.jpg', maxPixels: 100 })).toThrow(/x\.jpg: the file says the image is 16×16/);
    expect(() => decodeImageWithInfo(new Uint8Array(0), { source: 'empty.png' })).toThrow(/empty\.png: an empty file/);
  });

  it('names a truncated JPEG', () => {
    const bytes = encodeJpeg(smooth(3, 32, 32));
    expect(() => decodeImageWithInfo(bytes.slice(0, bytes.length >> 1), { source: 'cut.jpg' })).toThrow(/cut\.jpg: corrupt or unsupported JPEG/);
  });
});

describe('writing by extension', () => {
  it('chooses the encoder from the extension and refuses an unknown one', () => {
    expect(imageFormatOfPath('a/b.PNG')).toBe('png');
    expect(imageFormatOfPath('x.jpg')).toBe('jpeg');
    expect(imageFormatOfPath('x.JPEG')).toBe('jpeg');
    expect(() => imageFormatOfPath('x.bmp')).toThrow(/x\.bmp: unknown image extension "\.bmp"; name the output \.png .* or \.jpg/);
    expect(() => imageFormatOfPath('dir.d/out')).toThrow(/no file extension/);
    const img = smooth(1, 8, 8);
    writeImage(join(dir, 'g.jpg'), img);
    const bytes = readFileSync(join(dir, 'g.jpg'));
    expect([bytes[0], bytes[1], bytes[2]]).toEqual([0xff, 0xd8, 0xff]);
    expect(readImageWithInfo(join(dir, 'g.jpg')).info.format).toBe('jpeg');
    writeImage(join(dir, 'sub', 'g16.png'), img, { bitDepth: 16 });
    expect(readImageWithInfo(join(dir, 'sub', 'g16.png')).info.bitDepth).toBe(16);
    expect(() => writeImage(join(dir, 'g.tiff'), img)).toThrow(/unknown image extension/);
    expect(Array.from(encodeImage(img, 'png'))).toEqual(Array.from(encodePng(img)));
  });
});

describe('makeDirectory', () => {
  it('creates missing parents and names what is in the way', () => {
    makeDirectory(join(dir, 'm', 'n', 'o'));
    makeDirectory(join(dir, 'm', 'n', 'o')); // exists: fine
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    expect(() => makeDirectory(file)).toThrow(FileSystemError);
    expect(() => makeDirectory(join(file, 'sub'))).toThrow(/a-file is a file, not a folder/);
  });

  it.runIf(process.platform === 'linux')('returns at once under /proc (where a recursive mkdir loops forever)', () => {
    expect(() => makeDirectory('/proc/bilevel-x/y')).toThrow(/cannot create the folder .*: no such file or folder \(ENOENT\); the file system of \/proc does not allow new folders/);
  });
});
