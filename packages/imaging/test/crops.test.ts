import { describe, expect, it } from 'vitest';
import { Rng, ValidationError } from '@bilevel/core';
import { centerCrop, createImage, crop, gridTiles, imageStats, sampleCrops, splitByImage, type Image } from '@bilevel/imaging';

function indexImage(channels: number, height: number, width: number): Image {
  const img = createImage(channels, height, width);
  for (let k = 0; k < img.data.length; k++) img.data[k] = k;
  return img;
}

/** Left half flat (0.5), right half a checkerboard (0.2 / 0.8). */
function halfFlat(height: number, width: number): Image {
  const img = createImage(1, height, width, undefined, 0.5);
  for (let i = 0; i < height; i++) for (let j = width / 2; j < width; j++) img.data[i * width + j] = (i + j) % 2 ? 0.8 : 0.2;
  return img;
}

describe('crop and tiles', () => {
  it('crop copies the window from every channel', () => {
    const img = indexImage(2, 4, 5);
    const c = crop(img, { top: 1, left: 2, height: 2, width: 3 });
    expect([c.channels, c.height, c.width]).toEqual([2, 2, 3]);
    expect(Array.from(c.data)).toEqual([7, 8, 9, 12, 13, 14, 27, 28, 29, 32, 33, 34]);
    expect(() => crop(img, { top: 3, left: 0, height: 2, width: 2 })).toThrow(/exceed the 4×5 image/);
    expect(() => crop(img, { top: -1, left: 0, height: 2, width: 2 })).toThrow(ValidationError);
    expect(Array.from(centerCrop(indexImage(1, 4, 4), 2).data)).toEqual([5, 6, 9, 10]);
    expect(() => centerCrop(img, 5)).toThrow(/larger than/);
  });

  it('gridTiles covers the image row by row with the given stride', () => {
    const img = indexImage(1, 5, 7);
    const t = gridTiles(img, { size: 2 });
    expect(t.map((p) => [p.top, p.left])).toEqual([[0, 0], [0, 2], [0, 4], [2, 0], [2, 2], [2, 4]]);
    expect(Array.from(t[4]!.image.data)).toEqual([16, 17, 23, 24]);
    expect(gridTiles(img, { size: [3, 4], stride: 1 })).toHaveLength(3 * 4);
    expect(() => gridTiles(img, { size: 8 })).toThrow(/larger than the 5×7 image/);
  });
});

describe('sampleCrops', () => {
  const images = [halfFlat(40, 40), indexImage(1, 30, 50)];

  it('is reproducible from a seed and continues an Rng stream', () => {
    const a = sampleCrops(images, { size: 8, count: 20, seed: 5 });
    const b = sampleCrops(images, { size: 8, count: 20, seed: 5 });
    expect(a.map((p) => [p.source, p.top, p.left])).toEqual(b.map((p) => [p.source, p.top, p.left]));
    const c = sampleCrops(images, { size: 8, count: 20, seed: 6 });
    expect(c.map((p) => [p.source, p.top, p.left])).not.toEqual(a.map((p) => [p.source, p.top, p.left]));
    const rng = Rng.seeded(5);
    const d = sampleCrops(images, { size: 8, count: 20, seed: rng });
    expect(d.map((p) => p.top)).toEqual(a.map((p) => p.top));
    const e = sampleCrops(images, { size: 8, count: 20, seed: rng });
    expect(e.map((p) => p.top)).not.toEqual(a.map((p) => p.top));
    for (const p of a) {
      const src = images[p.source]!;
      expect(p.image.data).toEqual(crop(src, { top: p.top, left: p.left, height: 8, width: 8 }).data);
    }
    expect(new Set(a.map((p) => p.source))).toEqual(new Set([0, 1]));
  });

  it('rejects flat patches below minStd', () => {
    const flat = [halfFlat(40, 40)];
    const all = sampleCrops(flat, { size: [6, 10], count: 200, seed: 1 });
    expect(all.some((p) => imageStats(p.image).std < 0.01)).toBe(true); // without rejection, flat crops occur
    const kept = sampleCrops(flat, { size: [6, 10], count: 200, seed: 1, minStd: 0.1 });
    expect(kept).toHaveLength(200);
    expect(kept.every((p) => imageStats(p.image).std >= 0.1)).toBe(true);
    expect(kept.every((p) => p.left + 10 > 20)).toBe(true); // every crop reaches into the textured half
    expect(kept.every((p) => p.image.height === 6 && p.image.width === 10)).toBe(true);
  });

  it('fails clearly when crops are too large, too flat, or options are wrong', () => {
    const named = [{ name: 'tiny.png', image: createImage(1, 10, 30) }];
    expect(() => sampleCrops(named, { size: 16, count: 1, seed: 0 })).toThrow(ValidationError);
    expect(() => sampleCrops(named, { size: 16, count: 1, seed: 0 })).toThrow(/image 0 \(tiny\.png\) is 10×30, smaller than the crop size 16×16; use a smaller size/);
    expect(() => sampleCrops([createImage(1, 20, 20, undefined, 0.5)], { size: 8, count: 3, seed: 0, minStd: 0.01, maxAttempts: 50 })).toThrow(
      /found only 0 of 3 crops .* lower minStd/,
    );
    expect(() => sampleCrops(images, { size: 8, count: 0, seed: 0 })).toThrow(/count/);
    expect(() => sampleCrops(images, { size: 8, count: 1, seed: 0.5 })).toThrow(/seed must be an integer or an Rng/);
    expect(() => sampleCrops([], { size: 8, count: 1, seed: 0 })).toThrow(/empty/);
  });
});

describe('splitByImage', () => {
  const names = Array.from({ length: 10 }, (_, i) => `img${i}.png`);

  it('is disjoint, complete, order-preserving and reproducible', () => {
    const s = splitByImage(names, { testCount: 3, seed: 11 });
    expect(s.test).toHaveLength(3);
    expect(s.train).toHaveLength(7);
    expect(new Set([...s.train, ...s.test]).size).toBe(10);
    expect(s.train.filter((x) => s.test.includes(x))).toEqual([]);
    expect([...s.train].sort()).toEqual(s.train);
    expect(splitByImage(names, { testCount: 3, seed: 11 })).toEqual(s);
    const others = [12, 13, 14, 15].map((seed) => splitByImage(names, { testCount: 3, seed }).test.join());
    expect(new Set(others).size).toBeGreaterThan(1);
    expect(splitByImage(names, { seed: 0 }).test).toHaveLength(3); // default testFraction 0.25 → round(2.5) = 3
    expect(splitByImage(names, { testFraction: 0.5, seed: 0 }).test).toHaveLength(5);
  });

  it('rejects impossible splits', () => {
    expect(() => splitByImage(['a'], { seed: 0 })).toThrow(/at least 2 items/);
    expect(() => splitByImage(names, { testCount: 10, seed: 0 })).toThrow(/testCount ≤ 9/);
    expect(() => splitByImage(names, { testCount: 2, testFraction: 0.2, seed: 0 })).toThrow(/not both/);
  });
});
