/**
 * Parity suite: every fused kernel registered by `@bilevel/solvers` against the generic
 * composition (backend js-f64) of the same problem — iterates to 1e-12, certificates to 1e-9
 * (relative to max(1, |value|)), identical cost counters — on odd sizes, widths 1–3 and several
 * channels (and for filter banks every boundary, kernel sizes 3–7, several input channels). A
 * kernel registered without cases here fails the suite.
 */
import { describe, expect, it } from 'vitest';
import { Rng, describeSaddle, kernelRegistry, type Loss, type SaddleProblem, type Vec } from '@bilevel/core';
import { ConvFilterBank, ExpScaledOperator, Gradient2D, type FilterBankBoundary } from '@bilevel/operators';
import { HuberConjugate, L2InfBall, QuadraticFidelity } from '@bilevel/prox';
import { Pdhg, Piggyback, registerBuiltinKernels, type FusedKernelFactory, type PdhgOptions, type PiggybackProblem } from '@bilevel/solvers';

const squared = (reduction: 'sum' | 'mean'): Loss => ({
  convex: true,
  description: 'squared error',
  value: (x, t) => x.reduce((s, v, i) => s + (v - t[i]!) ** 2, 0) / (reduction === 'mean' ? 2 * x.length : 2),
  gradient: (x, t, out) => {
    const c = reduction === 'mean' ? 1 / x.length : 1;
    for (let i = 0; i < x.length; i++) out[i] = c * (x[i]! - t[i]!);
    return out;
  },
  lipschitz: (n) => (reduction === 'mean' ? 1 / n : 1),
  describe: () => ({ kind: 'squared-error', reduction }),
});

const maxDiff = (a: Vec, b: Vec): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

