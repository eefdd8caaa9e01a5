/**
 * `runSaddle`, the pipeline path of the registered gpu.js kernel (chunks of iterations with the
 * state resident on the device; the `SaddleBackend` contract of `@bilevel/core`): against the
 * float64 engine (`Piggyback`, `js-f64`) on the same description and steps, against the engine
 * path of the same kernel, chunked runs, the piggyback-free path, the plan cache and validation.
 */
import { describeSaddle, type SaddleDescription } from '@bilevel/core';
import { relativeDistance } from '@bilevel/core/testing';
import { GpuJsBackend, availableModes, type GpuJsMode } from '@bilevel/kernels';
import { Gradient2D, type ConvFilterBank } from '@bilevel/operators';
import { HuberConjugate } from '@bilevel/prox';
import { Piggyback, pdhgSteps, type PiggybackProblem } from '@bilevel/solvers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALPHA, denoising, hypergradient, relInf } from './helpers.js';

/** Float32 saddle tiers (README): iterates ‖Δ‖∞/‖·‖∞ (y: /α) and hypergradients ‖Δg‖/‖g‖ after 200 iterations. */
const SADDLE = { iterate: 1e-5, hypergradient: 1e-4 } as const;

const cpuModes = (await availableModes()).filter((m): m is GpuJsMode => m === 'cpu' || m === 'webasm');
const N = 32;
const problem = denoising;
const describe_ = (p: PiggybackProblem): SaddleDescription => describeSaddle(p)!;

const cases = [
  { name: 'Huber-TV anisotropic', kind: 'gradient', isotropic: false },
  { name: 'Huber-TV isotropic', kind: 'gradient', isotropic: true },
  { name: '3 filters 3×3 zero, anisotropic', kind: 'filters', isotropic: false },
  { name: '3 filters 3×3 periodic, isotropic', kind: 'filters', isotropic: true },
] as const;

