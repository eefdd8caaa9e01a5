import { describe, expect, it } from 'vitest';
import { ShapeError, ValidationError } from '@bilevel/core';
import { SSIM_K, SSIM_SIGMA, SSIM_WINDOW, addGaussianNoise, createImage, mse, psnr, psnrFromLoss, ssim, type Image } from '@bilevel/imaging';

/** x(i,j) = 0.5 + 0.4 sin(0.3 i) cos(0.2 j); y = x + 0.1 sin(1.7 i + 0.9 j) (the NumPy reference pair). */
function pair(height: number, width: number): [Image, Image] {
  const x = createImage(1, height, width);
  const y = createImage(1, height, width);
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      const v = 0.5 + 0.4 * Math.sin(0.3 * i) * Math.cos(0.2 * j);
      x.data[i * width + j] = v;
      y.data[i * width + j] = v + 0.1 * Math.sin(1.7 * i + 0.9 * j);
    }
  }
  return [x, y];
}

/** SSIM straight from Wang et al. (2004): 2-D Gaussian window at every valid position. */
function naiveSsim(x: Image, y: Image, R: number): number {
  const r = 5;
  const g: number[] = [];
  let gs = 0;
  for (let a = -r; a <= r; a++) for (let b = -r; b <= r; b++) {
    const v = Math.exp(-(a * a + b * b) / (2 * 1.5 * 1.5));
    g.push(v);
    gs += v;
  }
  const C1 = (0.01 * R) ** 2;
  const C2 = (0.03 * R) ** 2;
  let total = 0;
  const { channels: C, height: H, width: W } = x;
  for (let c = 0; c < C; c++) {
    let acc = 0;
    let cnt = 0;
    for (let i = r; i < H - r; i++) for (let j = r; j < W - r; j++) {
      let mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0, k = 0;
      for (let a = -r; a <= r; a++) for (let b = -r; b <= r; b++) {
        const w = g[k++]! / gs;
        const p = (c * H + i + a) * W + j + b;
        mx += w * x.data[p]!;
        my += w * y.data[p]!;
      }
      k = 0;
      for (let a = -r; a <= r; a++) for (let b = -r; b <= r; b++) {
        const w = g[k++]! / gs;
        const p = (c * H + i + a) * W + j + b;
        sxx += w * (x.data[p]! - mx) ** 2;
        syy += w * (y.data[p]! - my) ** 2;
        sxy += w * (x.data[p]! - mx) * (y.data[p]! - my);
      }
      acc += ((2 * mx * my + C1) * (2 * sxy + C2)) / ((mx * mx + my * my + C1) * (sxx + syy + C2));
      cnt++;
    }
    total += acc / cnt;
  }
  return total / C;
}

describe('MSE and PSNR', () => {
  it('PSNR of a constant offset δ is 20·log10(R/δ)', () => {
    const ref = createImage(3, 8, 9, undefined, 0.4);
    const est = createImage(3, 8, 9, undefined, 0.5);
    expect(mse(est, ref)).toBeCloseTo(0.01, 15);
    expect(psnr(est, ref, { dataRange: 1 })).toBeCloseTo(20, 10);
    expect(psnr(est, ref, { dataRange: 2 })).toBeCloseTo(20 + 20 * Math.log10(2), 10);
    // the same images on the 0–255 scale give the same PSNR with dataRange 255
    const s = (img: Image): Image => createImage(3, 8, 9, img.data.map((v) => 255 * v));
    expect(psnr(s(est), s(ref), { dataRange: 255 })).toBeCloseTo(20, 10);
    expect(psnr(est.data, ref.data, { dataRange: 1 })).toBeCloseTo(20, 10);
  });

  it('matches an independent NumPy computation, gives Infinity for equal images, clips on request', () => {
    const [x, y] = pair(24, 20);
    expect(psnr(y, x, { dataRange: 1 })).toBeCloseTo(23.009965436615914, 10);
    expect(psnr(x, x, { dataRange: 1 })).toBe(Infinity);
    const over = createImage(1, 2, 2, Float64Array.from([1.2, 1, -0.3, 0]));
    const ref = createImage(1, 2, 2, Float64Array.from([1, 1, 0, 0]));
    expect(psnr(over, ref, { dataRange: 1, clip: [0, 1] })).toBe(Infinity);
    expect(psnr(over, ref, { dataRange: 1 })).toBeCloseTo(10 * Math.log10(1 / ((0.04 + 0.09) / 4)), 10);
  });

  it('require an explicit, positive data range and finite, same-shaped data', () => {
    const [x, y] = pair(12, 12);
    expect(() => psnr(x, y, {} as never)).toThrow(/dataRange must be a finite number > 0, got undefined; pass the range of the signal explicitly/);
    expect(() => psnr(x, y, undefined as never)).toThrow(ValidationError);
    expect(() => psnr(x, y, { dataRange: 0 })).toThrow(/dataRange/);
    expect(() => ssim(x, y, { dataRange: -1 })).toThrow(/dataRange/);
    expect(() => ssim(x, y, { dataRange: NaN })).toThrow(/dataRange/);
    expect(() => psnr(x, y, { dataRange: 1, clip: [1, 0] })).toThrow(/clip/);
    const bad = createImage(1, 12, 12, Float64Array.from(y.data));
    bad.data[5] = NaN;
    expect(() => psnr(bad, x, { dataRange: 1 })).toThrow(/psnr estimate: entry 5 is NaN/);
    expect(() => ssim(x, bad, { dataRange: 1 })).toThrow(/ssim reference: entry 5 is NaN/);
    expect(() => mse(x, createImage(1, 12, 11))).toThrow(ShapeError);
    expect(() => psnr(x, createImage(1, 11, 12, new Float64Array(132)), { dataRange: 1 })).toThrow(/same shape/);
  });
});

