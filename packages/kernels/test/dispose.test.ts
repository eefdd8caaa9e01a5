/**
 * Deterministic release: `dispose()` destroys every kernel, pipeline (and its worker pool) and
 * the gpu.js instance; creating and disposing backends many times leaves no live instance and
 * does not grow the heap without bound (gpu.js #523, #625, #815, #841).
 */
import { describeSaddle } from '@bilevel/core';
import { DisposedError, GpuJsBackend, availableModes, liveGpuInstances, type GpuJsMode } from '@bilevel/kernels';
import { Piggyback, pdhgSteps } from '@bilevel/solvers';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { denoising } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const cpuModes = (await availableModes()).filter((m): m is GpuJsMode => m === 'cpu' || m === 'webasm');
const problem = denoising('gradient', true, 3, 96);
const spec = describeSaddle(problem)!;
const steps = pdhgSteps(problem);
const grid = { height: 96, width: 96 };

/** One create → use every kind of resource → dispose cycle. */
async function cycle(mode: GpuJsMode, threads: boolean): Promise<void> {
  const b = await GpuJsBackend.create({ mode, threads });
  await b.runSaddle(spec, steps, { iterations: 3 });
  await b.sumOfSquares(problem.target);
  await b.gradient(problem.target, grid);
  // the registered kernel, driven by the engine, shares the backend's kernels
  const unregister = b.register();
  const engine = new Piggyback({ backend: 'gpujs-f32' });
  engine.step(engine.init(problem));
  unregister();
  const r = b.resources();
  expect(r.gpus).toBe(1);
  expect(r.pipelines).toBeGreaterThanOrEqual(2);
  expect(r.kernels).toBeGreaterThan(0);
  await b.dispose();
  expect(b.resources()).toEqual({ gpus: 0, kernels: 0, pipelines: 0 });
}

describe.each(cpuModes)('gpu.js %s: dispose', (mode) => {
  it('releases everything, lets the gpu.js instance be collected and rejects later calls', async () => {
    const before = liveGpuInstances();
    const b = await GpuJsBackend.create({ mode });
    expect(liveGpuInstances()).toBe(before + 1);
    await b.runSaddle(spec, steps, { iterations: 2 });
    let gpu: { kernels: unknown[]; pipelines: unknown[] } | null = (b as unknown as { gpu: { kernels: unknown[]; pipelines: unknown[] } }).gpu;
    expect(gpu.kernels.length).toBeGreaterThan(0);
    expect(gpu.pipelines.length).toBeGreaterThan(0);
    const weak = new WeakRef(gpu);
    await b.dispose();
    await b.dispose(); // idempotent
    expect(gpu.pipelines).toHaveLength(0);
    // webasm kernels leave the instance's list on destroy; gpu.js's cpu kernels do not (their
    // destroy is a no-op), so the backend drops the instance instead
    if (mode === 'webasm') expect(gpu.kernels).toHaveLength(0);
    gpu = null;
    expect(liveGpuInstances()).toBe(before);
    expect(b.disposed).toBe(true);
    expect(b.resources()).toEqual({ gpus: 0, kernels: 0, pipelines: 0 });
    await expect(b.runSaddle(spec, steps, { iterations: 1 })).rejects.toThrow(DisposedError);
    // collection is not immediate: give pending timers/teardown a few turns
    for (let k = 0; k < 20 && weak.deref() !== undefined; k++) {
      await new Promise((r) => setTimeout(r, 10));
      gc();
    }
    expect(weak.deref()).toBeUndefined();
  });

  it('create/dispose many times: no live instance left, memory does not grow', async () => {
    const before = liveGpuInstances();
    const threads = mode === 'webasm';
    const settle = async (): Promise<number> => {
      for (let k = 0; k < 2; k++) {
        await new Promise((r) => setTimeout(r, 5));
        gc();
      }
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    for (let i = 0; i < 3; i++) await cycle(mode, threads); // warm up module caches
    const m0 = await settle();
    for (let i = 0; i < 6; i++) await cycle(mode, threads && i % 3 === 0);
    const m1 = await settle();
    for (let i = 0; i < 6; i++) await cycle(mode, false);
    const m2 = await settle();
    expect(liveGpuInstances()).toBe(before);
    // loose bounds: a backend that is not released keeps ≈1.5 MB (cpu) to ≈5 MB (webasm) per
    // cycle at 96×96, i.e. 8–30 MB per round of 6; measured growth with dispose is flat (≈2 MB once)
    expect(m2 - m0).toBeLessThan(8e6);
    expect(m2 - m1).toBeLessThan(4e6);
  });
});
