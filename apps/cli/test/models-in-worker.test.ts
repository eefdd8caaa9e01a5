/**
 * Models are data (issue 15): every registered model kind, sent as JSON text together with the
 * sample arrays to a fresh `worker_threads` Worker, is rebuilt there through the registry and gives
 * hypergradients — piggyback for a trainable saddle form, implicit differentiation for a smooth
 * form — bit-identical to the main thread's (loss, gradient and bound). The worker runs the
 * TypeScript sources through tsx's loader with the `@bilevel/source` condition (no build needed).
 * Lives in the app because it needs `@bilevel/hypergrad`, which `@bilevel/models` may not depend on.
 */
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@bilevel/core';
import { modelToJson, models, type ModelSpec, type TrainingSample } from '@bilevel/models';
import { noisySamples } from './helpers.js';
import { hypergradients, type FormHypergradient, type WorkerInput } from './workers/hypergradients.js';

const SHAPE = [1, 8, 8];
const BOOTSTRAP = new URL('./workers/tsx-worker.mjs', import.meta.url);
const ENTRY = new URL('./workers/hypergradients.worker.ts', import.meta.url).href;

/** Run the hypergradients of `input` in a fresh worker thread. */
function inWorker(input: WorkerInput): Promise<FormHypergradient[][]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(BOOTSTRAP, { execArgv: ['--conditions=@bilevel/source'], workerData: { ...input, entry: ENTRY } });
    worker.once('message', (m: FormHypergradient[][]) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => (code !== 0 ? reject(new Error(`worker exited with code ${code}`)) : undefined));
  });
}

/** The bits of a float64 array (distinguishes −0 from 0 and NaN payloads). */
const bits = (a: Float64Array): bigint[] => Array.from(new BigUint64Array(Float64Array.from(a).buffer));

let samples: TrainingSample[] = [];
let specs: ModelSpec[] = [];
let main: FormHypergradient[][] = [];
let worker: FormHypergradient[][] = [];

beforeAll(async () => {
  samples = noisySamples(8);
  // every registered kind at its default options and initialisation (a contributed kind included)
  specs = models.kinds().map((kind, k) => models.initial(kind, {}, {}, { rng: Rng.seeded(10 + k), seed: 10 + k, shape: SHAPE }));
  worker = await inWorker({ models: specs.map((s) => modelToJson(s)), shape: SHAPE, samples });
  main = specs.map((s) => hypergradients(s, SHAPE, samples));
}, 300_000);

describe('models as data: hypergradients in a worker thread', () => {
  it('every registered kind has a trainable form here', () => {
    expect(main.map((forms) => forms.length > 0)).toEqual(models.kinds().map(() => true));
    expect(worker.length).toBe(models.kinds().length);
  });

  for (const [k, kind] of models.kinds().entries()) {
    it(`${kind}: rebuilt from its JSON in a fresh worker, its hypergradients are bit-identical to the main thread's`, () => {
      expect(worker[k]!.map((f) => f.oracle)).toEqual(main[k]!.map((f) => f.oracle));
      main[k]!.forEach((m, j) => {
        const w = worker[k]![j]!;
        expect(w.gradient).toBeInstanceOf(Float64Array);
        expect(bits(w.gradient)).toEqual(bits(m.gradient));
        expect(Object.is(w.loss, m.loss)).toBe(true);
        expect(Object.is(w.bound, m.bound)).toBe(true);
        expect(m.gradient.every(Number.isFinite)).toBe(true);
      });
    });
  }

  it('the comparison is sharp: θ moved by 1e-12 (relative) gives different bits', () => {
    const k = models.kinds().indexOf('huber-tv');
    const spec = specs[k]!;
    const moved = hypergradients({ ...spec, theta: spec.theta.map((t) => t * (1 + 1e-12)) }, SHAPE, samples);
    expect(bits(moved[0]!.gradient)).not.toEqual(bits(main[k]![0]!.gradient));
    expect(Math.abs(moved[0]!.gradient[0]! - main[k]![0]!.gradient[0]!)).toBeLessThan(1e-9 * Math.abs(main[k]![0]!.gradient[0]!));
  });
});
