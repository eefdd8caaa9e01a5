/**
 * The ICNN kinds' start at a sum of experts (`init.experts`): the FoE kind's experts, the exact
 * identity `R_θ(x) − R_θ(0) = Σ_i c_i Σ_p Huber_{ν_i}((k_i ⋆ x)_p)` against the Huber FoE's own
 * saddle potential (convolutional and pooled hidden layers, equal and smaller expert filters),
 * the smooth FoE within its `√(t² + ν²)`-vs-Huber difference, and the errors of misfit starts.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '@bilevel/core';
import { models, type ModelSpec } from '@bilevel/models';

const rng = Rng.seeded(41);
const shape = [1, 12, 12];

/** `R_θ(x)` of an ICNN model from its saddle form at the exact lifting `z = σ(W₀x + b₀)`. */
function icnnValue(spec: ModelSpec, x: Float64Array): number {
  const m = models.build(spec, shape).saddle!;
  const X = new Float64Array(x.length + m.lifting!.auxiliarySize);
  X.set(x);
  m.lifting!.start(x, X.subarray(x.length));
  return m.f!.value(m.K.apply(X, new Float64Array(m.K.range[0]!)));
}

/** `R(x) = f(Kx)` of a FoE model's saddle form (the Huber potential). */
function foeValue(spec: ModelSpec, x: Float64Array): number {
  const m = models.build(spec, shape).saddle!;
  return m.f!.value(m.K.apply(x, new Float64Array(m.K.range.reduce((a, b) => a * b, 1))));
}

/** A trained-looking Huber FoE: `J` random zero-mean filters of side `k`, Huber width `ε`. */
function huberFoe(J: number, k: number, epsilon: number, boundary = 'symmetric'): ModelSpec {
  return models.initial('foe', { filters: J, filterSize: k, potential: 'huber', huber: epsilon, boundary }, { filterScale: 3 }, { rng, seed: 3, shape });
}

const icnnOptions = { filterSize: 5, units: 2, slope: 0.2, smoothing: 0.004, hiddenSmoothing: 0.01, hiddenBias: 0.02, outputWeight: 0.3, boundary: 'symmetric' };

describe('experts of the foe kind', () => {
  it('are c_i = ½e^{θ₀+θ_i}, ν_i = e^{s_i} (smooth) or c_i = 1, ν_i = ε (Huber), with the kernels of θ', () => {
    const smooth = models.initial('foe', { filters: 3, filterSize: 3 }, { logWeight: -2, logFilterWeight: -1, logSmoothing: -4 }, { rng, seed: 1, shape });
    const e = models.experts(smooth);
    expect([e.count, e.size, e.channels]).toEqual([3, 3, 1]);
    for (let i = 0; i < 3; i++) {
      expect(e.weights[i]).toBeCloseTo(0.5 * Math.exp(-3), 15);
      expect(e.smoothings[i]).toBeCloseTo(Math.exp(-4), 15);
    }
    expect(Array.from(e.kernels)).toEqual(smooth.theta.slice(7));
    const huber = models.experts(huberFoe(2, 3, 0.07));
    expect(Array.from(huber.weights)).toEqual([1, 1]);
    expect(Array.from(huber.smoothings)).toEqual([0.07, 0.07]);
  });

  it('are refused for kinds that are not a sum of experts', () => {
    const tv = models.initial('huber-tv', {}, {}, { rng, seed: 1, shape });
    expect(() => models.experts(tv)).toThrow(/not a sum of experts/);
  });
});

