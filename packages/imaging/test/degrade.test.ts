import { describe, expect, it } from 'vitest';
import { Rng, ValidationError } from '@bilevel/core';
import {
  addGaussianNoise, applyMask, boxKernel, convolve, createImage, degrade, gaussianKernel, imageStats, motionKernel, randomMask,
  type Boundary, type Image, type Kernel,
} from '@bilevel/imaging';

function textured(channels: number, height: number, width: number): Image {
  const img = createImage(channels, height, width);
  for (let k = 0; k < img.data.length; k++) img.data[k] = 0.5 + 0.4 * Math.sin(1.3 * k) * Math.cos(0.07 * k);
  return img;
}

function sum(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

/** Direct evaluation of out(i,j) = Σ k(a,b) x̃(i + ca − a, j + cb − b) with explicit index extension. */
function naiveConvolve(img: Image, k: Kernel, mode: Boundary): Float64Array {
  const ext = (i: number, n: number): number => {
    while (i < 0 || i >= n) {
      if (mode === 'symmetric') i = i < 0 ? -i - 1 : 2 * n - 1 - i;
      else i = i < 0 ? -i : 2 * n - 2 - i;
    }
    return i;
  };
  const { channels: C, height: H, width: W } = img;
  const ca = Math.floor(k.height / 2);
  const cb = Math.floor(k.width / 2);
  const out = new Float64Array(img.data.length);
  for (let c = 0; c < C; c++)
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++) {
        let s = 0;
        for (let a = 0; a < k.height; a++)
          for (let b = 0; b < k.width; b++) s += k.data[a * k.width + b]! * img.data[(c * H + ext(i + ca - a, H)) * W + ext(j + cb - b, W)]!;
        out[(c * H + i) * W + j] = s;
      }
  return out;
}

describe('kernels', () => {
  it('are normalised, odd-sized and centred', () => {
    for (const k of [gaussianKernel(1, 5), gaussianKernel(1.5), boxKernel(3), motionKernel(7, 0), motionKernel(9, 30), motionKernel(1)]) {
      expect(sum(k.data)).toBeCloseTo(1, 14);
      expect(k.height % 2).toBe(1);
      expect(k.data.every((v) => v >= 0)).toBe(true);
    }
    const g = gaussianKernel(1.5);
    expect(g.height).toBe(11);
    expect(g.data[5 * 11 + 5]).toBe(Math.max(...g.data));
    expect(g.data[0]).toBeCloseTo(g.data[120]!, 18);
    // a horizontal motion kernel of length 7 spreads weight 1/7 over the 7 central pixels of the middle row
    const m = motionKernel(7, 0);
    expect(m.height).toBe(9);
    for (let j = 1; j < 8; j++) expect(m.data[4 * 9 + j]).toBeCloseTo(1 / 7, 15);
    expect(sum(m.data.subarray(4 * 9, 5 * 9))).toBeCloseTo(1, 14);
    expect(Array.from(motionKernel(1).data).filter((v) => v > 0)).toEqual([1]);
    // vertical motion blur at 90°
    const v = motionKernel(5, 90);
    for (let i = 1; i < 6; i++) expect(v.data[i * 7 + 3]).toBeCloseTo(1 / 5, 15);
    expect(sum(Float64Array.from({ length: v.height }, (_, i) => v.data[i * v.width + (v.width - 1) / 2]!))).toBeCloseTo(1, 12);
    const diag = motionKernel(4, 45);
    expect(sum(diag.data)).toBeCloseTo(1, 14);
    expect(diag.data[2 * 5 + 2]).toBeGreaterThan(0);
    for (let k = 0; k < 25; k++) expect(diag.data[k]).toBeCloseTo(diag.data[24 - k]!, 15); // point-symmetric
    expect(diag.data[1 * 5 + 3]).toBeGreaterThan(0.1); // up-right of the centre: on the 45° line
    expect(diag.data[1 * 5 + 1]).toBe(0); // up-left: off the line
    expect(() => motionKernel(2.5)).toThrow(/length/);
    expect(() => gaussianKernel(0)).toThrow(/sigma/);
    expect(() => gaussianKernel(1, 4)).toThrow(/odd/);
    expect(() => boxKernel(2)).toThrow(/odd/);
  });
});

describe('convolve', () => {
  it('preserves constant images (every kernel, both boundaries)', () => {
    const img = createImage(3, 9, 12, undefined, 0.37);
    for (const k of [gaussianKernel(2), boxKernel(5), motionKernel(11, 17), gaussianKernel(4, 25)]) {
      for (const mode of ['symmetric', 'reflect'] as const) {
        expect(convolve(img, k, mode).data.every((v) => Math.abs(v - 0.37) < 1e-14)).toBe(true);
      }
    }
  });

  it('matches a direct evaluation, including a non-symmetric kernel and kernels larger than the image', () => {
    const img = textured(2, 6, 7);
    const asym: Kernel = { height: 3, width: 2, data: Float64Array.from([1, 2, 3, 4, 5, 6]) };
    for (const k of [asym, gaussianKernel(1, 5), motionKernel(5, 45), gaussianKernel(2, 15)]) {
      for (const mode of ['symmetric', 'reflect'] as const) {
        const got = convolve(img, k, mode).data;
        const want = naiveConvolve(img, k, mode);
        let d = 0;
        for (let i = 0; i < got.length; i++) d = Math.max(d, Math.abs(got[i]! - want[i]!));
        expect(d).toBeLessThan(1e-13);
      }
    }
  });

  it('is a true convolution with the documented boundary rules', () => {
    const delta = createImage(1, 1, 5, Float64Array.from([0, 0, 1, 0, 0]));
    const k: Kernel = { height: 1, width: 3, data: Float64Array.from([1, 2, 3]) };
    expect(Array.from(convolve(delta, k).data)).toEqual([0, 1, 2, 3, 0]); // flipped relative to correlation
    const x = createImage(1, 1, 3, Float64Array.from([1, 2, 3]));
    const left: Kernel = { height: 1, width: 3, data: Float64Array.from([0, 0, 1]) }; // out(j) = x(j − 1)
    expect(Array.from(convolve(x, left, 'symmetric').data)).toEqual([1, 1, 2]); // x(−1) = x(0)
    expect(Array.from(convolve(x, left, 'reflect').data)).toEqual([2, 1, 2]); // x(−1) = x(1)
    expect(() => convolve(x, left, 'zero' as Boundary)).toThrow(/boundary/);
    expect(() => convolve(x, { height: 2, width: 2, data: new Float64Array(3) })).toThrow(/kernel/);
  });
});

