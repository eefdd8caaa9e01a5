/**
 * The playground trains what `bilevel train` trains. A session's setup is an experiment config
 * of the CLI (`session.experiment`); the CLI, run in-process on that config file, reaches the
 * session's θ after the same number of iterations — bit for bit, and in particular to 1e-8 —
 * with the same loss at every iteration (smooth and saddle forms, one crop and several, the
 * identity and per-crop masks). Both build their samples with the data pipeline of
 * `@bilevel/imaging`, their model with the registry, their optimizer with `optimizerFromSpec`;
 * the CLI solves the samples on its compute engine (worker threads), the session in-process. A
 * different seed gives a different θ, so the comparison can fail.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExperimentConfig, readJsonLines, readParams, runCli, runFile } from '@bilevel/cli';
import { loadPhotograph } from '@bilevel/imaging/node';
import { afterAll, describe, expect, it } from 'vitest';
import { METHODS, experimentConfig, type TrainingSettings } from '../src/worker/experiment.js';
import { MODEL_KINDS } from '../src/worker/model.js';
import { TrainingSession, type StepReport } from '../src/worker/session.js';

const PHOTO = 'nagasaki-boats';
const MAX_SIDE = 256;
const dir = mkdtempSync(join(tmpdir(), 'bilevel-cli-parity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Train `config` with the CLI into a fresh run folder; θ and the loss of every logged iteration. */
async function cliTrain(config: unknown, name: string): Promise<{ theta: number[]; losses: number[] }> {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(config, null, 2));
  const out = join(dir, name);
  mkdirSync(out);
  const lines: string[] = [];
  const code = await runCli(['train', path, '--out', out, '--no-report', '--progress', 'none'], { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  expect(code, lines.join('\n')).toBe(0);
  return { theta: [...readParams(out).theta], losses: readJsonLines<{ loss: number }>(runFile(out, 'log')).map((r) => r.loss) };
}

const maxAbsDifference = (a: readonly number[], b: readonly number[]): number => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

const CASES: { label: string; settings: TrainingSettings; iterations: number }[] = [
  {
    label: '2-parameter smoothed TV on a 64² crop, noise, MAID (implicit, float64)',
    settings: { cropSize: 64, crops: 1, degradation: { kind: 'noise', sigma: 0.1 }, model: { kind: 'smooth-tv' }, method: 'maid', seed: 0 },
    iterations: 4,
  },
  {
    label: 'smoothed TV on two 32² crops with their own inpainting masks, MAID (ridge μ)',
    settings: { cropSize: 32, crops: 2, degradation: { kind: 'inpainting', fraction: 0.3, noise: 0.02 }, model: { kind: 'smooth-tv' }, method: 'maid', seed: 3 },
    iterations: 3,
  },
  {
    label: 'Huber-TV on two 32² crops, noise, the adaptive piggyback step (saddle form, piggyback)',
    settings: { cropSize: 32, crops: 2, degradation: { kind: 'noise', sigma: 0.1 }, model: { kind: 'huber-tv' }, method: 'adaptive', seed: 5 },
    iterations: 3,
  },
];

describe('the page\'s setup as a config of `bilevel train`', () => {
  it('every choice of model, method and degradation is a config the CLI accepts (an uploaded image as a folder)', () => {
    const degradations = [
      { kind: 'noise', sigma: 0.1 },
      { kind: 'blur', size: 5, sigma: 1, noise: 0.02 },
      { kind: 'inpainting', fraction: 0.5, noise: 0.02 },
    ] as const;
    let checked = 0;
    for (const kind of MODEL_KINDS) {
      for (const method of METHODS) {
        if (kind === 'smooth-tv' && method === 'adaptive') {
          expect(() => experimentConfig({ model: { kind }, method }, { name: PHOTO, maxSide: MAX_SIDE })).toThrow(/saddle-form model/);
          continue;
        }
        for (const degradation of degradations) {
          const config = experimentConfig({ cropSize: 32, crops: 2, degradation, model: { kind }, method, seed: 2 }, { name: PHOTO, maxSide: MAX_SIDE }, 7);
          const parsed = parseExperimentConfig(config, `${kind}/${method}/${degradation.kind}`);
          expect(parsed.data.train).toEqual({ ...config.data.train, images: [PHOTO] });
          expect(parsed.budget.iterations).toBe(7);
          checked++;
        }
      }
    }
    expect(checked).toBe(3 * 3 * 3 + 2 * 3);
    const uploaded = experimentConfig({ model: { kind: 'tv' } }, { name: 'my photo.png', maxSide: 300 });
    expect(uploaded.data).toMatchObject({ source: { folder: '.' }, train: { images: ['my photo.png'] }, test: { images: ['my photo.png'] }, allowTrainTestOverlap: true });
    expect(() => parseExperimentConfig(uploaded)).not.toThrow();
  });
});

describe('the playground and `bilevel train` on the same config', () => {
  const image = { name: PHOTO, image: loadPhotograph(PHOTO, { gray: true, maxSide: MAX_SIDE }) };
  const first: { config?: TrainingSession['experiment']; theta?: number[] } = {};

  for (const [k, c] of CASES.entries()) {
    it(`${c.label}: the same θ and losses, bit for bit`, async () => {
      const session = new TrainingSession(image, c.settings, { maxSide: MAX_SIDE, iterations: c.iterations });
      const reports: StepReport[] = [];
      for (let i = 0; i < c.iterations; i++) reports.push(await session.step());
      const theta = session.model().theta;
      const cli = await cliTrain(session.experiment, `case-${k}`);
      const diff = maxAbsDifference(cli.theta, theta);
      console.warn(`${c.label}: θ playground ${JSON.stringify(theta)}, CLI ${JSON.stringify(cli.theta)}, max |Δθ| = ${diff}`);
      expect(diff).toBeLessThanOrEqual(1e-8);
      expect(cli.theta).toEqual(theta);
      expect(cli.losses).toEqual(reports.map((r) => r.loss));
      if (k === 0) Object.assign(first, { config: session.experiment, theta });
    }, 300_000);
  }

  it('the comparison can fail: the same config with another seed trains another θ', async () => {
    expect(first.config).toBeDefined();
    const other = await cliTrain({ ...first.config!, seed: first.config!.seed + 1 }, 'other-seed');
    expect(maxAbsDifference(other.theta, first.theta!)).toBeGreaterThan(1e-6);
  }, 300_000);
});
