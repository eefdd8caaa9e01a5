/**
 * Parity of the registered gpu.js kernels (backend `gpujs-f32`) with the generic composition
 * (`js-f64`, the reference) through the one engine of `@bilevel/solvers`: `Pdhg` with every step
 * rule and `Piggyback`, on odd sizes, widths 1–3, several image channels and several filters, in
 * every gpu.js mode that runs on a CPU. Float32 tiers (README "Tolerance tiers"): iterates within
 * 1e-5 of their ‖·‖∞ (the dual within 1e-5·α; 1e-4·α for TV, whose dual does not contract),
 * certificates within 1e-3 relative above 1e-2 (1e-5 absolute below: float64 certificates of
 * float32 iterates level off at their float32 floor), hypergradients within 1e-4 relative.
 */
import { Rng, describeSaddle, kernelRegistry, type SaddleProblem, type Vec } from '@bilevel/core';
import { relativeDistance } from '@bilevel/core/testing';
import { squaredError } from '@bilevel/hypergrad';
import { GpuJsBackend, availableModes, type GpuJsMode } from '@bilevel/kernels';
import { ConvFilterBank, ExpScaledOperator, Gradient2D } from '@bilevel/operators';
import { HuberConjugate, L2InfBall, QuadraticFidelity } from '@bilevel/prox';
import { Pdhg, Piggyback, type PdhgOptions, type PiggybackProblem } from '@bilevel/solvers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hypergradient } from './helpers.js';

/**
 * Float32 tiers of the engine path; certificates are compared relatively above their float32
 * floor (`certificateFloor`: float64 certificates of float32 iterates level off there).
 */
const TIER = { iterate: 1e-5, certificate: 1e-3, certificateFloor: 1e-2, hypergradient: 1e-4 } as const;

const cpuModes = (await availableModes()).filter((m): m is GpuJsMode => m === 'cpu' || m === 'webasm');

interface Case {
  readonly name: string;
  /** `[C, H, W]` of the image. */
  readonly shape: readonly [number, number, number];
  /** The gradient, or a single-channel bank of `count` `k×k` filters. */
  readonly op: 'gradient' | { readonly count: number; readonly k: number; readonly boundary: 'zero' | 'periodic' };
  /** `f*` grouped per entry (`aniso`), over the pair of differences / the filters (`iso`), over every plane of a pixel (`vectorial`), or the ball (TV). */
  readonly fStar: 'aniso' | 'iso' | 'vectorial' | 'tv';
  readonly scale?: number;
  readonly mu?: number;
  readonly diagonal?: number;
  readonly reduction?: 'sum' | 'mean';
}

const cases: Case[] = [
  { name: 'gradient iso', shape: [1, 9, 11], op: 'gradient', fStar: 'iso' },
  { name: 'gradient aniso, scaled, 2 channels', shape: [2, 7, 9], op: 'gradient', fStar: 'aniso', scale: 0.6 },
  { name: 'gradient iso, width 1', shape: [1, 7, 1], op: 'gradient', fStar: 'iso', scale: 1.7 },
  { name: 'gradient aniso, width 2, ridge', shape: [2, 5, 2], op: 'gradient', fStar: 'aniso', mu: 0.3 },
  { name: 'gradient vectorial, width 3, 3 channels, diagonal, mean', shape: [3, 5, 3], op: 'gradient', fStar: 'vectorial', diagonal: 1.3, reduction: 'mean' },
  { name: 'gradient aniso, one row', shape: [1, 1, 13], op: 'gradient', fStar: 'aniso' },
  { name: 'TV (ball), 2 channels', shape: [2, 7, 9], op: 'gradient', fStar: 'tv' },
  { name: '3 filters 3×3 zero, aniso', shape: [1, 9, 7], op: { count: 3, k: 3, boundary: 'zero' }, fStar: 'aniso' },
  { name: '4 filters 5×5 periodic, iso, scaled', shape: [1, 11, 9], op: { count: 4, k: 5, boundary: 'periodic' }, fStar: 'iso', scale: 0.8 },
  { name: '2 filters 3×3 zero, width 3, iso, ridge', shape: [1, 7, 3], op: { count: 2, k: 3, boundary: 'zero' }, fStar: 'iso', mu: 0.2 },
];