describe('noise', () => {
  const img = createImage(1, 200, 250, undefined, 0.5);

  it('has mean ≈ 0 and std ≈ σ, reproducible from the seed', () => {
    for (const sigma of [0.1, 25 / 255]) {
      const y = addGaussianNoise(img, { sigma, seed: 3 });
      const r = Float64Array.from(y.data, (v) => v - 0.5);
      const s = imageStats(r);
      expect(Math.abs(s.mean)).toBeLessThan(4 * sigma / Math.sqrt(r.length));
      expect(Math.abs(s.std / sigma - 1)).toBeLessThan(0.01);
      const again = addGaussianNoise(img, { sigma, seed: 3 });
      expect(again.data.every((v, i) => v === y.data[i])).toBe(true);
    }
    const other = addGaussianNoise(img, { sigma: 0.1, seed: 4 });
    expect(other.data[0]).not.toBe(addGaussianNoise(img, { sigma: 0.1, seed: 3 }).data[0]);
    expect(img.data.every((v) => v === 0.5)).toBe(true); // input untouched
  });

  it('continues an Rng stream, clamps on request, σ = 0 is the identity', () => {
    const rng = Rng.seeded(9);
    const a = addGaussianNoise(img, { sigma: 0.1, seed: rng });
    const b = addGaussianNoise(img, { sigma: 0.1, seed: rng });
    expect(a.data[0]).toBe(addGaussianNoise(img, { sigma: 0.1, seed: 9 }).data[0]);
    expect(b.data[0]).not.toBe(a.data[0]);
    const c = addGaussianNoise(img, { sigma: 0.5, seed: 1, clamp: true });
    const s = imageStats(c);
    expect(s.min).toBe(0);
    expect(s.max).toBe(1);
    expect(addGaussianNoise(img, { sigma: 0, seed: 1 }).data.every((v) => v === 0.5)).toBe(true);
    expect(() => addGaussianNoise(img, { sigma: -1, seed: 1 })).toThrow(/sigma/);
    const bad = createImage(1, 2, 2);
    bad.data[1] = NaN;
    expect(() => addGaussianNoise(bad, { sigma: 0.1, seed: 1 })).toThrow(ValidationError);
  });

  it('degrade = blur, then noise from the same seed', () => {
    const x = textured(1, 20, 24);
    const k = gaussianKernel(1, 5);
    const y = degrade(x, { kernel: k, sigma: 0.05, seed: 2 });
    const want = addGaussianNoise(convolve(x, k), { sigma: 0.05, seed: 2 });
    expect(y.data.every((v, i) => v === want.data[i])).toBe(true);
    const noBlur = degrade(x, { sigma: 0.05, seed: 2 });
    expect(noBlur.data.every((v, i) => v === addGaussianNoise(x, { sigma: 0.05, seed: 2 }).data[i])).toBe(true);
  });
});

describe('inpainting masks', () => {
  it('keep exactly round(keepRatio·H·W) pixels, reproducibly', () => {
    const m = randomMask(30, 40, { keepRatio: 0.3, seed: 8 });
    expect([m.channels, m.height, m.width]).toEqual([1, 30, 40]);
    expect(m.data.every((v) => v === 0 || v === 1)).toBe(true);
    expect(sum(m.data)).toBe(360);
    expect(randomMask(30, 40, { keepRatio: 0.3, seed: 8 }).data).toEqual(m.data);
    expect(randomMask(30, 40, { keepRatio: 0.3, seed: 9 }).data).not.toEqual(m.data);
    expect(sum(randomMask(5, 5, { keepRatio: 1, seed: 0 }).data)).toBe(25);
    expect(sum(randomMask(5, 5, { keepRatio: 0, seed: 0 }).data)).toBe(0);
    expect(() => randomMask(5, 5, { keepRatio: 1.5, seed: 0 })).toThrow(/keepRatio/);
  });

  it('applyMask zeroes the dropped pixels in every channel', () => {
    const x = textured(3, 4, 5);
    const m = randomMask(4, 5, { keepRatio: 0.5, seed: 1 });
    const y = applyMask(x, m);
    for (let c = 0; c < 3; c++) for (let p = 0; p < 20; p++) expect(y.data[c * 20 + p]).toBe(m.data[p] ? x.data[c * 20 + p] : 0);
    expect(() => applyMask(x, randomMask(5, 4, { keepRatio: 0.5, seed: 1 }))).toThrow(/the mask needs the image's size/);
  });
});
