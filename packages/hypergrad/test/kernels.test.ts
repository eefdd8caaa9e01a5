/**
 * The piggyback oracle on the fused kernels: the registry's `huber-tv` models dispatch to the
 * WebAssembly Huber-TV kernel and its `foe` models (Huber potential) to the filter-bank kernel as
 * built, and their hypergradients, losses and costs match the generic composition
 * (hypergradients to 1e-10 relative) on odd sizes, widths 1–3, several channels, both groupings
 * resp. every boundary, and both loss reductions.
 */
import { describe, expect, it } from 'vitest';
import { Rng, nrm2, type SaddleModel } from '@bilevel/core';
import { models } from '@bilevel/models';
import { PiggybackOracle, squaredError } from '@bilevel/hypergrad';
import { trained } from './fixtures.js';

const rel = (a: Float64Array, b: Float64Array): number => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(d) / nrm2(b.length, b);
};

function pairs(C: number, H: number, W: number, count: number, seed: number) {
  const rng = Rng.seeded(seed);
  return Array.from({ length: count }, () => {
    const target = Float64Array.from({ length: C * H * W }, (_, i) => ((i % W) * 3 + Math.floor(i / W) > W ? 0.75 : 0.25));
    return { target, degraded: target.map((t) => t + 0.1 * rng.normal()) };
  });
}

/**
 * The oracle on the fused kernel `kernel` against the generic composition at tolerances 1e-4 and
 * 1e-9 on samples 0, 1, then a loss-only solve on the fused kernel.
 */
function expectParity(model: SaddleModel, reduction: 'sum' | 'mean', kernel: string): void {
  const theta = Float64Array.from(model.params);
  const loss = squaredError({ reduction });
  const fused = new PiggybackOracle({ model, loss });
  const generic = new PiggybackOracle({ model, loss, kernel: 'js-f64' });
  for (const tol of [1e-4, 1e-9]) {
    const f = fused.evaluate(theta, [0, 1], { epsilon: tol, delta: tol });
    expect(fused.lastKernel).toEqual({ name: kernel, backend: 'wasm-f64' });
    const g = generic.evaluate(theta, [0, 1], { epsilon: tol, delta: tol });
    expect(generic.lastKernel).toEqual({ name: 'generic', backend: 'js-f64' });
    expect(rel(f.gradient, g.gradient)).toBeLessThanOrEqual(1e-10);
    expect(Math.abs(f.loss - g.loss)).toBeLessThanOrEqual(1e-12 * g.loss);
    expect(f.cost).toEqual(g.cost);
    expect(f.stop).toBe(g.stop);
    // the certificates agree to rounding (absolutely: at 1e-9 they are rounding-level residuals
    // themselves), so the bounds built from them agree to a few digits
    expect(Math.abs(f.bound - g.bound)).toBeLessThanOrEqual(1e-3 * g.bound);
    expect(Math.abs(f.epsilon - g.epsilon)).toBeLessThanOrEqual(1e-9 * Math.max(1, g.epsilon));
    // warm starts come back as the generic ones would
    for (const k of ['x', 'y', 'X', 'Y'] as const) expect(rel(f.warm.get(0)![k]!, g.warm.get(0)![k]!)).toBeLessThanOrEqual(1e-10);
  }
  const l = fused.loss(theta, [1], 1e-8);
  expect(fused.lastKernel).toEqual({ name: kernel, backend: 'wasm-f64' });
  expect(l.stop).toBe('converged');
}