describe.each(cpuModes)('gpu.js %s: runSaddle, 200 iterations on 32×32', (mode) => {
  let b: GpuJsBackend;
  beforeAll(async () => {
    b = await GpuJsBackend.create({ mode, pipelineCache: 2 });
  });
  afterAll(async () => {
    await b.dispose();
  });

  cases.forEach(({ name, kind, isotropic }, k) => {
    it(`${name}: iterates within ${SADDLE.iterate} and the hypergradient within ${SADDLE.hypergradient} of the float64 engine`, async () => {
      const p = problem(kind, isotropic, 5 + k);
      const steps = pdhgSteps(p);
      const r32 = await b.runSaddle(describe_(p), steps, { iterations: 200 });
      const engine = new Piggyback({ backend: 'js-f64' });
      const s64 = engine.init(p);
      for (let it = 0; it < 200; it++) engine.step(s64);
      expect(r32.mode).toBe(mode);
      expect(r32.executor).toMatch(mode === 'webasm' ? /^fused-(sync|threaded)$/ : /^generic$/);
      expect(r32.piggyback).toBe(true);
      expect(r32.iterations).toBe(200);
      for (const key of ['x', 'X', 'xPrev', 'XPrev'] as const) expect(relInf(r32[key], s64[key]), key).toBeLessThan(SADDLE.iterate);
      for (const key of ['y', 'Y'] as const) expect(relInf(r32[key], s64[key], ALPHA), key).toBeLessThan(SADDLE.iterate);
      expect(relativeDistance(hypergradient(p.K as ConvFilterBank, r32), hypergradient(p.K as ConvFilterBank, s64))).toBeLessThan(SADDLE.hypergradient);
    });
  });

  it('the pipeline path and the engine path (Piggyback, gpujs-f32) run the same float32 iteration', async () => {
    const p = problem('filters', true, 9);
    const r = await b.runSaddle(describe_(p), pdhgSteps(p), { iterations: 50 });
    const unregister = b.register();
    try {
      const engine = new Piggyback({ backend: 'gpujs-f32' });
      const s = engine.init(p);
      expect(s.work.kernel).toEqual({ name: `gpujs-${mode}`, backend: 'gpujs-f32' });
      for (let it = 0; it < 50; it++) engine.step(s);
      // not bitwise: the executors differ (and the engine path snaps the active set in float64)
      for (const key of ['x', 'X', 'xPrev'] as const) expect(relInf(r[key], s[key]), key).toBeLessThan(SADDLE.iterate);
      expect(relInf(r.y, s.y, ALPHA)).toBeLessThan(SADDLE.iterate);
    } finally {
      unregister();
    }
  });

  it('the anisotropic projection is the exact clip: active duals sit on ±α, none beyond (α representable in float32)', async () => {
    const p0 = problem('filters', false, 11);
    const p = { ...p0, fStar: new HuberConjugate({ shape: p0.K.range, alpha: 0.25, epsilon: 0.05 }) };
    const r = await b.runSaddle(describe_(p), pdhgSteps(p), { iterations: 100 });
    const onBound = r.y.filter((v) => Math.abs(v) === 0.25).length;
    expect(onBound).toBeGreaterThan(0);
    expect(r.y.every((v) => Math.abs(v) <= 0.25)).toBe(true);
    // so the host certificate of the float32 dual is finite
    const solver = new Piggyback({ backend: 'js-f64' });
    const c = solver.certificate(solver.init(p, r));
    expect(Number.isFinite(c.epsY)).toBe(true);
  });

  it('a chunked run (warm = previous result) reproduces the uninterrupted float32 run', async () => {
    const p = problem('gradient', true, 6);
    const d = describe_(p);
    const steps = pdhgSteps(p);
    const whole = await b.runSaddle(d, steps, { iterations: 60 });
    let part = await b.runSaddle(d, steps, { iterations: 20 });
    part = await b.runSaddle(d, steps, { iterations: 20, warm: part });
    part = await b.runSaddle(d, steps, { iterations: 20, warm: part });
    // float32 state round-trips through float64 exactly, so the iterates are the same
    for (const key of ['x', 'y', 'X', 'Y', 'xPrev', 'XPrev'] as const) expect(part[key]).toEqual(whole[key]);
  });

  it('without piggyback: x, y as the float64 PDHG, X, Y returned as given', async () => {
    const p = problem('filters', false, 7);
    const warmX = new Float64Array(N * N).fill(0.25);
    const r32 = await b.runSaddle(describe_(p), pdhgSteps(p), { iterations: 50, piggyback: false, warm: { X: warmX } });
    const engine = new Piggyback({ backend: 'js-f64', adjoint: false });
    const s64 = engine.init(p);
    for (let it = 0; it < 50; it++) engine.step(s64);
    expect(r32.piggyback).toBe(false);
    expect(relInf(r32.x, s64.x)).toBeLessThan(SADDLE.iterate);
    expect(r32.X).toEqual(warmX);
    expect(r32.Y).toEqual(new Float64Array(3 * N * N));
  });

  it('keeps at most pipelineCache compiled plans', async () => {
    const p = problem('gradient', false, 8, 16);
    for (const iterations of [1, 2, 3, 2]) await b.runSaddle(describe_(p), pdhgSteps(p), { iterations });
    expect(b.resources().pipelines).toBeLessThanOrEqual(2 + 1); // plans + at most one reduction plan
    expect(b.resources().gpus).toBe(1);
  });

  it('rejects bad steps, options, warm starts and problems it does not run, naming what is wrong', async () => {
    const p = problem('gradient', false, 3, 9);
    const d = describe_(p);
    const steps = pdhgSteps(p);
    await expect(b.runSaddle(d, { ...steps, tau: 0 }, { iterations: 1 })).rejects.toThrow(/tau/);
    await expect(b.runSaddle(d, { ...steps, theta: 2 }, { iterations: 1 })).rejects.toThrow(/theta/);
    await expect(b.runSaddle(d, { ...steps, tau: 10 }, { iterations: 1 })).rejects.toThrow(/τσ‖K‖²/);
    await expect(b.runSaddle(d, steps, { iterations: 0 })).rejects.toThrow(/iterations/);
    await expect(b.runSaddle(d, steps, { iterations: 1, warm: { x: new Float64Array(2) } })).rejects.toThrow(/warm\.x/);
    await expect(b.runSaddle(d, steps, { iterations: 1, warm: { y: [1, 2] } as never })).rejects.toThrow(/warm\.y must be a Float64Array/);
    const periodic = describe_({ ...p, K: new Gradient2D({ channels: 1, height: 9, width: 9, boundary: 'periodic' }) });
    await expect(b.runSaddle(periodic, steps, { iterations: 1 })).rejects.toThrow(/gpu\.js kernels do not run/);
    const { loss: _loss, target: _target, ...noLoss } = d;
    await expect(b.runSaddle(noLoss, steps, { iterations: 1, piggyback: true })).rejects.toThrow(/squared-error loss/);
    expect((await b.runSaddle(noLoss, steps, { iterations: 1 })).piggyback).toBe(false);
  });
});
