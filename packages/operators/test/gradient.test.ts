import { powerIteration, Rng } from '@bilevel/core';
import { Gradient2D } from '@bilevel/operators';
import { describe, expect, it } from 'vitest';

// x = [[1, 2, 4], [7, 11, 16]] (one channel, H = 2, W = 3)
const x = Float64Array.of(1, 2, 4, 7, 11, 16);

describe('Gradient2D', () => {
  it('matches a hand-computed example (Neumann: last difference 0)', () => {
    const D = new Gradient2D({ channels: 1, height: 2, width: 3 });
    expect(D.range).toEqual([2, 1, 2, 3]);
    const g = D.apply(x, new Float64Array(12));
    // x-differences (along the width), then y-differences (along the height)
    expect([...g.subarray(0, 6)]).toEqual([1, 2, 0, 4, 5, 0]);
    expect([...g.subarray(6)]).toEqual([6, 9, 12, 0, 0, 0]);
  });

  it('matches a hand-computed example (periodic: wraps around)', () => {
    const D = new Gradient2D({ channels: 1, height: 2, width: 3, boundary: 'periodic' });
    const g = D.apply(x, new Float64Array(12));
    expect([...g.subarray(0, 6)]).toEqual([1, 2, -3, 4, 5, -9]);
    expect([...g.subarray(6)]).toEqual([6, 9, 12, -6, -9, -12]);
  });

  it('differentiates each channel independently', () => {
    const D = new Gradient2D({ channels: 2, height: 2, width: 3 });
    const two = new Float64Array(12);
    two.set(x, 0);
    two.set(x.map((v) => -2 * v), 6);
    const g = D.apply(two, new Float64Array(24));
    // layout [2, C, H, W]: x-block channel 0, x-block channel 1, y-block channel 0, y-block channel 1
    expect([...g.subarray(0, 6)]).toEqual([1, 2, 0, 4, 5, 0]);
    expect([...g.subarray(6, 12)]).toEqual([-2, -4, 0, -8, -10, 0]);
    expect([...g.subarray(12, 18)]).toEqual([6, 9, 12, 0, 0, 0]);
    expect([...g.subarray(18, 24)]).toEqual([-12, -18, -24, 0, 0, 0]);
  });

  it('Neumann adjoint equals minus the divergence of Chambolle (2004)', () => {
    const H = 5;
    const W = 7;
    const C = 2;
    const D = new Gradient2D({ channels: C, height: H, width: W });
    const p = Rng.seeded(4).normalVec(2 * C * H * W);
    const adj = D.adjoint(p, new Float64Array(C * H * W));
    const N = C * H * W;
    const p1 = (c: number, i: number, j: number) => p[c * H * W + i * W + j]!;
    const p2 = (c: number, i: number, j: number) => p[N + c * H * W + i * W + j]!;
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < W; j++) {
          const dx = j === 0 ? p1(c, i, 0) : j === W - 1 ? -p1(c, i, W - 2) : p1(c, i, j) - p1(c, i, j - 1);
          const dy = i === 0 ? p2(c, 0, j) : i === H - 1 ? -p2(c, H - 2, j) : p2(c, i, j) - p2(c, i - 1, j);
          expect(adj[c * H * W + i * W + j]).toBeCloseTo(-(dx + dy), 14);
        }
      }
    }
  });

  it('reports the exact norm, at most √8', () => {
    for (const boundary of ['neumann', 'periodic'] as const) {
      for (const [H, W] of [[8, 8], [5, 9], [16, 3]] as const) {
        const D = new Gradient2D({ channels: 1, height: H, width: W, boundary });
        const n = D.norm();
        expect(n.kind).toBe('exact');
        // Neumann: strictly below √8; periodic: √8 exactly when both sizes are even
        if (boundary === 'neumann') expect(n.value).toBeLessThan(Math.sqrt(8));
        else expect(n.value).toBeLessThanOrEqual(Math.sqrt(8) * (1 + 1e-15));
        const ref = powerIteration(D, { maxIter: 20000, rtol: 1e-14 }).value;
        expect(Math.abs(n.value - ref)).toBeLessThan(1e-7);
      }
    }
    // even periodic sizes attain √8 exactly
    expect(new Gradient2D({ channels: 1, height: 4, width: 6, boundary: 'periodic' }).norm().value).toBeCloseTo(Math.sqrt(8), 15);
  });
});
