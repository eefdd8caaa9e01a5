/**
 * The fused PDHG + piggyback of the gpu.js backend against the float64 reference: 200 iterations
 * on a 32×32 image, hypergradients within the float32 saddle tier, chunked runs, the piggyback-free
 * path and the compiled-plan cache.
 */
import {
  GpuJsBackend,
  ReferenceBackend,
  availableModes,
  saddleHypergradient,
  saddleSteps,
  type GpuJsMode,
  type OperatorSpec,
} from '@bilevel/kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relativeDistance } from '@bilevel/core/testing';
import { infNorm, maxScaledError, problem, randomBank } from './helpers.js';

/** Float32 saddle tiers (README): hypergradient ‖Δg‖/‖g‖ and iterate ‖Δx‖∞/‖x‖∞ after 200 iterations. */
const SADDLE = { hypergradient: 1e-4, iterate: 1e-5 } as const;

const cpuModes = (await availableModes()).filter((m): m is GpuJsMode => m === 'cpu' || m === 'webasm');
const ref = new ReferenceBackend();
const N = 32;

const operators: { name: string; op: OperatorSpec; isotropic: boolean }[] = [
  { name: 'Huber-TV anisotropic', op: { kind: 'gradient' }, isotropic: false },
  { name: 'Huber-TV isotropic', op: { kind: 'gradient' }, isotropic: true },
  { name: '4 filters 3×3 zero, anisotropic', op: { kind: 'filters', ...randomBank(4, 3, 'zero', 21, 0.3) }, isotropic: false },
  { name: '3 filters 5×5 periodic, isotropic', op: { kind: 'filters', ...randomBank(3, 5, 'periodic', 22, 0.2) }, isotropic: true },
];

describe.each(cpuModes)('gpu.js %s: PDHG + piggyback, 200 iterations on 32×32', (mode) => {
  let b: GpuJsBackend;
  beforeAll(async () => {
    b = await GpuJsBackend.create({ mode, pipelineCache: 2 });
  });
  afterAll(async () => {
    await b.dispose();
  });

  for (const { name, op, isotropic } of operators) {
    it(`${name}: hypergradient within ${SADDLE.hypergradient} of the float64 reference`, async () => {
      const spec = problem(N, N, op, isotropic, 5);
      const steps = saddleSteps(spec);
      const r64 = await ref.runSaddle(spec, steps, { iterations: 200 });
      const r32 = await b.runSaddle(spec, steps, { iterations: 200 });
      expect(r32.mode).toBe(mode);
      expect(r32.executor).toMatch(mode === 'webasm' ? /^fused-(sync|threaded)$/ : /^generic$/);
      expect(r32.piggyback).toBe(true);
      for (const key of ['x', 'X', 'xPrev'] as const) {
        expect(maxScaledError(r32[key], r64[key], () => infNorm(r64[key]))).toBeLessThan(SADDLE.iterate);
      }
      expect(maxScaledError(r32.y, r64.y, () => spec.alpha)).toBeLessThan(SADDLE.iterate);
      const g64 = saddleHypergradient(spec, r64);
      expect(relativeDistance(saddleHypergradient(spec, r32), g64)).toBeLessThan(SADDLE.hypergradient);
      // the same assembly on the device (parameter correlation / gradient + tree reductions)
      expect(relativeDistance(await b.hypergradient(spec, r32), g64)).toBeLessThan(SADDLE.hypergradient);
      expect(Math.abs(r32.loss! - r64.loss!) / r64.loss!).toBeLessThan(SADDLE.iterate);
    });
  }

  it('a chunked run (warm = previous result) reproduces the uninterrupted float32 run', async () => {
    const spec = problem(N, N, { kind: 'gradient' }, true, 6);
    const steps = saddleSteps(spec);
    const whole = await b.runSaddle(spec, steps, { iterations: 60 });
    let part = await b.runSaddle(spec, steps, { iterations: 20 });
    part = await b.runSaddle(spec, steps, { iterations: 20, warm: part });
    part = await b.runSaddle(spec, steps, { iterations: 20, warm: part });
    // float32 state round-trips through float64 exactly, so the iterates are the same
    for (const key of ['x', 'y', 'X', 'Y', 'xPrev', 'XPrev'] as const) expect(part[key]).toEqual(whole[key]);
  });

  it('without piggyback: x, y as the reference, X, Y returned as given', async () => {
    const spec = problem(N, N, { kind: 'filters', ...randomBank(2, 3, 'zero', 23, 0.3) }, false, 7);
    const steps = saddleSteps(spec);
    const warmX = new Float64Array(N * N).fill(0.25);
    const r64 = await ref.runSaddle(spec, steps, { iterations: 50, piggyback: false });
    const r32 = await b.runSaddle(spec, steps, { iterations: 50, piggyback: false, warm: { X: warmX } });
    expect(r32.piggyback).toBe(false);
    expect(maxScaledError(r32.x, r64.x, () => infNorm(r64.x))).toBeLessThan(SADDLE.iterate);
    expect(r32.X).toEqual(warmX);
    expect(r32.Y).toEqual(new Float64Array(2 * N * N));
  });

  it('keeps at most pipelineCache compiled plans', async () => {
    const spec = problem(16, 16, { kind: 'gradient' }, false, 8);
    const steps = saddleSteps(spec);
    for (const iterations of [1, 2, 3, 2]) await b.runSaddle(spec, steps, { iterations });
    expect(b.resources().pipelines).toBeLessThanOrEqual(2 + 1); // plans + at most one reduction plan
    expect(b.resources().gpus).toBe(1);
  });
});
