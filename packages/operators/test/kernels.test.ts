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
      motionKernel(4, 45),
      motionKernel(12, 200),
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

  it('motion blur is the exact pixel coverage of the segment (boxes, 45°, and a sampling oracle)', () => {
    // horizontal and vertical: odd length L → 1/L on L pixels; even L → [½, 1, …, 1, ½]/L on L + 1
    for (const L of [3, 5, 7, 9]) {
      const k = motionKernel(L, 0);
      expect(k.length).toBe(L * L);
      for (let b = 0; b < L; b++) expect(k[((L - 1) / 2) * L + b]).toBeCloseTo(1 / L, 15);
      const v = motionKernel(L, -90);
      for (let a = 0; a < L; a++) expect(v[a * L + (L - 1) / 2]).toBeCloseTo(1 / L, 15);
    }
    const even = motionKernel(4, 180);
    expect([...even.subarray(10, 15)].map((v) => v * 4)).toEqual([0.5, 1, 1, 1, 0.5].map((v) => expect.closeTo(v, 14)));
    // 45°, L = 3: √2 inside the centre pixel, (3 − √2)/2 in each diagonal neighbour, nothing else
    const d = motionKernel(3, 45);
    expect(d.length).toBe(9);
    expect(d[4]).toBeCloseTo(Math.SQRT2 / 3, 15);
    expect(d[2]).toBeCloseTo((3 - Math.SQRT2) / 6, 15); // up-right
    expect(d[6]).toBeCloseTo((3 - Math.SQRT2) / 6, 15); // down-left
    for (const q of [0, 1, 3, 5, 7, 8]) expect(d[q]).toBe(0); // corners touched only
    // any angle: 10⁶ midpoint samples of the segment, each counted in the pixel it falls in
    const N = 1_000_000;
    for (const [L, angle] of [[7, 30], [9.5, 117], [4, -20], [12, 200]] as const) {
      const k = motionKernel(L, angle);
      const s = Math.sqrt(k.length);
      const r = (s - 1) / 2;
      const th = (angle * Math.PI) / 180;
      expect(r).toBe(Math.ceil((L / 2) * Math.max(Math.abs(Math.cos(th)), Math.abs(Math.sin(th))) + 0.5) - 1);
      const count = new Float64Array(s * s);
      for (let n = 0; n < N; n++) {
        const t = -L / 2 + (L * (n + 0.5)) / N;
        const j = Math.round(t * Math.cos(th));
        const i = Math.round(-t * Math.sin(th));
        count[(i + r) * s + (j + r)]! += 1 / N;
      }
      for (let q = 0; q < k.length; q++) {
        expect(Math.abs(k[q]! - count[q]!)).toBeLessThan(1e-5);
        expect(k[q]).toBeCloseTo(k[k.length - 1 - q]!, 15); // centred: k[−q] = k[q]
      }
    }
  });

  it('reject bad sizes with messages naming the argument', () => {
    expect(() => gaussianKernel(4, 1)).toThrow(/size: must be an odd integer/);
    expect(() => gaussianKernel(5, 0)).toThrow(/sigma/);
    expect(() => boxKernel(0)).toThrow(/size/);
    expect(() => motionKernel(0.5, 0)).toThrow(/length/);
    expect(() => motionKernel(3, NaN)).toThrow(/angleDegrees/);
  });
});