/** The case's problem, built from the registered operators and functionals, with the squared-error loss. */
function problemOf(c: Case, seed: number): { problem: PiggybackProblem; b: Vec } {
  const [C, H, W] = c.shape;
  const N = C * H * W;
  const rng = Rng.seeded(seed);
  const op = c.op;
  const base =
    op === 'gradient'
      ? new Gradient2D({ channels: C, height: H, width: W })
      : new ConvFilterBank({ inChannels: 1, outChannels: op.count, height: H, width: W, kernelSize: op.k, boundary: op.boundary, kernels: rng.normalVec(op.count * op.k ** 2).map((v) => (0.6 * v) / op.k) });
  const K = c.scale === undefined ? base : new ExpScaledOperator(base, Math.log(c.scale));
  const planes = K.range.reduce((p, q) => p * q, 1) / (H * W);
  const target = Float64Array.from({ length: N }, (_, i) => (i % 5 < 2 ? 0.2 : 0.7));
  const b = target.map((t) => t + 0.2 * rng.normal());
  const diagonal = c.diagonal === undefined ? undefined : new Float64Array(N).fill(c.diagonal);
  const g = new QuadraticFidelity({ shape: K.domain, data: b, ...(c.mu ? { mu: c.mu } : {}), ...(diagonal ? { diagonal } : {}) });
  const groupSize = c.fStar === 'aniso' ? 1 : c.fStar === 'vectorial' ? planes : c.op === 'gradient' ? 2 : planes;
  const fStar = c.fStar === 'tv' ? new L2InfBall({ shape: K.range, groupSize, radius: 0.15 }) : new HuberConjugate({ shape: K.range, groupSize, alpha: 0.3, epsilon: 0.02 });
  const saddle: SaddleProblem = { K, g, fStar, ...(fStar instanceof HuberConjugate ? { f: fStar.conjugate() } : {}), gStar: g.conjugate() };
  return { problem: { ...saddle, loss: squaredError({ reduction: c.reduction ?? 'sum' }), target }, b };
}

/** `max_i |a_i − r_i| / max(‖r‖∞, floor)`. */
function relInf(a: Vec, r: Vec, floor = 1e-3): number {
  expect(a.length).toBe(r.length);
  let d = 0;
  let s = floor;
  for (let i = 0; i < r.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - r[i]!));
    s = Math.max(s, Math.abs(r[i]!));
  }
  return d / s;
}

/** Certificate entries agree within the tier (both infinite counts as agreeing). */
function expectCertificates(f32: Record<string, number>, f64: Record<string, number>, keys: readonly string[]): void {
  for (const k of keys) {
    const [a, b] = [f32[k]!, f64[k]!];
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
    if (!(Math.abs(a - b) <= TIER.certificate * Math.max(Math.abs(b), TIER.certificateFloor))) expect.fail(`certificate ${k}: gpujs-f32 ${a} vs js-f64 ${b}`);
  }
}

const SADDLE_KEYS = ['distance', 'epsX', 'epsY', 'primalStationarity', 'dualStationarity', 'gap', 'primalObjective', 'dualObjective'] as const;

