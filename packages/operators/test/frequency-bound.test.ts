import { describe, expect, it } from 'vitest';
import { Rng, powerIteration } from '@bilevel/core';
import { ConvFilterBank, type FilterBankBoundary } from '@bilevel/operators';
import { extensionNormSquared, frequencyResponseSup, gridMaxSquared, type KernelBank } from '../src/frequency-bound.js';

const BOUNDARIES: readonly FilterBankBoundary[] = ['zero', 'valid', 'periodic', 'symmetric', 'reflect'];

/** `‖K‖` from below: the power iteration's `√‖KᵀKx‖` for unit `x` never exceeds it. */
const fromBelow = (K: ConvFilterBank): number => powerIteration(K, { seed: 3, maxIter: 4000, rtol: 1e-13 }).value;

/** `sup_ω σ_max(K̂(ω))` of a one-input bank on a fine grid (brute force, from below). */
function fineSup(bank: KernelBank, M: number): number {
  const r1 = (bank.kh - 1) / 2;
  const r2 = (bank.kw - 1) / 2;
  let best = 0;
  for (let a = 0; a < M; a++) {
    for (let b = 0; b < M; b++) {
      let s = 0;
      for (let o = 0; o < bank.cout; o++) {
        let re = 0;
        let im = 0;
        for (let p = 0; p < bank.kh; p++) {
          for (let q = 0; q < bank.kw; q++) {
            const phase = (2 * Math.PI * (a * (p - r1))) / M + (2 * Math.PI * (b * (q - r2))) / M;
            const v = bank.kernels[(o * bank.kh + p) * bank.kw + q]!;
            re += v * Math.cos(phase);
            im -= v * Math.sin(phase);
          }
        }
        s += re * re + im * im;
      }
      best = Math.max(best, s);
    }
  }
  return Math.sqrt(best);
}