describe('PiggybackOracle on the fused kernels', () => {
  const cases = [
    { shape: [1, 11, 9], mode: 'isotropic', reduction: 'sum' },
    { shape: [1, 11, 9], mode: 'anisotropic', reduction: 'mean' },
    { shape: [2, 7, 3], mode: 'isotropic', reduction: 'mean' },
    { shape: [3, 5, 2], mode: 'anisotropic', reduction: 'sum' },
    { shape: [1, 9, 1], mode: 'isotropic', reduction: 'sum' },
  ] as const;
  for (const c of cases) {
    const [C, H, W] = c.shape;
    it(`${C}×${H}×${W} ${c.mode}, loss ${c.reduction}: the model runs fused; hypergradients match the generic composition to 1e-10`, () => {
      const model = trained({ kind: 'huber-tv', options: { huber: 0.01, mode: c.mode }, theta: [Math.log(0.1)] }, [C, H, W], pairs(C, H, W, 2, C * H * W)).saddle();
      expectParity(model, c.reduction, 'huber-tv');
    });
  }

  const bankCases = [
    { shape: [1, 11, 9], filters: 4, filterSize: 3, boundary: 'reflect', reduction: 'sum' },
    { shape: [1, 9, 13], filters: 3, filterSize: 5, boundary: 'symmetric', reduction: 'mean' },
    { shape: [1, 13, 11], filters: 5, filterSize: 7, boundary: 'zero', reduction: 'sum' },
    { shape: [3, 7, 5], filters: 3, filterSize: 3, boundary: 'periodic', reduction: 'mean' },
    { shape: [1, 9, 3], filters: 2, filterSize: 3, boundary: 'symmetric', reduction: 'sum' },
    { shape: [1, 11, 9], filters: 3, filterSize: 5, boundary: 'valid', reduction: 'mean' },
    { shape: [3, 9, 7], filters: 2, filterSize: 3, boundary: 'valid', reduction: 'sum' },
    { shape: [1, 7, 3], filters: 2, filterSize: 3, boundary: 'valid', reduction: 'sum' },
  ] as const;
  for (const c of bankCases) {
    const [C, H, W] = c.shape;
    it(`foe ${C}×${H}×${W}, ${c.filters} filters ${c.filterSize}×${c.filterSize} ${c.boundary}, loss ${c.reduction}: runs fused; hypergradients match the generic composition to 1e-10`, () => {
      const options = { filters: c.filters, filterSize: c.filterSize, channels: C, boundary: c.boundary, potential: 'huber', huber: 0.02 };
      const spec = models.initial('foe', options, { filterScale: 0.3, derivativeWeight: 0.1 }, { rng: Rng.seeded(C * H + W), seed: 7, shape: [C, H, W] });
      expectParity(trained(spec, [C, H, W], pairs(C, H, W, 2, C * H * W + 1)).saddle(), c.reduction, 'filter-bank');
    });
  }

  it('kernel: wasm-f64 refuses a model the fused kernel does not run', () => {
    const model = trained({ kind: 'huber-tv', options: { huber: 0.01, boundary: 'periodic' }, theta: [-2] }, [1, 6, 6], pairs(1, 6, 6, 1, 3)).saddle();
    const theta = Float64Array.from(model.params);
    expect(() => new PiggybackOracle({ model, loss: squaredError(), kernel: 'wasm-f64' }).evaluate(theta, [0], { epsilon: 1e-3, delta: 1e-3 })).toThrow(/no wasm-f64 kernel/);
    const auto = new PiggybackOracle({ model, loss: squaredError() });
    auto.evaluate(theta, [0], { epsilon: 1e-3, delta: 1e-3 });
    expect(auto.lastKernel?.backend).toBe('js-f64');
  });

  it('kernel: every backend the solver takes; gpujs-f32 reaches the registry (no gpu.js kernel registered here), a backend it does not know is refused', () => {
    const model = trained({ kind: 'huber-tv', options: { huber: 0.01 }, theta: [-2] }, [1, 6, 6], pairs(1, 6, 6, 1, 3)).saddle();
    const theta = Float64Array.from(model.params);
    const oracle = new PiggybackOracle({ model, loss: squaredError(), kernel: 'gpujs-f32' });
    // the solver's registry lists the wasm-f64 kernels it has and says how to register gpu.js ones
    expect(() => oracle.evaluate(theta, [0], { epsilon: 1e-3, delta: 1e-3 })).toThrow(/no gpujs-f32 kernel runs this piggyback problem \(registered: none; register gpu\.js kernels/);
    expect(() => new PiggybackOracle({ model, loss: squaredError(), kernel: 'webgl' as never })).toThrow(/kernel.*"auto"\|"wasm-f64"\|"gpujs-f32"\|"js-f64"/s);
  });
});
