/**
 * The piggyback estimator on a compute backend through its one `backend` option: the float64
 * reference backend reproduces the float64 oracle; the gpu.js backend (float32) agrees within the
 * float32 tolerance tier of the saddle hypergradient.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '@bilevel/core';
import { relativeDistance } from '@bilevel/core/testing';
import { PiggybackOracle, squaredError } from '@bilevel/hypergrad';
import { GpuJsBackend, ReferenceBackend } from '@bilevel/kernels';
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
  const gpu = GpuJsBackend.create({ mode: 'cpu' });
  afterAll(async () => (await gpu).dispose());

  it('the model is declarative (single channel, zero boundary)', () => {
    expect(model.saddleSpec?.(0)?.operator.kind).toBe('filters');
  });

  it('the float64 reference backend reproduces the float64 oracle', async () => {
    const backend = new ReferenceBackend();
    const r = await new PiggybackOracle({ model, loss: squaredError(), backend }).evaluateAsync(theta, [0, 1], tol);
    expect(relativeDistance(r.gradient, reference.gradient)).toBeLessThan(1e-6);
    expect(r.epsilon).toBeLessThanOrEqual(tol.epsilon);
    expect(Number.isFinite(r.bound)).toBe(true);
  });

  it('the gpu.js backend (float32) agrees within the float32 tier (1e-4 relative)', async () => {
    const backend = await gpu;
    const r = await new PiggybackOracle({ model, loss: squaredError(), backend, maxIterations: 3000 }).evaluateAsync(theta, [0, 1], {
      epsilon: 1e-4,
      delta: 1e-4,
    });
    expect(relativeDistance(r.gradient, reference.gradient)).toBeLessThan(1e-4);
    expect(backend.mode).toBe('cpu');
  });
});
