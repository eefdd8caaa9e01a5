/**
 * Every gpu.js primitive against its float64 oracle — `Gradient2D` and `ConvFilterBank` of
 * `@bilevel/operators`, `QuadraticFidelity` and `HuberConjugate` of `@bilevel/prox`, float64 loops
 * for axpby and the reductions — on seeded random inputs, in every gpu.js mode that runs on a CPU
 * (`cpu`, and `webasm` where WebAssembly exists), with the float32 tolerance tiers of the README.
 * One backend per mode per file: kernels compile once.
 */
import { Rng, type Vec } from '@bilevel/core';
import { GpuJsBackend, availableModes, type FilterBank, type GpuJsMode, type Grid, type HuberConjOptions } from '@bilevel/kernels';
import { ConvFilterBank, Gradient2D } from '@bilevel/operators';
import { HuberConjugate, QuadraticFidelity } from '@bilevel/prox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectGradientIntoOut, infNorm, maxScaledError, randomBank } from './helpers.js';

/** Float32 tolerance tiers (README): each error is divided by the scale named in the test. */
const TIER = {
  /** elementwise maps: relative to the magnitude of the terms of each entry */
  elementwise: 1e-6,
  /** forward differences / divergence: relative to ‖input‖∞ */
  stencil: 1e-6,
  /** filter bank and its adjoint: relative to ‖k‖₁·‖input‖∞ */
  convolution: 1e-6,
  /** parameter correlation: relative to ‖y_c‖₁·‖x‖∞ per tap */
  correlation: 1e-6,
  /** tree reductions: relative to Σ|x_i y_i| */
  reduction: 1e-6,
} as const;

/** The float64 oracles of the primitives. */
const ref = {
  gradient: (x: Vec, g: Grid): Vec => new Gradient2D({ channels: 1, ...g }).apply(x, new Float64Array(2 * x.length)),
  divergence: (p: Vec, g: Grid): Vec => new Gradient2D({ channels: 1, ...g }).adjoint(p, new Float64Array(p.length / 2)).map((v) => -v),
  bank: (g: Grid, b: Required<FilterBank>): ConvFilterBank =>
    new ConvFilterBank({ inChannels: 1, outChannels: b.count, ...g, kernelSize: b.kernelSize, boundary: b.boundary, kernels: b.kernels }),
  filterApply: (x: Vec, g: Grid, b: Required<FilterBank>): Vec => ref.bank(g, b).apply(x, new Float64Array(b.count * x.length)),
  filterAdjoint: (y: Vec, g: Grid, b: Required<FilterBank>): Vec => ref.bank(g, b).adjoint(y, new Float64Array(y.length / b.count)),
  filterParamGrad: (x: Vec, y: Vec, g: Grid, b: Required<FilterBank>): Vec => {
    const out = new Float64Array(b.kernels.length);
    ref.bank(g, b).paramVjp(x, y, out);
    return out;
  },
  proxQuadratic: (v: Vec, b: Vec, tau: number): Vec => new QuadraticFidelity({ shape: [v.length], data: b }).prox(v, tau, new Float64Array(v.length)),
  proxQuadraticJvp: (dv: Vec, tau: number): Vec => new QuadraticFidelity({ shape: [dv.length], data: new Float64Array(dv.length) }).proxJvp(dv, tau, dv, new Float64Array(dv.length)),
  huber: (o: HuberConjOptions, len: number): HuberConjugate =>
    new HuberConjugate({ shape: [o.channels, len / o.channels], groupSize: o.isotropic ? o.channels : 1, alpha: o.alpha, epsilon: o.epsilon }),
  proxHuberConj: (w: Vec, o: HuberConjOptions): Vec => ref.huber(o, w.length).prox(w, o.sigma, new Float64Array(w.length)),
  proxHuberConjJvp: (w: Vec, dw: Vec, o: HuberConjOptions): Vec => ref.huber(o, w.length).proxJvp(w, o.sigma, dw, new Float64Array(w.length)),
  axpby: (a: number, x: Vec, b: number, y: Vec): Vec => x.map((v, i) => a * v + b * y[i]!),
  dot: (x: Vec, y: Vec): number => x.reduce((s, v, i) => s + v * y[i]!, 0),
};

const cpuModes = (await availableModes()).filter((m): m is GpuJsMode => m === 'cpu' || m === 'webasm');
const H = 23;
const W = 31;
const n = H * W;
const grid = { height: H, width: W };

