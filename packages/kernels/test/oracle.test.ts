/**
 * The piggyback estimator on a compute backend through its one `backend` option: the training
 * set describes each sample (the one problem description, with the loss ½‖x − x†‖²) and the
 * gpu.js backend (float32) runs it, agreeing with the float64 oracle within the float32 tolerance
 * tier of the saddle hypergradient; and the same through its `kernel` option (`gpujs-f32`: the
 * registered gpu.js kernel inside the solver's synchronous solves).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '@bilevel/core';
import { relativeDistance } from '@bilevel/core/testing';
import { PiggybackOracle, squaredError } from '@bilevel/hypergrad';
import { GpuJsBackend, gpuJsSaddleParams } from '@bilevel/kernels';
import { TrainingSet, models } from '@bilevel/models';

const S = 16;
const rng = Rng.seeded(11);
const pairs = [0, 1].map(() => {
  const target = new Float64Array(S * S);
  for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) target[i * S + j] = i > 5 && j > 4 && j < 12 ? 0.8 : 0.3;
  return { target, degraded: target.map((t) => t + 0.1 * rng.normal()) };
});
const kernels = rng.normalVec(3 * 9).map((t) => 0.3 * t);
const model = new TrainingSet(
  models.build({ kind: 'foe', options: { potential: 'huber', filters: 3, filterSize: 3, huber: 0.05, boundary: 'zero' }, theta: [...kernels] }, [1, S, S]),
  pairs.map((p) => ({ degraded: p.degraded, clean: p.target })),
  { start: 'zero' },
).saddleModel();
const theta = Float64Array.from(model.params);
const tol = { epsilon: 1e-7, delta: 1e-7 };
const reference = new PiggybackOracle({ model, loss: squaredError() }).evaluate(theta, [0, 1], tol);

describe('PiggybackOracle with a compute backend', () => {
  const gpu = GpuJsBackend.create({ mode: 'webasm' });
  afterAll(async () => (await gpu).dispose());

  it('the model describes its samples: the filter bank, the data term and the loss the oracle solves', () => {
    const d = model.saddleSpec?.(0);
    expect(d?.K).toMatchObject({ kind: 'filter-bank', inChannels: 1, outChannels: 3, kernelSize: 3, boundary: 'zero' });
    expect(d?.g).toMatchObject({ kind: 'quadratic-fidelity', data: pairs[0]!.degraded, mu: 0 });
    expect(d?.loss).toEqual({ kind: 'squared-error', reduction: 'sum' });
    expect(d?.target).toEqual(pairs[0]!.target);
    expect(gpuJsSaddleParams(d!, true)).toMatchObject({ planes: 3, groupSize: 1, lambda: 1, loss: { scale: 1 } });
  });

  it('the gpu.js backend (float32) agrees within the float32 tier (1e-4 relative)', async () => {
    const backend = await gpu;
    const r = await new PiggybackOracle({ model, loss: squaredError(), backend, maxIterations: 3000 }).evaluateAsync(theta, [0, 1], {
      epsilon: 1e-4,
      delta: 1e-4,
    });
    expect(relativeDistance(r.gradient, reference.gradient)).toBeLessThan(1e-4);
    // the float32 clip is exact at ±α (α = 1 here), so the host certificates of the float32
    // iterates reach the tolerance instead of running to maxIterations
    expect(r.epsilon).toBeLessThanOrEqual(1e-4);
    expect(r.cost.iterations).toBeLessThan(2 * 3000);
    expect(backend.mode).toBe('webasm');
  });

  it("kernel 'gpujs-f32': the synchronous solves run the registered gpu.js kernel and agree within the float32 tier (1e-4 relative)", async () => {
    const unregister = (await gpu).register();
    try {
      const oracle = new PiggybackOracle({ model, loss: squaredError(), kernel: 'gpujs-f32', maxIterations: 3000 });
      const r = oracle.evaluate(theta, [0, 1], { epsilon: 1e-4, delta: 1e-4 });
      expect(oracle.lastKernel).toEqual({ name: 'gpujs-webasm', backend: 'gpujs-f32' });
      expect(relativeDistance(r.gradient, reference.gradient)).toBeLessThan(1e-4);
      expect(r.epsilon).toBeLessThanOrEqual(1e-4);
      expect(r.cost.iterations).toBeLessThan(2 * 3000);
    } finally {
      unregister();
    }
  });
});
