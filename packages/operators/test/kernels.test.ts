import { boxKernel, gaussianKernel, motionKernel } from '@bilevel/operators';
import { describe, expect, it } from 'vitest';

const total = (k: Float64Array): number => k.reduce((s, v) => s + v, 0);

describe('blur kernels', () => {
  it('sum to 1 and are non-negative', () => {
    const kernels = [
      gaussianKernel(1, 1),
      gaussianKernel(5, 1),
      gaussianKernel(9, 2.5),
      boxKernel(1),
      boxKernel(3),
      boxKernel(7),
      motionKernel(1, 0),
      motionKernel(5, 0),
      motionKernel(7, 30),
      motionKernel(9.5, 117),
      motionKernel(2, 45),
    ];
    for (const k of kernels) {
      expect(total(k)).toBeCloseTo(1, 14);
      for (const v of k) expect(v).toBeGreaterThanOrEqual(0);
      const s = Math.sqrt(k.length);
      expect(Number.isInteger(s) && s % 2 === 1).toBe(true);
    }
  });

  it('gaussian is separable, symmetric and peaked at the centre', () => {
    const k = gaussianKernel(5, 1);
    expect(k.length).toBe(25);
    const centre = k[12]!;
    expect(Math.max(...k)).toBe(centre);
    expect(k[12 + 1]! / centre).toBeCloseTo(Math.exp(-0.5), 14);
    expect(k[0]! / centre).toBeCloseTo(Math.exp(-2 * 2), 14);
    for (let a = 0; a < 5; a++) for (let b = 0; b < 5; b++) expect(k[a * 5 + b]).toBeCloseTo(k[b * 5 + a]!, 16);
  });

  it('box is uniform', () => {
    expect([...boxKernel(3)]).toEqual(new Array(9).fill(1 / 9));
  });

  it('motion blur follows its angle', () => {
    const row = motionKernel(5, 0); // 5×5, horizontal: only the middle row
    for (let a = 0; a < 5; a++) for (let b = 0; b < 5; b++) if (a !== 2) expect(row[a * 5 + b]).toBe(0);
    for (let b = 0; b < 5; b++) expect(row[2 * 5 + b]).toBeCloseTo(row[2 * 5 + 4 - b]!, 14);
    const col = motionKernel(5, 90); // vertical: only the middle column
    for (let a = 0; a < 5; a++) for (let b = 0; b < 5; b++) if (b !== 2) expect(col[a * 5 + b]).toBeCloseTo(0, 14);
    const diag = motionKernel(5, 45); // up to the right: rows grow downwards
    expect(diag[1 * 5 + 3]!).toBeGreaterThan(0.1);
    expect(diag[3 * 5 + 1]!).toBeGreaterThan(0.1);
    expect(diag[1 * 5 + 1]!).toBeCloseTo(0, 14);
    expect(motionKernel(1, 33)).toEqual(Float64Array.of(1));
    expect(motionKernel(6, 0).length).toBe(49); // support: smallest odd square holding the segment
  });

  it('reject bad sizes with messages naming the argument', () => {
    expect(() => gaussianKernel(4, 1)).toThrow(/size: must be an odd integer/);
    expect(() => gaussianKernel(5, 0)).toThrow(/sigma/);
    expect(() => boxKernel(0)).toThrow(/size/);
    expect(() => motionKernel(0.5, 0)).toThrow(/length/);
    expect(() => motionKernel(3, NaN)).toThrow(/angleDegrees/);
  });
});
