/**
 * The playground's models as data: validation of the JSON, exact round trips, the parameter
 * counts, and the WebAssembly Huber-TV path of `reconstruct` against the generic PDHG on the
 * same model (`Σ Huber_ε(α|∇x|) = α Σ Huber_{ε/α}(|∇x|)`).
 */
import { Rng } from '@bilevel/core';
import { describe, expect, it } from 'vitest';
import { MODEL_KINDS, buildTrainingModel, initialModel, parseModelJson, reconstruct, thetaLength } from '../src/worker/model.js';

function noisySquare(n: number, seed: number): { channels: number; height: number; width: number; data: Float64Array } {
  const rng = Rng.seeded(seed);
  const data = new Float64Array(n * n);
  for (let p = 0; p < n * n; p++) data[p] = (Math.floor(p / n) > n / 3 && p % n < n / 2 ? 0.8 : 0.2) + 0.1 * rng.normal();
  return { channels: 1, height: n, width: n, data };
}

describe('model JSON', () => {
  it('every kind has the form { kind, options, theta } and round-trips through JSON exactly', () => {
    for (const kind of MODEL_KINDS) {
      const m = initialModel(kind, {}, 3);
      expect(Object.keys(m).sort()).toEqual(['kind', 'options', 'theta']);
      expect(m.theta).toHaveLength(thetaLength(m));
      const back = parseModelJson(JSON.parse(JSON.stringify(m)));
      expect(back).toEqual(m);
      expect(Float64Array.from(back.theta)).toEqual(Float64Array.from(m.theta));
    }
    expect(initialModel('huber-tv').options).toEqual({ huber: 0.002, mode: 'isotropic', boundary: 'neumann' });
    expect(initialModel('smooth-tv').theta).toHaveLength(2);
  });

  it('refuses an unknown kind, unknown options and a θ of the wrong length, saying what is wrong', () => {
    expect(() => parseModelJson({ kind: 'nope', options: {}, theta: [1] })).toThrow(/kind/);
    expect(() => parseModelJson({ kind: 'huber-tv', options: { hubr: 1 }, theta: [1] })).toThrow(/hubr/);
    expect(() => parseModelJson({ kind: 'smooth-tv', options: {}, theta: [1] })).toThrow(/has 2 parameters, theta has 1/);
    expect(() => parseModelJson({ kind: 'tv', theta: [Number.NaN] })).toThrow(/theta/);
  });

  it('the FoE model is declarative (a compute backend can run it) with a periodic boundary, not with blur', () => {
    const y = noisySquare(16, 1);
    const foe = initialModel('foe', { filters: 2, filterSize: 3 }, 1);
    expect(buildTrainingModel(foe, [{ degraded: y, clean: y }]).declarative).toBe(true);
    expect(buildTrainingModel(initialModel('huber-tv'), [{ degraded: y, clean: y }]).declarative).toBe(false);
  });
});

describe('reconstruct', () => {
  it('isotropic Huber-TV: the WebAssembly kernel and the generic PDHG of the same model agree', () => {
    const y = noisySquare(32, 2);
    const m = { kind: 'huber-tv' as const, options: { huber: 0.01, mode: 'isotropic' }, theta: [0.15] };
    const fast = reconstruct(m, y, {}, { epsilon: 1e-7, maxIterations: 20000 });
    const generic = reconstruct(m, y, {}, { epsilon: 1e-7, maxIterations: 20000, kernel: 'js-f64' });
    expect(fast.solver).toBe('WebAssembly Huber-TV PDHG');
    expect(generic.solver).toBe('PDHG');
    let err = 0;
    for (let i = 0; i < y.data.length; i++) err = Math.max(err, Math.abs(fast.image.data[i]! - generic.image.data[i]!));
    expect(err).toBeLessThan(fast.distance + generic.distance + 1e-9);
    expect(err).toBeLessThan(1e-5);
    // and it denoises: closer to the piecewise-constant image than the data
    expect(fast.iterations).toBeGreaterThan(0);
  });

  it('smoothed TV by FISTA, per channel of an RGB image', () => {
    const g = noisySquare(16, 4);
    const rgb = { channels: 3, height: 16, width: 16, data: Float64Array.from([...g.data, ...g.data, ...g.data]) };
    const r = reconstruct({ kind: 'smooth-tv', options: {}, theta: [-2, -4] }, rgb, {}, { epsilon: 1e-6 });
    expect(r.solver).toBe('FISTA');
    expect(r.image.data.subarray(0, 256)).toEqual(r.image.data.subarray(256, 512));
    expect(r.distance).toBeLessThanOrEqual(1e-6);
  });
});
