/**
 * The registry: every kind initialises, builds from its JSON in the same process with θ bit for
 * bit, reports its layout and derived quantities; bad model data gets a named error.
 */
import { describe, expect, it } from 'vitest';
import { Rng, ValidationError, shapeSize } from '@bilevel/core';
import { ModelRegistry, TrainingSet, builtinKinds, modelFromJson, modelToJson, models, type ModelSpec } from '@bilevel/models';

const SHAPE = [1, 8, 8];

/**
 * Smaller or more varied instances of some kinds; every other registered kind (a contributed one
 * included) is tested with its default options and initialisation.
 */
const small: Record<string, { options: Record<string, unknown>; init?: Record<string, unknown> }> = {
  'huber-tv': { options: { huber: 0.02, mode: 'isotropic' } },
  foe: { options: { filters: 3, filterSize: 3, potential: 'huber', huber: 0.05 }, init: { derivativeWeight: 0.1 } },
  icnn: { options: { filters: 4, filterSize: 3, poolFactor: 2, units: 2 }, init: { derivativeWeight: 0.5 } },
  tv: { options: { mode: 'anisotropic' } },
  'conv-icnn': { options: { filters: 4, filterSize: 3, hiddenFilterSize: 3, units: 2 }, init: { derivativeWeight: 0.5 } },
};

const instance = (kind: string) => small[kind] ?? { options: {} };

function initial(kind: string): ModelSpec {
  const c = instance(kind);
  return models.initial(kind, c.options, c.init ?? {}, { rng: Rng.seeded(3), seed: 3, shape: SHAPE });
}

describe('the model registry', () => {
  it('lists the built-in kinds, and the instances above name registered kinds', () => {
    expect(models.kinds()).toEqual(builtinKinds.map((k) => k.kind));
    expect(models.kinds()).toEqual(expect.arrayContaining(['smooth-tv', 'huber-tv', 'foe', 'icnn', 'tv']));
    for (const kind of Object.keys(small)) expect(models.kinds()).toContain(kind);
  });

  for (const kind of models.kinds()) {
    it(`${kind}: initial → JSON → build gives θ bit for bit, the layout's names and a form`, () => {
      const spec = initial(kind);
      const back = modelFromJson(modelToJson(spec));
      expect(back.kind).toBe(kind);
      expect(Float64Array.from(back.theta)).toEqual(Float64Array.from(spec.theta));
      const model = models.build(back, SHAPE);
      expect(model.params.length).toBe(spec.theta.length);
      expect([...model.params]).toEqual(spec.theta);
      expect(model.paramNames().length).toBe(spec.theta.length);
      expect(new Set(model.paramNames()).size).toBe(spec.theta.length);
      expect(model.saddle !== undefined || model.smooth !== undefined).toBe(true);
      expect(model.spec()).toEqual({ kind, options: models.options(kind, instance(kind).options), theta: spec.theta });
      expect(Object.values(models.report(spec)).every(Number.isFinite)).toBe(true);
      // projections keep θ's length and finiteness
      const theta = Float64Array.from(spec.theta);
      for (const p of model.projections) p(theta);
      expect(theta.every(Number.isFinite)).toBe(true);
    });
  }

  it('round-trips −0 and the shortest representation of every float64', () => {
    const theta = [-0, 0.1 + 0.2, Number.MIN_VALUE, -Number.MAX_VALUE, 1 / 3];
    const back = modelFromJson(modelToJson({ kind: 'x', options: {}, theta }));
    expect(back.theta.map((t) => Object.is(t, -0))).toEqual([true, false, false, false, false]);
    expect(back.theta).toEqual(theta);
  });

  it('a training set of each trainable form takes the model’s θ', () => {
    for (const kind of models.kinds()) {
      const spec = initial(kind);
      const model = models.build(spec, SHAPE);
      const clean = new Float64Array(shapeSize(SHAPE)).fill(0.5);
      const set = new TrainingSet(model, [{ degraded: clean.map((t, i) => t + 0.01 * Math.sin(i)), clean }]);
      if (model.saddle?.trainable) expect([...set.saddleModel().params]).toEqual(spec.theta);
      if (model.smooth) expect([...set.smoothModel().params]).toEqual(spec.theta);
    }
  });

  it('refuses bad model data with named errors', () => {
    expect(() => models.build({ kind: 'nope', options: {}, theta: [] }, SHAPE)).toThrow(/unknown model kind 'nope'; registered kinds: smooth-tv/);
    expect(() => models.build({ kind: 'huber-tv', options: { huber: -1 }, theta: [0] }, SHAPE)).toThrow(/huber/);
    expect(() => models.build({ kind: 'huber-tv', options: { hubr: 1 }, theta: [0] }, SHAPE)).toThrow(/hubr/);
    expect(() => models.build({ kind: 'huber-tv', options: {}, theta: [0, 1] }, SHAPE)).toThrow(/theta has 2 entries, the layout for images \[1, 8, 8\] needs 1/);
    expect(() => modelFromJson('{"kind":"huber-tv","options":{},"theta":[1e999]}')).toThrow(ValidationError);
    expect(() => modelFromJson('{"kind":"huber-tv","theta":[0, "x"]}')).toThrow(/theta\.1/);
    expect(() => modelFromJson('{ not json')).toThrow(/not valid JSON/);
    expect(() => modelFromJson('{"kind":"huber-tv","options":{},"theta":[0],"extra":1}')).toThrow(/extra/);
    expect(() => models.initial('huber-tv', {}, { logWeight: 800 }, { rng: Rng.seeded(0), seed: 0, shape: SHAPE })).toThrow(/logWeight/);
    const model = models.build(initial('huber-tv'), SHAPE);
    expect(() => model.setParams([NaN])).toThrow(/finite/);
    expect(() => new ModelRegistry(builtinKinds).register(builtinKinds[0]!)).toThrow(/already registered/);
  });
});

describe('foe with boundary valid', () => {
  it('builds both forms on the positions where the whole filter fits, and names a too small image', () => {
    for (const potential of ['huber', 'smooth'] as const) {
      const options = { filters: 2, filterSize: 3, potential, boundary: 'valid' };
      const spec = models.initial('foe', options, {}, { rng: Rng.seeded(2), seed: 2, shape: [1, 7, 9] });
      const model = models.build(spec, [1, 7, 9]);
      expect(model.spec().options.boundary).toBe('valid');
      if (potential === 'huber') expect(model.saddle!.K.range).toEqual([2, 5, 7]);
      else {
        const x = Rng.seeded(1).normalVec(63);
        expect(model.smooth!.R.gradient(x, new Float64Array(63)).every(Number.isFinite)).toBe(true);
        expect(model.smooth!.certified).toBe(true);
      }
      expect(() => models.build(models.initial('foe', { ...options, filterSize: 5 }, {}, { rng: Rng.seeded(2), seed: 2, shape: [1, 4, 9] }), [1, 4, 9])).toThrow(
        /boundary 'valid' has no output pixel: height and width must be ≥ kernelSize/,
      );
    }
  });
});
