import { describe, expect, it } from 'vitest';
import { Rng, ShapeError, ValidationError, type LinearOperator } from '@bilevel/core';
import { adjointError } from '@bilevel/core/testing';
import { AvgPool, Convolution2D, gaussianKernel, motionKernel, type ConvBoundary } from '@bilevel/operators';
import { addGaussianNoise, applyMask, createImage, crop, degrade, imageStats, noisyCrops, randomMask, type Image } from '@bilevel/imaging';

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

const blur = (img: Image, kernel: Float64Array, boundary: ConvBoundary = 'symmetric'): Convolution2D =>
  new Convolution2D({ channels: img.channels, height: img.height, width: img.width, kernel, boundary });

/** `max_i |y_i − (A x)_i − σ ε_i|` with `ε` redrawn from the seed in data order. */
function residualOfModel(y: Image, A: LinearOperator, x: Image, sigma: number, seed: number): number {
  const Ax = A.apply(x.data, new Float64Array(y.data.length));
  const eps = Rng.seeded(seed);
  let d = 0;
  for (let i = 0; i < Ax.length; i++) d = Math.max(d, Math.abs(y.data[i]! - (Ax[i]! + sigma * eps.normal())));
  return d;
}

describe('degrade through a forward operator', () => {
  // flip-asymmetric: k[−q] ≠ k[q], so convolution and correlation differ
  const oneSided = Float64Array.from([0, 0, 0, 0, 0.2, 0.5, 0, 0.1, 0.2]);
  const kernels: [string, Float64Array][] = [
    ['motion 9 @30°', motionKernel(9, 30)],
    ['motion 4 @−60°', motionKernel(4, -60)],
    ['one-sided 3×3', oneSided],
    ['gaussian 5 σ=1', gaussianKernel(5, 1)],
  ];

  it.each(kernels)('y = A x + σε exactly for the operator that made it (%s, both mirror boundaries)', (_name, kernel) => {
    const x = textured(2, 19, 23);
    for (const boundary of ['symmetric', 'reflect'] as const) {
      const A = blur(x, kernel, boundary);
      expect(adjointError(A, Rng.seeded(3))).toBeLessThan(1e-14);
      const y = degrade(x, { forward: A, sigma: 0.05, seed: 11 });
      expect([y.channels, y.height, y.width]).toEqual([2, 19, 23]);
      expect(residualOfModel(y, A, x, 0.05, 11)).toBe(0); // the same floating-point operations
      // σ = 0: the measurement is A x itself
      const clean = degrade(x, { forward: A, sigma: 0, seed: 11 });
      expect(clean.data).toEqual(A.apply(x.data, new Float64Array(x.data.length)));
    }
  });

  it('is sensitive to the forward model: another boundary, or the flipped kernel, is far off', () => {
    const x = textured(1, 16, 16);
    const A = blur(x, oneSided);
    const y = degrade(x, { forward: A, sigma: 0.01, seed: 5 });
    expect(residualOfModel(y, blur(x, oneSided, 'zero'), x, 0.01, 5)).toBeGreaterThan(1e-2);
    expect(residualOfModel(y, blur(x, oneSided.slice().reverse()), x, 0.01, 5)).toBeGreaterThan(1e-2);
  });

  it('applies the correlation of the operator: a delta reads the kernel backwards', () => {
    const delta = createImage(1, 1, 5, Float64Array.from([0, 0, 1, 0, 0]));
    const k = Float64Array.from([1, 2, 3]);
    const A = new Convolution2D({ channels: 1, height: 1, width: 5, kernel: k, kernelSize: [1, 3], boundary: 'symmetric' });
    // (A x)[p] = Σ_q k[q]·x[p + q], q ∈ {−1, 0, 1}
    expect(Array.from(degrade(delta, { forward: A, sigma: 0, seed: 0 }).data)).toEqual([0, 3, 2, 1, 0]);
  });

  it('preserves constant images under normalised blurs with mirror boundaries', () => {
    const img = createImage(3, 9, 12, undefined, 0.37);
    for (const kernel of [gaussianKernel(13, 2), motionKernel(11, 17), motionKernel(6, 90)]) {
      for (const boundary of ['symmetric', 'reflect'] as const) {
        const y = degrade(img, { forward: blur(img, kernel, boundary), sigma: 0, seed: 0 });
        expect(y.data.every((v) => Math.abs(v - 0.37) < 1e-14)).toBe(true);
      }
    }
  });

  it('takes the shape of the result from the operator range, and rejects operators of another shape', () => {
    const x = textured(1, 8, 6);
    const pool = new AvgPool({ channels: 1, height: 8, width: 6, factor: 2 });
    const y = degrade(x, { forward: pool, sigma: 0.1, seed: 1 });
    expect([y.channels, y.height, y.width]).toEqual([1, 4, 3]);
    expect(residualOfModel(y, pool, x, 0.1, 1)).toBe(0);
    expect(() => degrade(textured(1, 8, 7), { forward: pool, sigma: 0, seed: 1 })).toThrow(ShapeError);
    expect(() => degrade(textured(1, 8, 7), { forward: pool, sigma: 0, seed: 1 })).toThrow(/domain is 1×8×6 but the image is 1×8×7/);
    expect(() => degrade(x, { forward: {} as LinearOperator, sigma: 0, seed: 1 })).toThrow(/degrade options\.forward[\s\S]*must be a LinearOperator/);
    expect(() => degrade(x, { forward: pool, sigma: -1, seed: 1 })).toThrow(/sigma/);
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

  it('degrade without an operator is addGaussianNoise', () => {
    const x = textured(1, 20, 24);
    const noBlur = degrade(x, { sigma: 0.05, seed: 2 });
    expect(noBlur.data.every((v, i) => v === addGaussianNoise(x, { sigma: 0.05, seed: 2 }).data[i])).toBe(true);
  });
});

describe('noisyCrops', () => {
  it('is the crop at each corner with the noise of seed + k, and validates its options', () => {
    const rng = Rng.seeded(4);
    const img: Image = { channels: 2, height: 12, width: 10, data: Float64Array.from({ length: 240 }, () => rng.uniform()) };
    const pairs = noisyCrops(img, [[1, 2], [6, 5]], 4, { sigma: 0.1, seed: 7 });
    expect(pairs).toHaveLength(2);
    pairs.forEach((p, k) => {
      const [top, left] = k === 0 ? [1, 2] : [6, 5];
      const clean = crop(img, { top, left, height: 4, width: 4 });
      expect(p.clean).toEqual(clean);
      expect(p.degraded).toEqual(addGaussianNoise(clean, { sigma: 0.1, seed: 7 + k }));
    });
    expect(pairs[0]!.degraded.data).not.toEqual(pairs[1]!.degraded.data);
    expect(() => noisyCrops(img, [[0, 0]], 4, { sigma: -1, seed: 1 })).toThrow(/sigma/);
    expect(() => noisyCrops(img, [[0, 0]], 0, { sigma: 0.1, seed: 1 })).toThrow(/size/);
    expect(() => noisyCrops(img, [[10, 0]], 4, { sigma: 0.1, seed: 1 })).toThrow(/exceed/);
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