describe.each(cpuModes)('gpujs-f32 (%s) against js-f64 through Pdhg and Piggyback', (mode) => {
  let gpu: GpuJsBackend;
  let unregister: () => void;
  beforeAll(async () => {
    gpu = await GpuJsBackend.create({ mode });
    unregister = gpu.register();
  });
  afterAll(async () => {
    unregister();
    await gpu.dispose();
  });

  cases.forEach((c, index) => {
    it(`pdhg, ${c.name} (${c.shape.join('×')}): iterates ≤ ${TIER.iterate}, certificates ≤ ${TIER.certificate} relative`, () => {
      const { problem, b } = problemOf(c, 10 + index);
      const rules: PdhgOptions[] = [{ scheme: 'plain' }, { scheme: 'accelerated', muFStar: 0 }, ...(c.fStar === 'tv' ? [] : [{ scheme: 'linear' } as const])];
      for (const rule of rules) {
        const f64 = new Pdhg({ ...rule, backend: 'js-f64' });
        const f32 = new Pdhg({ ...rule, backend: 'gpujs-f32' });
        const warm = { x: b };
        const s64 = f64.init(problem, warm);
        const s32 = f32.init(problem, warm);
        expect(s32.work.kernel).toEqual({ name: `gpujs-${mode}`, backend: 'gpujs-f32' });
        const alpha = c.fStar === 'tv' ? 0.15 : 0.3;
        // TV's dual (μ_f* = 0) is not unique and its iteration does not contract, so rounding
        // differences in y are not damped: ten times the iterate tier there (measured ≤ 1.2e-5)
        const yTier = c.fStar === 'tv' ? 10 * TIER.iterate : TIER.iterate;
        for (let k = 1; k <= 60; k++) {
          f64.step(s64);
          f32.step(s32);
          if (k % 20 === 0 || k === 3) {
            expect(relInf(s32.x, s64.x), `x, ${rule.scheme}, iteration ${k}`).toBeLessThan(TIER.iterate);
            expect(relInf(s32.xPrev, s64.xPrev), `xPrev, ${rule.scheme}, iteration ${k}`).toBeLessThan(TIER.iterate);
            expect(relInf(s32.y, s64.y, alpha), `y, ${rule.scheme}, iteration ${k}`).toBeLessThan(yTier);
          }
          if (k === 3 || k === 20) expectCertificates(f32.certificate(s32), f64.certificate(s64), [...SADDLE_KEYS, 'primalResidual']);
        }
        expect(s32.iteration).toBe(s64.iteration);
        expect(s32.cost.prox).toBe(s64.cost.prox);
      }
    });

    if (c.fStar === 'tv') return;
    it(`piggyback, ${c.name} (${c.shape.join('×')}): iterates and adjoints ≤ ${TIER.iterate}, Lemma 2/3 certificates ≤ ${TIER.certificate}, hypergradient ≤ ${TIER.hypergradient}`, () => {
      const { problem, b } = problemOf(c, 40 + index);
      const f64 = new Piggyback({ backend: 'js-f64' });
      const f32 = new Piggyback({ backend: 'gpujs-f32' });
      const warm = { x: b, X: Float64Array.from(b, (v) => 0.1 * v) };
      const s64 = f64.init(problem, warm);
      const s32 = f32.init(problem, warm);
      expect(s32.work.kernel.backend).toBe('gpujs-f32');
      for (let k = 1; k <= 150; k++) {
        f64.step(s64);
        f32.step(s32);
        if (k % 50 === 0) {
          for (const key of ['x', 'xPrev', 'X', 'XPrev'] as const) expect(relInf(s32[key], s64[key]), key).toBeLessThan(TIER.iterate);
          for (const key of ['y', 'Y'] as const) expect(relInf(s32[key], s64[key], 0.3), key).toBeLessThan(TIER.iterate);
        }
        if (k === 3 || k === 50) expectCertificates(f32.certificate(s32), f64.certificate(s64), [...SADDLE_KEYS, 'deltaX', 'deltaY']);
      }
      expect(s32.cost.adjointIterations).toBe(s64.cost.adjointIterations);
      // the hypergradient of a parametric K (docs/math/piggyback.md#assembly-with-paramvjp)
      const K = problem.K as Partial<ConvFilterBank>;
      if (!K.paramVjp) return;
      const grad = (s: typeof s64): Float64Array => hypergradient(K as ConvFilterBank, s);
      expect(relativeDistance(grad(s32), grad(s64))).toBeLessThan(TIER.hypergradient);
    });
  });

  it('matches only what it computes: other boundaries, multi-channel banks, blur data terms and several blocks run on js-f64', () => {
    const { problem } = problemOf(cases[0]!, 1);
    const [H, W] = [9, 11];
    const refused: SaddleProblem[] = [
      { ...problem, K: new Gradient2D({ channels: 1, height: H, width: W, boundary: 'periodic' }) },
      { ...problem, K: new ConvFilterBank({ inChannels: 1, outChannels: 2, height: H, width: W, kernelSize: 3, boundary: 'symmetric', kernels: new Float64Array(18).fill(0.1) }) },
      { ...problem, fStar: new HuberConjugate({ shape: [2, 1, H, W], groupSize: 1, alpha: Float64Array.of(0.3, 0.4), epsilon: Float64Array.of(0.02, 0.02) }) },
      { ...problem, g: new QuadraticFidelity({ shape: [1, H, W], data: new Float64Array(H * W), diagonal: Float64Array.from({ length: H * W }, (_, i) => 1 + (i % 2)) }) },
    ];
    for (const p of refused) {
      expect(kernelRegistry.find('pdhg', describeSaddle(p), ['gpujs-f32'])).toBeUndefined();
      expect(() => new Pdhg({ backend: 'gpujs-f32' }).init(p)).toThrow(/no gpujs-f32 kernel/);
      expect(new Pdhg().init(p).work.kernel.backend).toBe('js-f64');
    }
    // the piggyback needs the squared error and μ_f* > 0
    const ball = { ...problem, fStar: new L2InfBall({ shape: problem.K.range, groupSize: 2, radius: 0.2 }) };
    expect(() => new Piggyback({ backend: 'gpujs-f32' }).init(ball)).toThrow(/no gpujs-f32 kernel/);
    // auto never picks float32
    expect(new Pdhg().init(problem).work.kernel.backend).not.toBe('gpujs-f32');
  });
});