describe.each(cpuModes)('gpu.js %s kernels vs the float64 reference', (mode) => {
  let b: GpuJsBackend;
  const rng = Rng.seeded(11);
  beforeAll(async () => {
    b = await GpuJsBackend.create({ mode });
  });
  afterAll(async () => {
    await b.dispose();
  });

  it('reports its mode and precision', () => {
    expect(b.mode).toBe(mode);
    expect(b.chosenMode).toBe(mode);
    expect(b.precision).toBe('float32');
  });

  it(`gradient and divergence (stencil tier ${TIER.stencil})`, async () => {
    const x = rng.normalVec(n);
    const p = rng.normalVec(2 * n);
    expect(maxScaledError(await b.gradient(x, grid), ref.gradient(x, grid), () => infNorm(x))).toBeLessThan(TIER.stencil);
    expect(maxScaledError(await b.divergence(p, grid), ref.divergence(p, grid), () => infNorm(p))).toBeLessThan(TIER.stencil);
    for (const g of [{ height: 1, width: 7 }, { height: 6, width: 1 }]) {
      const m = g.height * g.width;
      const u = rng.normalVec(m);
      const q = rng.normalVec(2 * m);
      expect(maxScaledError(await b.gradient(u, g), ref.gradient(u, g), () => infNorm(u))).toBeLessThan(TIER.stencil);
      expect(maxScaledError(await b.divergence(q, g), ref.divergence(q, g), () => infNorm(q))).toBeLessThan(TIER.stencil);
    }
  });

  for (const boundary of ['zero', 'periodic'] as const) {
    it(`filter bank (${boundary}): apply, adjoint (convolution tier ${TIER.convolution}) and parameter correlation (${TIER.correlation})`, async () => {
      for (const [count, k] of [
        [4, 3],
        [2, 5],
        [1, 1],
      ] as const) {
        const bank = randomBank(count, k, boundary, 100 * k + count, 1);
        const kk = k * k;
        const l1 = (c: number): number => bank.kernels.subarray(c * kk, (c + 1) * kk).reduce((s, v) => s + Math.abs(v), 0);
        let l1max = 0;
        let l1sum = 0;
        for (let c = 0; c < count; c++) {
          l1max = Math.max(l1max, l1(c));
          l1sum += l1(c);
        }
        const x = rng.normalVec(n);
        const y = rng.normalVec(count * n);
        const kx = await b.filterApply(x, grid, bank);
        expect(maxScaledError(kx, ref.filterApply(x, grid, bank), () => l1max * infNorm(x))).toBeLessThan(TIER.convolution);
        const kty = await b.filterAdjoint(y, grid, bank);
        expect(maxScaledError(kty, ref.filterAdjoint(y, grid, bank), () => l1sum * infNorm(y))).toBeLessThan(TIER.convolution);
        const yl1 = Array.from({ length: count }, (_, c) => y.subarray(c * n, (c + 1) * n).reduce((s, v) => s + Math.abs(v), 0));
        const g = await b.filterParamGrad(x, y, grid, bank);
        expect(maxScaledError(g, ref.filterParamGrad(x, y, grid, bank), (t) => yl1[Math.floor(t / kk)]! * infNorm(x))).toBeLessThan(TIER.correlation);
      }
    });
  }

  it(`quadratic prox, its Jacobian and axpby (elementwise tier ${TIER.elementwise})`, async () => {
    const v = rng.normalVec(n);
    const d = rng.normalVec(n);
    const tau = 0.37;
    const s1 = 1 / (1 + tau);
    expect(maxScaledError(await b.proxQuadratic(v, d, tau), ref.proxQuadratic(v, d, tau), (i) => (Math.abs(v[i]!) + tau * Math.abs(d[i]!)) * s1)).toBeLessThan(TIER.elementwise);
    expect(maxScaledError(await b.proxQuadraticJvp(v, tau), ref.proxQuadraticJvp(v, tau), (i) => Math.abs(v[i]!) * s1 || 1)).toBeLessThan(TIER.elementwise);
    expect(maxScaledError(await b.axpby(1.7, v, -0.3, d), ref.axpby(1.7, v, -0.3, d), (i) => 1.7 * Math.abs(v[i]!) + 0.3 * Math.abs(d[i]!))).toBeLessThan(TIER.elementwise);
  });

  for (const isotropic of [false, true]) {
    it(`Huber-conjugate prox and Jacobian, ${isotropic ? 'isotropic' : 'anisotropic'} (elementwise tier ${TIER.elementwise})`, async () => {
      const C = 3;
      const o = { sigma: 0.8, alpha: 0.9, epsilon: 0.05, isotropic, channels: C };
      const w = rng.normalVec(C * n);
      const dw = rng.normalVec(C * n);
      const kappa = 1 / (1 + (o.sigma * o.epsilon) / o.alpha);
      // per-entry scale: the magnitude of q = κw (capped at α) and, for the JVP, of κ·dw over the pixel's group
      const group = (v: Float64Array, i: number): number => {
        if (!isotropic) return Math.abs(v[i]!);
        const p = i % n;
        let s = 0;
        for (let c = 0; c < C; c++) s += v[c * n + p]! ** 2;
        return Math.sqrt(s);
      };
      // entries within float32 rounding of the kink |q| = α may legitimately switch branch
      const nearKink = (i: number): boolean => Math.abs(kappa * group(w, i) - o.alpha) < 1e-5 * o.alpha;
      expect(maxScaledError(await b.proxHuberConj(w, o), ref.proxHuberConj(w, o), (i) => Math.min(o.alpha, kappa * group(w, i)) || 1)).toBeLessThan(
        TIER.elementwise,
      );
      expect(
        maxScaledError(await b.proxHuberConjJvp(w, dw, o), ref.proxHuberConjJvp(w, dw, o), (i) => (nearKink(i) ? Infinity : kappa * group(dw, i) || 1)),
      ).toBeLessThan(TIER.elementwise);
    });
  }

  it(`dot and sum of squares by tree reductions (reduction tier ${TIER.reduction})`, async () => {
    for (const len of [1, 63, 64, 65, 4097, 200_003]) {
      const x = rng.normalVec(len);
      const y = rng.normalVec(len);
      let s = 0;
      for (let i = 0; i < len; i++) s += Math.abs(x[i]! * y[i]!);
      expect(Math.abs((await b.dot(x, y)) - ref.dot(x, y)) / s).toBeLessThan(TIER.reduction);
      const ss = ref.dot(x, x);
      expect(Math.abs((await b.sumOfSquares(x)) - ss) / ss).toBeLessThan(TIER.reduction);
    }
  });

  it('writes into out, leaves inputs untouched and validates shapes', async () => {
    const x = rng.normalVec(n);
    await expectGradientIntoOut(b, x, grid);
    await expect(b.gradient(x, { height: H, width: W + 1 })).rejects.toThrow(/length/);
    await expect(b.axpby(1, x, 1, new Float64Array(3))).rejects.toThrow(/lengths differ/);
  });
});
