import { describe, expect, it } from 'vitest';
import { amax, axpby, axpy, copy, dist2, dot, fill, nrm2, scal, sub, allFinite, subtractGroupMeans } from '@bilevel/core';

describe('blas', () => {
  const x = Float64Array.from([1, -2, 3, 4]);
  const y = Float64Array.from([0.5, 1, -1, 2]);
  it('dot, nrm2, dist2, amax', () => {
    expect(dot(4, x, y)).toBe(0.5 - 2 - 3 + 8);
    expect(nrm2(4, x)).toBeCloseTo(Math.sqrt(30), 15);
    expect(dist2(4, x, y)).toBeCloseTo(Math.sqrt(0.25 + 9 + 16 + 4), 14);
    expect(amax(4, x)).toBe(4);
    expect(dot(2, x, y)).toBe(0.5 - 2);
  });
  it('nrm2 neither overflows nor underflows', () => {
    expect(nrm2(2, Float64Array.from([3e200, 4e200]))).toBeCloseTo(5e200, -186);
    expect(nrm2(2, Float64Array.from([3e-200, 4e-200])) / 5e-200).toBeCloseTo(1, 14);
    expect(nrm2(3, new Float64Array(3))).toBe(0);
  });
  it('axpby, axpy, scal, copy, fill, sub respect n and aliasing', () => {
    const z = Float64Array.from(y);
    axpby(4, 2, x, -1, z);
    expect([...z]).toEqual([1.5, -5, 7, 6]);
    axpy(2, 1, x, z);
    expect([...z]).toEqual([2.5, -7, 7, 6]);
    scal(4, 2, z);
    expect([...z]).toEqual([5, -14, 14, 12]);
    copy(2, x, z);
    expect([...z]).toEqual([1, -2, 14, 12]);
    fill(3, 0, z);
    expect([...z]).toEqual([0, 0, 0, 12]);
    const w = Float64Array.from(x);
    sub(4, w, y, w);
    expect([...w]).toEqual([0.5, -3, 4, 2]);
    axpby(4, 1, w, 1, w);
    expect([...w]).toEqual([1, -6, 8, 4]);
    expect(allFinite(4, w)).toBe(true);
    w[2] = NaN;
    expect(allFinite(4, w)).toBe(false);
  });

  it('subtractGroupMeans centres each group in place and leaves the rest (the projection onto zero-mean groups)', () => {
    const x = Float64Array.from([9, 1, 2, 3, 10, 20, 30, 9]);
    subtractGroupMeans(x, 1, 2, 3);
    expect([...x]).toEqual([9, -1, 0, 1, -10, 0, 10, 9]);
    // a projection: idempotent, and the removed part is orthogonal to the result
    const y = Float64Array.from({ length: 12 }, (_, i) => Math.sin(3 * i) + i / 7);
    const p = subtractGroupMeans(Float64Array.from(y), 0, 3, 4);
    expect([...subtractGroupMeans(Float64Array.from(p), 0, 3, 4)].map((v, i) => v - p[i]!).every((d) => Math.abs(d) < 1e-15)).toBe(true);
    expect(Math.abs(dot(12, p, Float64Array.from(y, (v, i) => v - p[i]!)))).toBeLessThan(1e-14);
  });
});