describe('ICNN start at experts', () => {
  const asData = (e: ReturnType<typeof models.experts>) => ({ ...e, kernels: Array.from(e.kernels), weights: Array.from(e.weights), smoothings: Array.from(e.smoothings) });

  for (const [kind, extra] of [
    ['conv-icnn', { hiddenFilterSize: 3 }],
    ['conv-icnn', { hiddenFilterSize: 1, boundary: 'reflect' }],
    ['icnn', { poolFactor: 4 }],
  ] as const) {
    for (const k of [5, 3]) {
      it(`${kind} ${JSON.stringify(extra)}, ${k}×${k} experts in 5×5 filters: R_θ(x) − R_θ(0) is the Huber FoE's value (to 1e-12)`, () => {
        const foe = huberFoe(3, k, 0.05, 'boundary' in extra ? extra.boundary : 'symmetric');
        const spec = models.initial(kind, { ...icnnOptions, ...extra, filters: 7 }, { experts: asData(models.experts(foe)), randomScale: 0.5 }, { rng, seed: 9, shape });
        const zero = icnnValue(spec, new Float64Array(144));
        for (let trial = 0; trial < 3; trial++) {
          const x = rng.normalVec(144).map((t) => 0.5 + 0.2 * t);
          const expected = foeValue(foe, x);
          expect(Math.abs(icnnValue(spec, x) - zero - expected)).toBeLessThan(1e-12 * expected);
        }
      });
    }
  }

  it('form smooth: the same identity for R_θ itself (no lifting), FISTA/implicit-ready; smoothing 0 is refused', () => {
    const foe = huberFoe(3, 5, 0.05);
    const options = { ...icnnOptions, form: 'smooth', filters: 6 };
    const spec = models.initial('conv-icnn', options, { experts: asData(models.experts(foe)) }, { rng, seed: 9, shape });
    const model = models.build(spec, shape);
    expect(model.saddle).toBeUndefined();
    const R = model.smooth!.R;
    expect(model.smooth!.certified).toBe(false);
    const zero = R.value(new Float64Array(144));
    const x = rng.normalVec(144).map((t) => 0.5 + 0.2 * t);
    const expected = foeValue(foe, x);
    expect(Math.abs(R.value(x) - zero - expected)).toBeLessThan(1e-12 * expected);
    expect(() => models.build({ ...spec, options: { ...options, smoothing: 0 } }, shape)).toThrow(/form "smooth" needs smoothing > 0/);
  });

  it('control: with hiddenBias 0 the units turn quadratic on flat regions and the identity fails', () => {
    const foe = huberFoe(3, 5, 0.05);
    const spec = models.initial('conv-icnn', { ...icnnOptions, hiddenBias: 0, filters: 6 }, { experts: asData(models.experts(foe)) }, { rng, seed: 9, shape });
    const x = rng.normalVec(144).map((t) => 0.5 + 0.02 * t);
    const expected = foeValue(foe, x);
    expect(Math.abs(icnnValue(spec, x) - icnnValue(spec, new Float64Array(144)) - expected)).toBeGreaterThan(1e-3 * expected);
  });

  it('from a smooth FoE: within Σ_i c_i·ν_i/2 per pixel of the smooth FoE (√(t² + ν²) − ν vs Huber_ν)', () => {
    const foe = models.initial('foe', { filters: 2, filterSize: 5, boundary: 'symmetric' }, { logWeight: -1, logFilterWeight: 0, logSmoothing: -5, filterScale: 3 }, { rng, seed: 4, shape });
    const e = models.experts(foe);
    const spec = models.initial('conv-icnn', { ...icnnOptions, filters: 4 }, { experts: asData(e) }, { rng, seed: 9, shape });
    const R = models.build(foe, shape).smooth!.R;
    const x0 = new Float64Array(144);
    const x = rng.normalVec(144).map((t) => 0.5 + 0.2 * t);
    const foeDelta = R.value(x) - R.value(x0);
    const icnnDelta = icnnValue(spec, x) - icnnValue(spec, x0);
    let slack = 0;
    for (let i = 0; i < e.count; i++) slack += (e.weights[i]! * e.smoothings[i]!) / 2;
    expect(Math.abs(icnnDelta - foeDelta)).toBeLessThanOrEqual(slack * 144);
    expect(Math.abs(icnnDelta - foeDelta)).toBeLessThan(0.05 * foeDelta);
  });

  it('names what does not fit: too few filters, channels, a larger filter, no smoothing, two starts', () => {
    const e = asData(models.experts(huberFoe(3, 5, 0.05)));
    const init = (o: object, i: object = {}) => () => models.initial('conv-icnn', { ...icnnOptions, filters: 6, ...o }, { experts: e, ...i }, { rng, seed: 1, shape });
    expect(init({ filters: 5 })).toThrow(/3 experts need filters ≥ 6 \(a ± pair each\), got 5/);
    expect(init({ filterSize: 3 })).toThrow(/larger than the network's 3×3/);
    expect(init({ smoothing: 0 })).toThrow(/needs smoothing > 0/);
    expect(init({}, { derivativeWeight: 1 })).toThrow(/two different starts/);
    expect(() => models.initial('conv-icnn', { ...icnnOptions, filters: 6, channels: 3 }, { experts: e }, { rng, seed: 1, shape: [3, 12, 12] })).toThrow(/span 1 channel/);
    expect(() => models.initial('conv-icnn', { ...icnnOptions, filters: 6 }, { experts: { ...e, weights: [1] } }, { rng, seed: 1, shape })).toThrow(/count weights/);
  });
});