describe('SSIM', () => {
  it('uses the constants of Wang et al. (2004)', () => {
    expect([SSIM_WINDOW, SSIM_SIGMA, ...SSIM_K]).toEqual([11, 1.5, 0.01, 0.03]);
  });

  it('is 1 for identical images and symmetric', () => {
    const [x, y] = pair(30, 26);
    expect(ssim(x, x, { dataRange: 1 })).toBeCloseTo(1, 14);
    expect(ssim(x, y, { dataRange: 1 })).toBeCloseTo(ssim(y, x, { dataRange: 1 }), 14);
  });

  it('matches an independent NumPy/SciPy computation (scikit-image convention) and a direct evaluation', () => {
    const [x, y] = pair(24, 20);
    expect(ssim(y, x, { dataRange: 1 })).toBeCloseTo(0.769250569025108, 12);
    expect(ssim(y, x, { dataRange: 2 })).toBeCloseTo(0.796464491447458, 12);
    const [a, b] = pair(17, 23);
    const rgbA = createImage(3, 17, 23, Float64Array.from({ length: 3 * 17 * 23 }, (_, k) => a.data[k % (17 * 23)]! * (1 - 0.1 * Math.floor(k / (17 * 23)))));
    const rgbB = createImage(3, 17, 23, Float64Array.from({ length: 3 * 17 * 23 }, (_, k) => b.data[k % (17 * 23)]!));
    expect(ssim(rgbA, rgbB, { dataRange: 1 })).toBeCloseTo(naiveSsim(rgbA, rgbB, 1), 12);
  });

  it('has the closed form (2ab + C1)/(a² + b² + C1) for constant images', () => {
    const a = createImage(1, 12, 12, undefined, 0.3);
    const b = createImage(1, 12, 12, undefined, 0.6);
    const C1 = 0.01 ** 2;
    expect(ssim(a, b, { dataRange: 1 })).toBeCloseTo((2 * 0.3 * 0.6 + C1) / (0.09 + 0.36 + C1), 12);
  });

  it('decreases as the noise grows', () => {
    const [x] = pair(40, 40);
    const values = [0.01, 0.05, 0.1, 0.2].map((sigma) => ssim(addGaussianNoise(x, { sigma, seed: 1 }), x, { dataRange: 1 }));
    for (let k = 1; k < values.length; k++) expect(values[k]).toBeLessThan(values[k - 1]!);
    expect(values[0]).toBeGreaterThan(0.9);
    expect(values[3]).toBeLessThan(0.7);
  });

  it('rejects images smaller than the window and bare vectors', () => {
    const s = createImage(1, 10, 30);
    expect(() => ssim(s, s, { dataRange: 1 })).toThrow(/10×30, smaller than the 11×11 window/);
    expect(() => ssim(new Float64Array(4) as never, s, { dataRange: 1 })).toThrow(/not bare vectors/);
  });
});

describe('psnrFromLoss', () => {
  it('is the PSNR of the squared-error loss, summed or mean over the pixels, and of the reconstructions it measures', () => {
    // ½‖e‖² = 0.5 over 100 pixels → MSE 0.01 → 20 dB
    expect(psnrFromLoss(0.5, 100, 'sum')).toBeCloseTo(20, 12);
    expect(psnrFromLoss(0.005, 100, 'mean')).toBeCloseTo(20, 12);
    expect(psnrFromLoss(0, 100, 'sum')).toBe(Infinity);
    const [x, y] = pair(12, 9);
    const loss = 0.5 * mse(x, y) * x.data.length;
    expect(psnrFromLoss(loss, x.data.length, 'sum')).toBeCloseTo(psnr(x, y, { dataRange: 1 }), 10);
  });
});
