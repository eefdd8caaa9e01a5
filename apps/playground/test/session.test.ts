/**
 * Training sessions in Node (the worker's code path): the replayed asynchronous step equals the
 * synchronous one bit for bit, MAID decreases the loss on every degradation, and the settings
 * are validated with useful messages.
 */
import { ImplicitOracle, PiggybackOracle, squaredError } from '@bilevel/hypergrad';
import { imagePairs } from '@bilevel/imaging';
import { loadPhotograph } from '@bilevel/imaging/node';
import { iadam, maid, type Optimizer, type OptimizerState } from '@bilevel/optimizers';
import { describe, expect, it } from 'vitest';
import { AsyncStepper, promisedOracle } from '../src/worker/async-step.js';
import { buildTrainingModel, initialModel } from '../src/worker/model.js';
import { TrainingSession } from '../src/worker/session.js';

const photo = { name: 'nagasaki-boats', image: loadPhotograph('nagasaki-boats', { gray: true, maxSide: 128 }) };
/** `count` noisy crops of `size` from the pipeline both apps use. */
const noisyPairs = (size: number, count: number, seed: number) =>
  imagePairs([photo], { part: 'train', seed, crops: { cropSize: size, cropsPerImage: count }, degradation: { kind: 'noise', sigma: 0.1 } });

describe('AsyncStepper (replay against promised answers)', () => {
  it('MAID on smoothed TV: the same θ, records and warm starts as the direct steps', async () => {
    const samples = noisyPairs(24, 2, 1);
    const make = () => {
      const built = buildTrainingModel(initialModel('smooth-tv'), samples);
      if (built.form !== 'smooth') throw new Error('smooth expected');
      return new ImplicitOracle({ model: built.model, loss: squaredError({ reduction: 'sum' }) });
    };
    const opt = maid({ epsilon0: 0.1, delta0: 0.1, stepSize0: 0.01 }) as Optimizer<OptimizerState>;
    const direct = opt.init(Float64Array.of(-5, -5));
    const oracle = make();
    const stepper = new AsyncStepper(opt, promisedOracle(make()));
    let replayed = opt.init(Float64Array.of(-5, -5));
    for (let k = 0; k < 3; k++) {
      const a = opt.step(oracle, direct);
      const b = await stepper.step(replayed);
      replayed = b.state;
      const { wallTime: _a, stepTime: _b, ...ra } = a;
      const { wallTime: _c, stepTime: _d, ...rb } = b.record;
      expect(rb).toEqual(ra);
      expect(replayed.theta).toEqual(direct.theta);
      expect(replayed.warm.get(0)!.x).toEqual(direct.warm.get(0)!.x);
    }
    expect(stepper.questions).toBeGreaterThanOrEqual(6); // MAID asks for a hypergradient and trial losses each step
  });

  it('inexact Adam on a small FoE (saddle, piggyback): the same trajectory', async () => {
    const samples = noisyPairs(16, 2, 2);
    const json = initialModel('foe', { filters: 2, filterSize: 3 }, 5);
    const make = () => {
      const built = buildTrainingModel(json, samples);
      if (built.form !== 'saddle') throw new Error('saddle expected');
      return { oracle: new PiggybackOracle({ model: built.model, loss: squaredError({ reduction: 'sum' }) }), project: built.projections };
    };
    const { oracle, project } = make();
    const opt = iadam({ stepSize0: 5e-4, epsilon0: 0.05, batchSize: 1, seed: 3, project: [...project] }) as Optimizer<OptimizerState>;
    const direct = opt.init(Float64Array.from(json.theta));
    const stepper = new AsyncStepper(opt, promisedOracle(make().oracle));
    let replayed = opt.init(Float64Array.from(json.theta));
    for (let k = 0; k < 3; k++) {
      opt.step(oracle, direct);
      replayed = (await stepper.step(replayed)).state;
    }
    expect(replayed.theta).toEqual(direct.theta);
  });
});

describe('TrainingSession', () => {
  for (const degradation of [
    { kind: 'noise', sigma: 0.1 },
    { kind: 'blur', size: 5, sigma: 1, noise: 0.02 },
    { kind: 'inpainting', fraction: 0.4, noise: 0.02 },
  ] as const) {
    it(`smoothed TV with MAID on ${degradation.kind}: the loss decreases, bound finite`, async () => {
      const s = new TrainingSession(photo, { cropSize: 24, degradation, model: { kind: 'smooth-tv' }, method: 'maid', seed: 4 });
      const reports = [];
      for (let k = 0; k < 3; k++) reports.push(await s.step());
      expect(reports.at(-1)!.loss).toBeLessThan(reports[0]!.loss);
      for (const r of reports) expect(Number.isFinite(r.bound)).toBe(true);
      expect(s.model().theta).toHaveLength(2);
    });
  }

  it('Huber-TV with the adaptive piggyback step improves the reconstruction', async () => {
    const s = new TrainingSession(photo, { cropSize: 24, model: { kind: 'huber-tv' }, method: 'adaptive', seed: 1 });
    const first = await s.step();
    let last = first;
    for (let k = 0; k < 3; k++) last = await s.step();
    expect(last.loss).toBeLessThan(first.loss);
    expect(s.onBackend).toBe(false);
  });

  it('refuses the adaptive step for a smooth model and a crop larger than the image', () => {
    expect(() => new TrainingSession(photo, { cropSize: 24, model: { kind: 'smooth-tv' }, method: 'adaptive' })).toThrow(/saddle-form model/);
    expect(() => new TrainingSession(photo, { cropSize: 200, model: { kind: 'tv' } })).toThrow(/smaller than the crop size 200/);
    expect(() => new TrainingSession(photo, { model: { kind: 'tv' }, degradation: { kind: 'noise', sigma: -1 } })).toThrow(/sigma/);
  });
});
