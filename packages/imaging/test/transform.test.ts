import { describe, expect, it } from 'vitest';
import { ShapeError, ValidationError } from '@bilevel/core';
import { maxAbsDifference } from '@bilevel/core/testing';
import {
  BT601_WEIGHTS, assertImage, clampImage, cloneImage, createImage, downscale, dropAlpha, fitMaxSide, getChannel, imageShape,
  imageStats, resize, toGray, toRgb, type Image,
} from '@bilevel/imaging';

function ramp(channels: number, height: number, width: number): Image {
  const img = createImage(channels, height, width);
  for (let k = 0; k < img.data.length; k++) img.data[k] = ((k * 7919) % 101) / 100;
  return img;
}

describe('image helpers', () => {
  it('create, check, copy, clamp, select channels, summarise', () => {
    const img = ramp(3, 4, 5);
    expect(imageShape(img)).toEqual([3, 4, 5]);
    expect(() => createImage(1, 2, 2, new Float64Array(3))).toThrow(ShapeError);
    expect(() => createImage(0, 2, 2)).toThrow(/channels/);
    expect(() => assertImage('x', { channels: 1, height: 2, width: 2, data: new Float64Array(5) })).toThrow(/x\.data has length 5/);
    const nan = cloneImage(img);
    nan.data[7] = NaN;
    expect(() => assertImage('noisy', nan, true)).toThrow(ValidationError);
    expect(nan.data).not.toBe(img.data);
    const c = clampImage(createImage(1, 1, 3, Float64Array.from([-1, 0.5, 2])));
    expect(Array.from(c.data)).toEqual([0, 0.5, 1]);
    expect(Array.from(getChannel(img, 2).data)).toEqual(Array.from(img.data.subarray(40, 60)));
    expect(() => getChannel(img, 3)).toThrow(/out of range/);
    const s = imageStats(Float64Array.from([1, 2, 3, 4]));
    expect(s).toEqual({ mean: 2.5, std: Math.sqrt(1.25), min: 1, max: 4 });
  });
});

describe('colour', () => {
  it('toGray uses the BT.601 luma weights 0.299, 0.587, 0.114', () => {
    expect(BT601_WEIGHTS).toEqual([0.299, 0.587, 0.114]);
    const px = createImage(3, 1, 3, Float64Array.from([1, 0, 0.2, 0, 1, 0.4, 0, 0, 0.6]));
    const g = toGray(px);
    expect(g.channels).toBe(1);
    expect(g.data[0]).toBeCloseTo(0.299, 15);
    expect(g.data[1]).toBeCloseTo(0.587, 15);
    expect(g.data[2]).toBeCloseTo(0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6, 15);
    // white stays white, RGBA ignores alpha, gray is copied
    expect(toGray(createImage(4, 2, 2, undefined, 1)).data.every((v) => Math.abs(v - 1) < 1e-15)).toBe(true);
    const gray = ramp(1, 3, 3);
    expect(toGray(gray).data).toEqual(gray.data);
  });

  it('toRgb replicates gray, dropAlpha removes the last channel of 2- and 4-channel images', () => {
    const g = ramp(1, 2, 3);
    const rgb = toRgb(g);
    expect(rgb.channels).toBe(3);
    expect(Array.from(rgb.data.subarray(12, 18))).toEqual(Array.from(g.data));
    expect(dropAlpha(ramp(4, 2, 2)).channels).toBe(3);
    expect(dropAlpha(ramp(2, 2, 2)).channels).toBe(1);
    expect(dropAlpha(ramp(3, 2, 2)).channels).toBe(3);
  });
});

describe('resize', () => {
  it('downscale averages integer blocks and drops the remainder', () => {
    const img = createImage(1, 3, 5, Float64Array.from([1, 2, 3, 4, 99, 5, 6, 7, 8, 99, 99, 99, 99, 99, 99]));
    const d = downscale(img, 2);
    expect([d.height, d.width]).toEqual([1, 2]);
    expect(Array.from(d.data)).toEqual([3.5, 5.5]);
    expect(() => downscale(img, 4)).toThrow(/larger than the image/);
    expect(() => downscale(img, 1.5)).toThrow(/integer/);
  });

  it("area resize equals downscale for integer factors and preserves the mean and constants", () => {
    const img = ramp(2, 12, 18);
    const a = resize(img, { height: 4, width: 6 });
    expect(maxAbsDifference(a.data, downscale(img, 3).data)).toBeLessThan(1e-14);
    const b = resize(img, { height: 5, width: 7 }); // non-integer factors 2.4, 2.57
    expect(Math.abs(imageStats(b).mean - imageStats(img).mean)).toBeLessThan(0.02);
    for (const method of ['area', 'bilinear'] as const) {
      for (const [h, w] of [[5, 7], [20, 31], [12, 18]]) {
        const c = resize(createImage(3, 12, 18, undefined, 0.3), { height: h!, width: w!, method });
        expect(c.data.every((v) => Math.abs(v - 0.3) < 1e-14)).toBe(true);
      }
    }
  });

  it('exact area weights on a 1-D example (3 → 2 pixels)', () => {
    const img = createImage(1, 1, 3, Float64Array.from([0, 3, 6]));
    // footprints [0, 1.5) and [1.5, 3): (0 + 0.5·3)/1.5 = 1, (0.5·3 + 6)/1.5 = 5
    expect(Array.from(resize(img, { height: 1, width: 2 }).data)).toEqual([1, 5]);
  });

  it('bilinear interpolates linear ramps exactly inside the image and is identity at the same size', () => {
    const img = createImage(1, 1, 4, Float64Array.from([0, 1, 2, 3]));
    // output centres at x = (o + 0.5)·0.5 − 0.5 = −0.25, 0.25, …, 3.25 (clamped at the ends)
    const up = resize(img, { height: 1, width: 8, method: 'bilinear' });
    expect(Array.from(up.data)).toEqual([0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3]);
    const same = ramp(3, 7, 9);
    expect(maxAbsDifference(resize(same, { height: 7, width: 9, method: 'bilinear' }).data, same.data)).toBe(0);
    expect(() => resize(same, { height: 0, width: 3 })).toThrow(/height/);
    expect(() => resize(same, { height: 2, width: 3, method: 'cubic' as 'area' })).toThrow(/method/);
  });

  it('fitMaxSide keeps the aspect ratio and returns small images unchanged', () => {
    const img = ramp(1, 30, 80);
    const f = fitMaxSide(img, 40);
    expect([f.height, f.width]).toEqual([15, 40]);
    expect(fitMaxSide(img, 80)).toBe(img);
    expect(() => fitMaxSide(img, 0)).toThrow(/maxSide/);
  });
});
