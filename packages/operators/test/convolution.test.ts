import { checkNorm, maxAbsDifference } from '@bilevel/core/testing';
import { dot, Rng } from '@bilevel/core';
import {
  boundaryIndex,
  BoundaryExtension,
  ConvFilterBank,
  Convolution2D,
  gaussianKernel,
  type ConvBoundary,
  type FilterBankBoundary,
} from '@bilevel/operators';
import { describe, expect, it } from 'vitest';

const BOUNDARIES: readonly ConvBoundary[] = ['zero', 'symmetric', 'reflect', 'periodic'];

/** Independent boundary rule: fold the index back step by step instead of using a period. */
function naiveIndex(a: number, n: number, boundary: ConvBoundary): number {
  if (boundary === 'zero') return a >= 0 && a < n ? a : -1;
  if (boundary === 'periodic') {
    while (a < 0) a += n;
    while (a >= n) a -= n;
    return a;
  }
  if (boundary === 'reflect' && n === 1) return 0;
  while (a < 0 || a >= n) {
    if (boundary === 'symmetric') a = a < 0 ? -a - 1 : 2 * n - 1 - a;
    else a = a < 0 ? -a : 2 * (n - 1) - a;
  }
  return a;
}

interface Geometry {
  ci: number;
  co: number;
  H: number;
  W: number;
  k: number;
  boundary: FilterBankBoundary;
}

/**
 * Output size and the offset of a window's first tap: `H×W` and `−r` with a boundary rule,
 * `(H − k + 1)×(W − k + 1)` and `0` for `valid` (windows inside the image only).
 */
function outputOf(g: Geometry): { OH: number; OW: number; shift: number } {
  return g.boundary === 'valid' ? { OH: g.H - g.k + 1, OW: g.W - g.k + 1, shift: 0 } : { OH: g.H, OW: g.W, shift: -(g.k - 1) / 2 };
}

/** The extended image x̃[i, y, x] by the naive rule (`valid` reads inside the image only). */
function xt(x: Float64Array, g: Geometry, i: number, y: number, xx: number): number {
  if (g.boundary === 'valid') {
    if (y < 0 || y >= g.H || xx < 0 || xx >= g.W) throw new Error('valid window outside the image');
    return x[(i * g.H + y) * g.W + xx]!;
  }
  const a = naiveIndex(y, g.H, g.boundary);
  const b = naiveIndex(xx, g.W, g.boundary);
  return a < 0 || b < 0 ? 0 : x[(i * g.H + a) * g.W + b]!;
}

/** (Kx)[o, p] = Σ_i Σ_q k[o, i, q] x̃[i, p + q] written as plainly as possible. */
function naiveApply(kernels: Float64Array, x: Float64Array, g: Geometry): Float64Array {
  const { OH, OW, shift } = outputOf(g);
  const out = new Float64Array(g.co * OH * OW);
  for (let o = 0; o < g.co; o++)
    for (let y = 0; y < OH; y++)
      for (let xx = 0; xx < OW; xx++) {
        let s = 0;
        for (let i = 0; i < g.ci; i++)
          for (let a = 0; a < g.k; a++)
            for (let b = 0; b < g.k; b++) s += kernels[((o * g.ci + i) * g.k + a) * g.k + b]! * xt(x, g, i, y + a + shift, xx + b + shift);
        out[(o * OH + y) * OW + xx] = s;
      }
  return out;
}

/** Kᵀy through the dense matrix of the naive operator (columns = images of unit vectors). */
function naiveAdjoint(kernels: Float64Array, y: Float64Array, g: Geometry): Float64Array {
  const n = g.ci * g.H * g.W;
  const out = new Float64Array(n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    e.fill(0);
    e[j] = 1;
    out[j] = dot(y.length, naiveApply(kernels, e, g), y);
  }
  return out;
}