describe('frequency-response norm bound of ConvFilterBank', () => {
  it('lies between the power iteration and the Schur bound on random banks, sizes and boundaries', () => {
    const rng = Rng.seeded(11);
    const cases = [
      { cout: 4, cin: 1, k: 3, H: 12, W: 9 },
      { cout: 5, cin: 1, k: 7, H: 15, W: 16 },
      { cout: 3, cin: 2, k: 5, H: 9, W: 11 },
      { cout: 2, cin: 3, k: 3, H: 7, W: 8 },
      { cout: 3, cin: 9, k: 3, H: 6, W: 7 },
      { cout: 2, cin: 2, k: 1, H: 5, W: 5 },
      { cout: 1, cin: 1, k: 5, H: 3, W: 4 },
    ];
    let tighter = 0;
    for (const c of cases) {
      for (let trial = 0; trial < 3; trial++) {
        const kernels = rng.normalVec(c.cout * c.cin * c.k * c.k);
        // sparse and one-signed banks too: the bound must hold whatever the kernels
        if (trial === 1) for (let t = 0; t < kernels.length; t++) if (t % 3 !== 0) kernels[t] = 0;
        if (trial === 2) for (let t = 0; t < kernels.length; t++) kernels[t] = Math.abs(kernels[t]!);
        for (const boundary of BOUNDARIES) {
          if (boundary === 'valid' && (c.H < c.k || c.W < c.k)) continue;
          const K = new ConvFilterBank({ inChannels: c.cin, outChannels: c.cout, height: c.H, width: c.W, kernelSize: c.k, boundary, kernels });
          const bound = K.norm().value;
          expect(K.norm().kind).toBe('upper-bound');
          const what = `${c.cout}×${c.cin}×${c.k}×${c.k} on ${c.H}×${c.W}, ${boundary}, trial ${trial}`;
          expect(bound, what).toBeGreaterThanOrEqual(fromBelow(K));
          expect(bound, what).toBeLessThanOrEqual(K.schurBound());
          if (bound < 0.9 * K.schurBound()) tighter++;
        }
      }
    }
    expect(tighter).toBeGreaterThan(40);
  });

  it('is the norm for periodic boundaries and within 4 % of it for zero and valid ones on 64² images', () => {
    const rng = Rng.seeded(12);
    for (const k of [3, 5, 7]) {
      const kernels = rng.normalVec(6 * k * k);
      const periodic = new ConvFilterBank({ inChannels: 1, outChannels: 6, height: 16, width: 18, kernelSize: k, boundary: 'periodic', kernels });
      expect(periodic.norm().value / fromBelow(periodic)).toBeCloseTo(1, 6);
      for (const boundary of ['zero', 'valid'] as const) {
        const K = new ConvFilterBank({ inChannels: 1, outChannels: 6, height: 64, width: 64, kernelSize: k, boundary, kernels });
        const ratio = K.norm().value / powerIteration(K, { seed: 3, maxIter: 1500, rtol: 1e-10 }).value;
        expect(ratio).toBeGreaterThanOrEqual(1);
        expect(ratio).toBeLessThan(1.04);
      }
    }
  });

  it('on known norms: the identity, forward differences, a bank of four 3×3 filters', () => {
    const delta = new Float64Array(9);
    delta[4] = 1;
    const id = new ConvFilterBank({ inChannels: 1, outChannels: 1, height: 8, width: 8, kernelSize: 3, boundary: 'zero', kernels: delta });
    expect(id.norm().value).toBeGreaterThanOrEqual(1);
    expect(id.norm().value).toBeLessThan(1.03);
    // forward differences x[i, j+1] − x[i, j] and x[i+1, j] − x[i, j]: ‖∇‖ = √8 on even periodic grids
    const grad = new Float64Array(18);
    grad[4] = -1;
    grad[5] = 1;
    grad[9 + 4] = -1;
    grad[9 + 7] = 1;
    const periodic = new ConvFilterBank({ inChannels: 1, outChannels: 2, height: 10, width: 12, kernelSize: 3, boundary: 'periodic', kernels: grad });
    expect(periodic.norm().value).toBeCloseTo(Math.sqrt(8), 10);
    const zero = new ConvFilterBank({ inChannels: 1, outChannels: 2, height: 40, width: 40, kernelSize: 3, boundary: 'zero', kernels: grad });
    expect(zero.norm().value).toBeGreaterThanOrEqual(fromBelow(zero));
    expect(zero.norm().value).toBeLessThan(1.03 * Math.sqrt(8));
    // four zero-mean 3×3 filters: the Schur test ignores their cancellations
    const bank = Rng.seeded(4).normalVec(36);
    for (let f = 0; f < 4; f++) {
      let mean = 0;
      for (let t = 0; t < 9; t++) mean += bank[9 * f + t]! / 9;
      for (let t = 0; t < 9; t++) bank[9 * f + t] = 0.1 * (bank[9 * f + t]! - mean);
    }
    const four = new ConvFilterBank({ inChannels: 1, outChannels: 4, height: 64, width: 64, kernelSize: 3, boundary: 'zero', kernels: bank });
    const exact = fromBelow(four);
    expect(four.norm().value / exact).toBeLessThan(1.03);
    expect(four.schurBound() / exact).toBeGreaterThan(1.5);
  });

  it('mirror boundaries: ‖E‖ times the supremum, or the stacked bound of difference filters next to small ones', () => {
    expect(extensionNormSquared(32, 32, 3, 3, 'reflect')).toBe(4);
    expect(extensionNormSquared(32, 32, 3, 3, 'symmetric')).toBe(4);
    expect(extensionNormSquared(32, 32, 3, 3, 'zero')).toBe(1);
    expect(extensionNormSquared(2, 1, 3, 0, 'symmetric')).toBe(4); // pads wider than the image repeat the pattern
    // the start of the bundled FoE: two forward differences (0.08) and 22 small zero-mean filters
    const per = 49;
    const kernels = Rng.seeded(31).normalVec(24 * per).map((v) => 0.005 * 0.04 * v);
    for (let f = 0; f < 24; f++) {
      let mean = 0;
      for (let t = 0; t < per; t++) mean += kernels[f * per + t]! / per;
      for (let t = 0; t < per; t++) kernels[f * per + t] = kernels[f * per + t]! - mean;
    }
    for (let f = 0; f < 2; f++) {
      kernels.fill(0, f * per, (f + 1) * per);
      kernels[f * per + 24] = -0.08;
      kernels[f * per + 24 + (f === 0 ? 1 : 7)] = 0.08;
    }
    for (const boundary of ['reflect', 'symmetric'] as const) {
      const K = new ConvFilterBank({ inChannels: 1, outChannels: 24, height: 32, width: 32, kernelSize: 7, boundary, kernels });
      const bound = K.norm().value;
      expect(bound).toBeGreaterThanOrEqual(fromBelow(K));
      expect(bound).toBeLessThan(0.9 * K.schurBound());
      const sup = frequencyResponseSup({ kernels, cin: 1, cout: 24, kh: 7, kw: 7 });
      expect(bound).toBeLessThan(2 * sup);
    }
  });

  it('the grid bound covers the supremum between grid points, within 2.6 %', () => {
    const rng = Rng.seeded(13);
    for (const [kh, kw] of [[3, 3], [5, 3], [7, 7], [1, 5]] as const) {
      const bank: KernelBank = { kernels: rng.normalVec(3 * kh * kw), cin: 1, cout: 3, kh, kw };
      const fine = fineSup(bank, 256);
      const bound = frequencyResponseSup(bank);
      expect(bound).toBeGreaterThanOrEqual(fine);
      expect(bound).toBeLessThan(1.027 * fine);
    }
    // one input channel: the grid value is Σ_o|k̂_o|², at ω = 0 the squared sums of the kernels
    const ones: KernelBank = { kernels: new Float64Array(18).fill(1), cin: 1, cout: 2, kh: 3, kw: 3 };
    expect(gridMaxSquared(ones, 1, 1)).toBeCloseTo(2 * 81, 9);
  });
});