const close = (a: number, b: number, tol: number): boolean =>
  a === b || (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

interface Case {
  readonly name: string;
  readonly shape: readonly [number, number, number];
  /** `f*`: Huber conjugate grouped per pixel (2) or per entry (1), or the ball alone (TV). */
  readonly fStar: 'iso' | 'aniso' | 'tv';
  /** `K = e^θ∇` (θ = log scale) or the plain gradient. */
  readonly scale?: number;
  /** `g`: `½‖x − b‖² + (μ/2)‖x‖²`, or with a constant diagonal `d`. */
  readonly mu?: number;
  readonly diagonal?: number;
  readonly reduction?: 'sum' | 'mean';
}

/** The Huber-TV problems of the `huber-tv` kernels: odd sizes, widths 1–3, channels 1–3. */
const huberTvCases: Case[] = [
  { name: 'square iso', shape: [1, 9, 11], fStar: 'iso' },
  { name: 'square aniso, scaled', shape: [1, 9, 11], fStar: 'aniso', scale: 0.6 },
  { name: 'width 1 iso', shape: [1, 7, 1], fStar: 'iso', scale: 1.7 },
  { name: 'width 1 aniso', shape: [2, 5, 1], fStar: 'aniso' },
  { name: 'width 2 iso, ridge', shape: [1, 5, 2], fStar: 'iso', mu: 0.3 },
  { name: 'width 3 aniso, diagonal', shape: [3, 4, 3], fStar: 'aniso', diagonal: 1.3, reduction: 'mean' },
  { name: 'width 3 iso, 3 channels', shape: [3, 3, 3], fStar: 'iso', scale: 0.4, diagonal: 0.8, mu: 0.1 },
  { name: 'one row', shape: [1, 1, 13], fStar: 'aniso' },
  { name: '2 channels odd', shape: [2, 7, 9], fStar: 'iso', reduction: 'mean' },
  { name: 'TV (ball), odd', shape: [1, 7, 9], fStar: 'tv' },
  { name: 'TV (ball), aniso, width 3', shape: [2, 5, 3], fStar: 'tv', scale: 2 },
];

function problemOf(c: Case, seed: number): { problem: PiggybackProblem; b: Vec } {
  const [C, H, W] = c.shape;
  const N = C * H * W;
  const rng = Rng.seeded(seed);
  const D = new Gradient2D({ channels: C, height: H, width: W });
  const K = c.scale === undefined ? D : new ExpScaledOperator(D, Math.log(c.scale));
  const b = Float64Array.from({ length: N }, (_, i) => (i % 5 < 2 ? 0.2 : 0.7) + 0.2 * rng.normal());
  const target = Float64Array.from({ length: N }, (_, i) => (i % 5 < 2 ? 0.2 : 0.7));
  const diagonal = c.diagonal === undefined ? undefined : new Float64Array(N).fill(c.diagonal);
  const g = new QuadraticFidelity({ shape: D.domain, data: b, ...(c.mu ? { mu: c.mu } : {}), ...(diagonal ? { diagonal } : {}) });
  const fStar =
    c.fStar === 'tv'
      ? new L2InfBall({ shape: D.range, groupSize: 2, radius: 0.15 })
      : new HuberConjugate({ shape: D.range, groupSize: c.fStar === 'iso' ? 2 : 1, alpha: 0.3, epsilon: 0.02 });
  const saddle: SaddleProblem = { K, g, fStar, ...(c.fStar === 'tv' ? {} : { f: (fStar as HuberConjugate).conjugate() }), gStar: g.conjugate() };
  return { problem: { ...saddle, loss: squared(c.reduction ?? 'sum'), target }, b };
}

interface BankCase {
  readonly name: string;
  /** `[C_in, H, W]`. */
  readonly shape: readonly [number, number, number];
  readonly filters: number;
  readonly kernelSize: number;
  readonly boundary: FilterBankBoundary;
  /** `g`: `½‖x − b‖² + (μ/2)‖x‖²`, or with a constant diagonal `d`. */
  readonly mu?: number;
  readonly diagonal?: number;
  readonly reduction?: 'sum' | 'mean';
}

/** Filter banks (FoE): `f*` the Huber conjugate entry by entry; every boundary, odd sizes, widths 1–3, 1–3 input channels. */
const bankCases: BankCase[] = [
  { name: '4×3×3 reflect', shape: [1, 9, 11], filters: 4, kernelSize: 3, boundary: 'reflect' },
  { name: '3×5×5 symmetric, mean loss', shape: [1, 11, 7], filters: 3, kernelSize: 5, boundary: 'symmetric', reduction: 'mean' },
  { name: '5×7×7 zero, ridge', shape: [1, 13, 9], filters: 5, kernelSize: 7, boundary: 'zero', mu: 0.2 },
  { name: '2×3×3 periodic, diagonal', shape: [1, 7, 7], filters: 2, kernelSize: 3, boundary: 'periodic', diagonal: 1.4 },
  { name: '3×3×3 valid', shape: [1, 9, 7], filters: 3, kernelSize: 3, boundary: 'valid' },
  { name: 'colour 3×3×3×3 reflect', shape: [3, 7, 5], filters: 3, kernelSize: 3, boundary: 'reflect', reduction: 'mean' },
  { name: '2 channels, 1 filter 5×5 zero', shape: [2, 9, 9], filters: 1, kernelSize: 5, boundary: 'zero' },
  { name: 'width 1, 3×3 symmetric', shape: [1, 9, 1], filters: 3, kernelSize: 3, boundary: 'symmetric' },
  { name: 'width 2, 2×3×3 zero', shape: [1, 7, 2], filters: 2, kernelSize: 3, boundary: 'zero', diagonal: 0.7, mu: 0.1 },
  { name: 'width 3, 7×7 reflect', shape: [1, 5, 3], filters: 2, kernelSize: 7, boundary: 'reflect' },
];

function bankProblemOf(c: BankCase, seed: number): { problem: PiggybackProblem; b: Vec } {
  const [C, H, W] = c.shape;
  const N = C * H * W;
  const rng = Rng.seeded(seed);
  const k = c.kernelSize;
  const kernels = Float64Array.from({ length: c.filters * C * k * k }, () => 0.4 * rng.normal());
  const K = new ConvFilterBank({ inChannels: C, outChannels: c.filters, height: H, width: W, kernelSize: k, boundary: c.boundary, kernels });
  const b = Float64Array.from({ length: N }, (_, i) => (i % 5 < 2 ? 0.2 : 0.7) + 0.2 * rng.normal());
  const target = Float64Array.from({ length: N }, (_, i) => (i % 5 < 2 ? 0.2 : 0.7));
  const diagonal = c.diagonal === undefined ? undefined : new Float64Array(N).fill(c.diagonal);
  const g = new QuadraticFidelity({ shape: K.domain, data: b, ...(c.mu ? { mu: c.mu } : {}), ...(diagonal ? { diagonal } : {}) });
  // α, ε so that part of the duals sits on the constraint and part inside
  const fStar = new HuberConjugate({ shape: K.range, alpha: 0.3, epsilon: 0.05 });
  const saddle: SaddleProblem = { K, g, fStar, f: fStar.conjugate(), gStar: g.conjugate() };
  return { problem: { ...saddle, loss: squared(c.reduction ?? 'sum'), target }, b };
}

const CERTIFICATE_KEYS = ['distance', 'epsX', 'epsY', 'primalStationarity', 'dualStationarity', 'gap', 'primalObjective', 'dualObjective'] as const;

function expectCertificates(fused: Record<string, number>, generic: Record<string, number>, keys: readonly string[]): void {
  for (const k of keys) {
    if (!close(fused[k]!, generic[k]!, 1e-9)) expect.fail(`certificate ${k}: fused ${fused[k]} vs generic ${generic[k]}`);
  }
}

/** A parity case: the problem, the warm start of `x` and whether the linear-rate scheme applies (`μ_f* > 0`). */
interface Built {
  readonly problem: PiggybackProblem;
  readonly b: Vec;
  readonly linear: boolean;
}

/** PDHG: fused vs generic, every step rule, certificates along the way. */
function pdhgParity(kernel: string, { problem, b, linear }: Built): void {
  const rules: PdhgOptions[] = [{ scheme: 'plain' }, { scheme: 'accelerated', muFStar: 0 }, ...(linear ? [{ scheme: 'linear' } as const] : [])];
  for (const rule of rules) {
    const generic = new Pdhg({ ...rule, backend: 'js-f64' });
    const fused = new Pdhg({ ...rule, backend: 'wasm-f64' });
    const warm = { x: b, y: new Float64Array(problem.fStar.shape.reduce((p, q) => p * q, 1)).fill(0.01) };
    const gs = generic.init(problem, warm);
    const fs = fused.init(problem, warm);
    expect(fs.work.kernel).toEqual({ name: kernel, backend: 'wasm-f64' });
    expect(gs.work.kernel.backend).toBe('js-f64');
    for (let k = 1; k <= 120; k++) {
      generic.step(gs);
      fused.step(fs);
      expect(maxDiff(fs.x, gs.x)).toBeLessThanOrEqual(1e-12);
      expect(maxDiff(fs.xPrev, gs.xPrev)).toBeLessThanOrEqual(1e-12);
      expect(maxDiff(fs.y, gs.y)).toBeLessThanOrEqual(1e-12);
      if (k % 40 === 0 || k === 3) {
        const cg = generic.certificate(gs);
        const cf = fused.certificate(fs);
        expectCertificates(cf, cg, [...CERTIFICATE_KEYS, 'primalResidual']);
      }
    }
    expect(fs.cost).toEqual(gs.cost);
  }
}

/** Piggyback: fused joint iteration vs the generic one, Lemma 2 and Lemma 3 certificates. */
function piggybackParity(kernel: string, { problem, b }: Built): void {
  const generic = new Piggyback({ backend: 'js-f64' });
  const fused = new Piggyback({ backend: 'wasm-f64' });
  const warmAdjoint = { X: Float64Array.from(b, (v) => 0.1 * v), Y: new Float64Array(problem.fStar.shape.reduce((p, q) => p * q, 1)).fill(0.01) };
  const gs = generic.init(problem, { x: b, ...warmAdjoint });
  const fs = fused.init(problem, { x: b, ...warmAdjoint });
  expect(fs.work.kernel.name).toBe(kernel);
  for (let k = 1; k <= 120; k++) {
    generic.step(gs);
    fused.step(fs);
    for (const key of ['x', 'xPrev', 'y', 'X', 'XPrev', 'Y'] as const) expect(maxDiff(fs[key], gs[key])).toBeLessThanOrEqual(1e-12);
    if (k % 40 === 0 || k === 3) expectCertificates(fused.certificate(fs), generic.certificate(gs), [...CERTIFICATE_KEYS, 'deltaX', 'deltaY']);
  }
  expect(fs.cost).toEqual(gs.cost);
}

describe('fused kernels against the generic composition', () => {
  registerBuiltinKernels();
  const huberTv = (c: Case, seed: number): Built => ({ ...problemOf(c, seed), linear: c.fStar !== 'tv' });
  const bank = (c: BankCase, seed: number): Built => ({ ...bankProblemOf(c, seed), linear: true });
  const cases: Record<string, { pdhg: [string, () => Built][]; piggyback: [string, () => Built][] }> = {
    'huber-tv': {
      pdhg: huberTvCases.map((c, k) => [`${c.name} (${c.shape.join('×')})`, () => huberTv(c, 10 + k)]),
      piggyback: huberTvCases.filter((c) => c.fStar !== 'tv').map((c, k) => [`${c.name} (${c.shape.join('×')})`, () => huberTv(c, 40 + k)]),
    },
    'filter-bank': {
      pdhg: bankCases.map((c, k) => [`${c.name} (${c.shape.join('×')})`, () => bank(c, 70 + k)]),
      piggyback: bankCases.map((c, k) => [`${c.name} (${c.shape.join('×')})`, () => bank(c, 90 + k)]),
    },
  };

  it('every registered fused kernel has parity cases', () => {
    for (const k of kernelRegistry.list()) {
      if (k.backend !== 'wasm-f64') continue;
      expect(cases[k.name]?.[k.algorithm as 'pdhg' | 'piggyback']?.length ?? 0, `${k.name} (${k.algorithm})`).toBeGreaterThan(0);
    }
  });

  for (const [name, byAlgorithm] of Object.entries(cases)) {
    for (const [what, build] of byAlgorithm.pdhg) {
      it(`${name} pdhg, ${what}: iterates ≤ 1e-12, certificates ≤ 1e-9, same costs`, () => pdhgParity(name, build()));
    }
    for (const [what, build] of byAlgorithm.piggyback) {
      it(`${name} piggyback, ${what}: iterates and adjoints ≤ 1e-12, Lemma 2/3 certificates ≤ 1e-9, same costs`, () => piggybackParity(name, build()));
    }
  }

  it('problems the kernel does not state run on the generic composition (auto) or are refused (wasm-f64)', () => {
    const { problem } = problemOf({ name: 'x', shape: [1, 5, 5], fStar: 'iso' }, 1);
    const periodic = { ...problem, K: new Gradient2D({ channels: 1, height: 5, width: 5, boundary: 'periodic' }) };
    expect(new Pdhg().init(periodic).work.kernel.backend).toBe('js-f64');
    expect(() => new Pdhg({ backend: 'wasm-f64' }).init(periodic)).toThrow(/no wasm-f64 kernel/);
    const precond = new Pdhg({ preconditioning: { rowSums: new Float64Array(50).fill(2), colSums: new Float64Array(25).fill(4) } });
    expect(() => precond.init(problem)).toThrow(/proxDiagonal/);
    // the piggyback kernel needs a loss it knows
    const unknownLoss = { ...problem, loss: { ...problem.loss, describe: undefined } };
    expect(new Piggyback().init(unknownLoss).work.kernel.backend).toBe('js-f64');
    expect(new Piggyback().init(problem).work.kernel.backend).toBe('wasm-f64');
  });

  it('a kernel without certificate sweeps is certified by the generic certificates on its iterates', () => {
    // the Huber-TV kernel with its sweeps removed, registered as another backend
    const { problem, b } = problemOf({ name: 'x', shape: [2, 7, 5], fStar: 'iso' }, 3);
    const unregister = (['pdhg', 'piggyback'] as const).map((algorithm) => {
      const builtin = kernelRegistry.find<FusedKernelFactory>(algorithm, describeSaddle(problem), ['wasm-f64'])!;
      return kernelRegistry.register<FusedKernelFactory>({
        name: 'huber-tv-uncertified',
        algorithm,
        backend: 'gpujs-f32',
        matches: (d) => builtin.matches(d),
        create: (d, p) => ({ ...builtin.create(d, p), certificate: undefined, info: { name: 'huber-tv-uncertified', backend: 'gpujs-f32' } }),
      });
    });
    try {
      const warm = { x: b, X: Float64Array.from(b, (v) => 0.1 * v) };
      const pairs = [
        [new Pdhg({ backend: 'js-f64' }), new Pdhg({ backend: 'gpujs-f32' }), [...CERTIFICATE_KEYS, 'primalResidual']],
        [new Piggyback({ backend: 'js-f64' }), new Piggyback({ backend: 'gpujs-f32' }), [...CERTIFICATE_KEYS, 'deltaX', 'deltaY']],
      ] as const;
      for (const [genericSolver, hostSolver, keys] of pairs) {
        const generic = genericSolver as Piggyback;
        const host = hostSolver as Piggyback;
        const gs = generic.init(problem, warm);
        const hs = host.init(problem, warm);
        expect(hs.work.kernel).toEqual({ name: 'huber-tv-uncertified', backend: 'gpujs-f32' });
        for (let k = 1; k <= 50; k++) {
          generic.step(gs);
          host.step(hs);
        }
        const cg = generic.certificate(gs);
        const ch = host.certificate(hs);
        expect(Number.isFinite(ch.epsX) && Number.isFinite(ch.epsY)).toBe(true);
        expectCertificates(ch, cg, keys);
        // and the work of computing K x, Kᵀy (and K X) is charged on top of the generic certificate's
        expect(hs.cost.apply).toBeGreaterThan(gs.cost.apply);
      }
      // without the adjoint the piggyback certificate has no Lemma 3 part
      const loss = new Piggyback({ backend: 'gpujs-f32', adjoint: false });
      const ls = loss.init(problem, { x: b });
      loss.step(ls);
      expect(loss.certificate(ls)).toMatchObject({ deltaX: 0, deltaY: 0 });
    } finally {
      for (const u of unregister) u();
    }
    expect(() => new Pdhg({ backend: 'gpujs-f32' }).init(problem)).toThrow(/no gpujs-f32 kernel runs this pdhg problem.*GpuJsBackend/);
  });

  it('auto never picks a float32 kernel, even one that matches everything', () => {
    const { problem } = problemOf({ name: 'x', shape: [1, 5, 5], fStar: 'iso' }, 1);
    const periodic = { ...problem, K: new Gradient2D({ channels: 1, height: 5, width: 5, boundary: 'periodic' }) };
    const unregister = kernelRegistry.register<FusedKernelFactory>({
      name: 'everything',
      algorithm: 'pdhg',
      backend: 'gpujs-f32',
      matches: () => true,
      create: () => {
        throw new Error('auto must not create a float32 kernel');
      },
    });
    try {
      expect(new Pdhg().init(periodic).work.kernel.backend).toBe('js-f64');
      expect(new Pdhg().init(problem).work.kernel.backend).toBe('wasm-f64');
      expect(() => new Pdhg({ backend: 'gpujs-f32' }).init(periodic)).toThrow(/must not create/);
    } finally {
      unregister();
    }
  });
});