/** ∂⟨Kx, y⟩/∂k[o, i, a, b] = Σ_p y[o, p] x̃[i, p + q]. */
function naiveGrad(x: Float64Array, y: Float64Array, g: Geometry): Float64Array {
  const { OH, OW, shift } = outputOf(g);
  const grad = new Float64Array(g.co * g.ci * g.k * g.k);
  for (let o = 0; o < g.co; o++)
    for (let i = 0; i < g.ci; i++)
      for (let a = 0; a < g.k; a++)
        for (let b = 0; b < g.k; b++) {
          let s = 0;
          for (let yy = 0; yy < OH; yy++)
            for (let xx = 0; xx < OW; xx++) s += y[(o * OH + yy) * OW + xx]! * xt(x, g, i, yy + a + shift, xx + b + shift);
          grad[((o * g.ci + i) * g.k + a) * g.k + b] = s;
        }
  return grad;
}


describe('boundary rules', () => {
  it('follow numpy.pad on [1, 2, 3] padded by 2', () => {
    const padded = (boundary: ConvBoundary) => [-2, -1, 0, 1, 2, 3, 4].map((a) => {
      const s = boundaryIndex(a, 3, boundary);
      return s < 0 ? 0 : [1, 2, 3][s];
    });
    expect(padded('symmetric')).toEqual([2, 1, 1, 2, 3, 3, 2]);
    expect(padded('reflect')).toEqual([3, 2, 1, 2, 3, 2, 1]);
    expect(padded('periodic')).toEqual([2, 3, 1, 2, 3, 1, 2]);
    expect(padded('zero')).toEqual([0, 0, 1, 2, 3, 0, 0]);
  });

  it('follow numpy.pad for pads wider than the image (numpy 1.x output, pad 7)', () => {
    const padded = (boundary: ConvBoundary) => Array.from({ length: 17 }, (_, k) => [1, 2, 3][boundaryIndex(k - 7, 3, boundary)]);
    expect(padded('reflect')).toEqual([2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2]);
    expect(padded('symmetric')).toEqual([1, 1, 2, 3, 3, 2, 1, 1, 2, 3, 3, 2, 1, 1, 2, 3, 3]);
    expect(padded('periodic')).toEqual([3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1]);
    expect(Array.from({ length: 7 }, (_, k) => boundaryIndex(k - 3, 1, 'reflect'))).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('agree with the step-by-step reflection for wide pads', () => {
    for (const boundary of BOUNDARIES)
      for (const n of [1, 2, 3, 5])
        for (let a = -13; a < n + 13; a++) expect(boundaryIndex(a, n, boundary)).toBe(naiveIndex(a, n, boundary));
  });

  it('are what a shifted delta kernel reads at the image border', () => {
    // (Kx)[p] = x̃[p + q] for a delta at offset q = (0, −2) and (0, +2), on the 1×3 image [1, 2, 3]
    const x = Float64Array.of(1, 2, 3);
    const shifted = (boundary: ConvBoundary, col: number) => {
      const kernels = new Float64Array(25);
      kernels[2 * 5 + col] = 1;
      const K = new ConvFilterBank({ inChannels: 1, outChannels: 1, height: 1, width: 3, kernelSize: 5, boundary, kernels });
      return [...K.apply(x, new Float64Array(3))];
    };
    expect(shifted('symmetric', 0)).toEqual([2, 1, 1]);
    expect(shifted('symmetric', 4)).toEqual([3, 3, 2]);
    expect(shifted('reflect', 0)).toEqual([3, 2, 1]);
    expect(shifted('reflect', 4)).toEqual([3, 2, 1]);
    expect(shifted('periodic', 0)).toEqual([2, 3, 1]);
    expect(shifted('zero', 4)).toEqual([3, 0, 0]);
  });
});

describe('BoundaryExtension', () => {
  const cases = BOUNDARIES.flatMap((boundary) => [[5, 7, 2, 3], [4, 4, 1, 1], [3, 2, 4, 5], [1, 6, 0, 2], [6, 1, 3, 0]].map(([H, W, rh, rw]) => ({ boundary, H: H!, W: W!, rh: rh!, rw: rw! })));

  it('extend, pad, fold and foldMargins against the index maps (at offsets, over garbage), bit for bit', () => {
    const rng = Rng.seeded(21);
    for (const { boundary, H, W, rh, rw } of cases) {
      const what = `${boundary} ${H}×${W} pad ${rh},${rw}`;
      const E = new BoundaryExtension(H, W, rh, rw, boundary);
      const [PH, PW] = [E.paddedHeight, E.paddedWidth];
      const source = (a: number, b: number): number => {
        const [i, j] = [boundaryIndex(a - rh, H, boundary), boundaryIndex(b - rw, W, boundary)];
        return i < 0 || j < 0 ? -1 : i * W + j;
      };
      const x = rng.normalVec(H * W + 3);
      const expected = Array.from({ length: PH * PW }, (_, q) => {
        const p = source(Math.floor(q / PW), q % PW);
        return p < 0 ? 0 : x[3 + p]!;
      });
      const full = rng.normalVec(PH * PW + 2);
      E.extend(x, 3, full, 2);
      expect([...full.subarray(2)], `extend ${what}`).toEqual(expected);
      // pad completes an array whose interior holds x
      const part = rng.normalVec(PH * PW + 2);
      for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) part[2 + (i + rh) * PW + rw + j] = x[3 + i * W + j]!;
      E.pad(part, 2);
      expect([...part.subarray(2)], `pad ${what}`).toEqual(expected);
      // Eᵀz: every padded value added onto its source, pad rows first, then pad columns, in index order
      const z = rng.normalVec(PH * PW + 1);
      const adjoint = new Float64Array(H * W);
      const order = (q: number): number => {
        const [a, b] = [Math.floor(q / PW), q % PW];
        const padRow = a < rh || a >= rh + H;
        const padCol = b < rw || b >= rw + W;
        return padRow ? 1 : padCol ? 2 : 0;
      };
      // the interior first, then the pad rows' values (each row onto the row it copies, whole), then the pad columns'
      const rows = new Float64Array(z.subarray(1));
      for (let a = 0; a < PH; a++) {
        if (a >= rh && a < rh + H) continue;
        const i = boundaryIndex(a - rh, H, boundary);
        if (i >= 0) for (let b = 0; b < PW; b++) rows[(i + rh) * PW + b] = rows[(i + rh) * PW + b]! + z[1 + a * PW + b]!;
      }
      for (let q = 0; q < PH * PW; q++) {
        if (order(q) !== 0) continue;
        adjoint[source(Math.floor(q / PW), q % PW)] = rows[q]!;
      }
      for (let q = 0; q < PH * PW; q++) {
        const [a, b] = [Math.floor(q / PW), q % PW];
        if (order(q) !== 2 || a < rh || a >= rh + H) continue;
        const p = source(a, b);
        if (p >= 0) adjoint[p] = adjoint[p]! + rows[q]!;
      }
      const out = new Float64Array(H * W);
      E.fold(Float64Array.from(z), 1, out, 0);
      expect([...out], `fold ${what}`).toEqual([...adjoint]);
      const w = Float64Array.from(z);
      E.foldMargins(w, 1);
      expect(Array.from({ length: H * W }, (_, p) => w[1 + (Math.floor(p / W) + rh) * PW + rw + (p % W)]), `foldMargins ${what}`).toEqual([...adjoint]);
      // and Eᵀ is the adjoint of E
      expect(dot(PH * PW, Float64Array.from(expected), z.subarray(1))).toBeCloseTo(dot(H * W, x.subarray(3), out), 10);
    }
  });
});

describe('ConvFilterBank against a naive reference', () => {
  const geometries: Geometry[] = [];
  for (const boundary of BOUNDARIES) {
    geometries.push(
      { ci: 1, co: 3, H: 5, W: 6, k: 3, boundary },
      { ci: 2, co: 2, H: 4, W: 7, k: 5, boundary },
      { ci: 3, co: 1, H: 6, W: 5, k: 7, boundary },
      { ci: 1, co: 2, H: 2, W: 3, k: 9, boundary },
      { ci: 2, co: 3, H: 3, W: 3, k: 1, boundary },
    );
  }
  geometries.push(
    { ci: 1, co: 3, H: 5, W: 6, k: 3, boundary: 'valid' },
    { ci: 2, co: 2, H: 6, W: 7, k: 5, boundary: 'valid' },
    { ci: 3, co: 1, H: 9, W: 8, k: 7, boundary: 'valid' },
    { ci: 1, co: 2, H: 9, W: 9, k: 9, boundary: 'valid' },
    { ci: 2, co: 3, H: 3, W: 4, k: 1, boundary: 'valid' },
  );
  for (const g of geometries) {
    for (const backend of ['js', 'wasm'] as const) {
      it(`${backend} ${g.boundary} ${g.ci}→${g.co} ${g.H}×${g.W} k=${g.k}: apply, adjoint, paramVjp`, () => {
        const r = Rng.seeded(g.H * 31 + g.k);
        const kernels = r.normalVec(g.co * g.ci * g.k * g.k);
        const K = new ConvFilterBank({ inChannels: g.ci, outChannels: g.co, height: g.H, width: g.W, kernelSize: g.k, boundary: g.boundary, kernels, backend });
        const { OH, OW } = outputOf(g);
        expect(K.range).toEqual([g.co, OH, OW]);
        const x = r.normalVec(g.ci * g.H * g.W);
        const y = r.normalVec(g.co * OH * OW);
        expect(maxAbsDifference(K.apply(x, new Float64Array(y.length)), naiveApply(kernels, x, g))).toBeLessThan(1e-12);
        expect(maxAbsDifference(K.adjoint(y, new Float64Array(x.length)), naiveAdjoint(kernels, y, g))).toBeLessThan(1e-12);
        const grad = new Float64Array(kernels.length);
        K.paramVjp(x, y, grad, 1);
        expect(maxAbsDifference(grad, naiveGrad(x, y, g))).toBeLessThan(1e-11);
      });
    }
  }

  it('valid: a delta kernel crops, and the adjoint puts the crop back between zeros', () => {
    // offset (a, b) = (2, 0) of a 3×3 kernel: (Kx)[p] = x[p + (2, 0)] on the (H − 2)×(W − 2) outputs
    const kernels = new Float64Array(9);
    kernels[2 * 3] = 1;
    const K = new ConvFilterBank({ inChannels: 1, outChannels: 1, height: 4, width: 5, kernelSize: 3, boundary: 'valid', kernels });
    const x = Float64Array.from({ length: 20 }, (_, i) => i + 1);
    expect([...K.apply(x, new Float64Array(6))]).toEqual([11, 12, 13, 16, 17, 18]);
    expect([...K.adjoint(Float64Array.of(1, 2, 3, 4, 5, 6), new Float64Array(20))]).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 4, 5, 6, 0, 0,
    ]);
    expect(K.paramVjpBound()).toBe(3);
  });

  it("valid needs the kernel to fit in the image and says so", () => {
    expect(() => new ConvFilterBank({ inChannels: 1, outChannels: 1, height: 4, width: 9, kernelSize: 5, boundary: 'valid' })).toThrow(
      /boundary: boundary 'valid' has no output pixel: height and width must be ≥ kernelSize/,
    );
  });

  it('allows out to alias the input when C_in = C_out (both backends, also valid with k = 1)', () => {
    for (const backend of ['js', 'wasm'] as const) {
      for (const [boundary, k] of [['reflect', 3], ['zero', 3], ['valid', 1]] as const) {
        const K = new ConvFilterBank({ inChannels: 2, outChannels: 2, height: 5, width: 4, kernelSize: k, boundary, kernels: Rng.seeded(1).normalVec(4 * k * k), backend });
        const x = Rng.seeded(2).normalVec(40);
        const expected = K.apply(x, new Float64Array(40));
        const inPlace = Float64Array.from(x);
        K.apply(inPlace, inPlace);
        expect(maxAbsDifference(inPlace, expected)).toBe(0);
        const adj = K.adjoint(x, new Float64Array(40));
        const inPlace2 = Float64Array.from(x);
        K.adjoint(inPlace2, inPlace2);
        expect(maxAbsDifference(inPlace2, adj)).toBe(0);
      }
    }
  });

  it('norm bound holds for mirror boundaries, which can exceed Σ|k| (zero/periodic cannot)', () => {
    // a single positive tap off-centre: mirror boundaries read the edge pixel twice
    const kernels = new Float64Array(9);
    kernels[0] = 1; // offset (−1, −1)
    for (const boundary of BOUNDARIES) {
      const K = new ConvFilterBank({ inChannels: 1, outChannels: 1, height: 4, width: 5, kernelSize: 3, boundary, kernels });
      const c = checkNorm(K);
      expect(c.pass).toBe(true);
      if (boundary === 'zero' || boundary === 'periodic') expect(K.norm().value).toBeCloseTo(1, 14);
      else expect(c.reference).toBeGreaterThan(1.2); // the corner pixel is read up to 4 times
    }
  });

  it('the cached norm belongs to the current θ: setParams with another θ or a write into params recomputes it, the same θ keeps it', () => {
    const K = new ConvFilterBank({ inChannels: 1, outChannels: 1, height: 4, width: 4, kernelSize: 3, boundary: 'periodic', kernels: gaussianKernel(3, 1) });
    const first = K.norm();
    expect(first.value).toBeCloseTo(1, 14);
    K.setParams(gaussianKernel(3, 1));
    expect(K.norm()).toBe(first);
    K.setParams(gaussianKernel(3, 1).map((v) => 3 * v));
    expect(K.norm().value).toBeCloseTo(3, 14);
    K.params.set(gaussianKernel(3, 1).map((v) => 2 * v));
    expect(K.norm().value).toBeCloseTo(2, 14);
  });
});

describe('Convolution2D', () => {
  it('equals a one-channel filter bank applied to each channel', () => {
    const kernel = Rng.seeded(5).normalVec(25);
    for (const boundary of BOUNDARIES) {
      const C = new Convolution2D({ channels: 3, height: 6, width: 4, kernel, boundary });
      // the JavaScript loops of the bank: the same engine, so the same sums exactly
      const K = new ConvFilterBank({ inChannels: 1, outChannels: 1, height: 6, width: 4, kernelSize: 5, boundary, kernels: kernel, backend: 'js' });
      const x = Rng.seeded(6).normalVec(72);
      const cx = C.apply(x, new Float64Array(72));
      const cty = C.adjoint(x, new Float64Array(72));
      for (let c = 0; c < 3; c++) {
        const xc = x.subarray(c * 24, (c + 1) * 24);
        expect(maxAbsDifference(cx.subarray(c * 24, (c + 1) * 24), K.apply(xc, new Float64Array(24)))).toBe(0);
        expect(maxAbsDifference(cty.subarray(c * 24, (c + 1) * 24), K.adjoint(xc, new Float64Array(24)))).toBe(0);
      }
    }
  });

  it('handles rectangular kernels (kh ≠ kw) like the naive reference', () => {
    const kernel = Rng.seeded(7).normalVec(15); // 3 rows × 5 columns
    const C = new Convolution2D({ channels: 1, height: 4, width: 6, kernel, kernelSize: [3, 5], boundary: 'symmetric' });
    const x = Rng.seeded(8).normalVec(24);
    const out = C.apply(x, new Float64Array(24));
    for (let y = 0; y < 4; y++)
      for (let xx = 0; xx < 6; xx++) {
        let s = 0;
        for (let a = 0; a < 3; a++)
          for (let b = 0; b < 5; b++) {
            const i = naiveIndex(y + a - 1, 4, 'symmetric');
            const j = naiveIndex(xx + b - 2, 6, 'symmetric');
            s += kernel[a * 5 + b]! * x[i * 6 + j]!;
          }
        expect(out[y * 6 + xx]).toBeCloseTo(s, 13);
      }
  });

  it('preserves constants with a normalised blur and a mirror or periodic boundary', () => {
    for (const boundary of ['symmetric', 'reflect', 'periodic'] as const) {
      const C = new Convolution2D({ channels: 2, height: 5, width: 7, kernel: gaussianKernel(5, 1.2), boundary });
      const out = C.apply(new Float64Array(70).fill(2), new Float64Array(70));
      for (const v of out) expect(v).toBeCloseTo(2, 13);
    }
  });
});
