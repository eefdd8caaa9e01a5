// The pretrained models of apps/cli/models: each loads by name, carries its provenance (the one
// command and config that retrain it), and `bilevel eval --model <name> --images …` with its
// stated evaluation options reproduces its stated numbers. Plus `--images stdlib:test` and the
// errors of an unknown name.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPhotographs } from '@bilevel/imaging/node';
import { ValidationError } from '@bilevel/core';
import { modelFromJson } from '@bilevel/models';
import { parseExperimentConfig } from '../src/config/schema.js';
import { loadEvaluationImages } from '../src/eval-folder.js';
import { MODELS_DIR, loadLearnedModel, shippedModelNames, shippedModelPath } from '../src/model-source.js';
import { pretrainedModelJson } from '../src/pretrained.js';
import { readRunConfig } from '../src/run/status.js';
import { cli, tempDir, trainTiny } from './helpers.js';

const names = shippedModelNames();

describe('pretrained models', () => {
  it('ships the models the README lists, each with its provenance', () => {
    expect(names.length).toBeGreaterThanOrEqual(1);
    const readme = readFileSync(join(MODELS_DIR, 'README.md'), 'utf8');
    for (const name of names) {
      expect(readme, `${name} is described in apps/cli/models/README.md`).toContain(`\`${name}\``);
      const model = loadLearnedModel(name);
      const p = model.provenance!;
      expect(p, name).toBeDefined();
      // the config it was trained with is a valid experiment config of this app, for the model it ships
      const config = parseExperimentConfig(p.config);
      expect(config.model.kind).toBe(model.spec.kind);
      expect(config.data.degradation).toEqual(model.degradation);
      expect(p.command).toMatch(/^bilevel train /);
      expect(model.tvBaseline?.weight, `${name}: the TV weight tuned on its training data`).toBeGreaterThan(0);
    }
  });

  /** A model's evaluation images: the bundled photographs, or a folder relative to the repository root (e.g. the Kodak suite beside the repository). */
  const imagesOf = (name: string): string => {
    const images = loadLearnedModel(name).provenance!.evaluation.images;
    return images.startsWith('stdlib') ? images : resolve(MODELS_DIR, '..', '..', '..', images);
  };
  const missing = names.filter((n) => !existsSync(imagesOf(n)) && !imagesOf(n).startsWith('stdlib'));

  it.each(names)('%s: `bilevel eval --model <name>` reproduces its stated numbers', async (name) => {
    if (missing.includes(name)) {
      console.warn(`${name}: its evaluation images ${imagesOf(name)} are not on this machine (apps/cli/models/README.md says where to get them); not re-measured`);
      return;
    }
    const p = loadLearnedModel(name).provenance!;
    const e = p.evaluation;
    const args = ['--images', imagesOf(name), ...(e.crops ? ['--crops', `${e.crops}`] : []), ...(e.cropSize ? ['--crop-size', `${e.cropSize}`] : []),
      ...(e.maxSide ? ['--max-side', `${e.maxSide}`] : []), ...(e.seed !== undefined ? ['--seed', `${e.seed}`] : [])];
    const r = await cli('eval', '--model', name, ...args, '--json');
    expect(r.code, r.err).toBe(0);
    const got = JSON.parse(r.out) as { images: number; input_psnr: number; tv_psnr: number; learned_psnr: number };
    expect(got.images).toBe(p.results.images);
    for (const k of ['input_psnr', 'tv_psnr', 'learned_psnr'] as const) expect(got[k], k).toBeCloseTo(p.results[k], 6);
  }, 1_200_000);

  it('`--images stdlib:test` are the bundled test photographs; unknown names are refused with the list', async () => {
    const a = loadEvaluationImages('stdlib:test', { gray: true, maxSide: 64 });
    expect(a.map((i) => i.name)).toEqual(loadPhotographs('test', { gray: true, maxSide: 64 }).map((i) => i.name));
    expect(loadEvaluationImages('stdlib', { maxSide: 32 })).toHaveLength(9);
    expect(shippedModelPath('../etc/passwd')).toBeUndefined();
    const r = await cli('denoise', '--model', 'no-such-model', 'in.png', 'out.png');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no such run directory, model file or pretrained model/);
    if (names.length) expect(r.err).toContain(names[0]);
    const list = await cli('experiments', '--models', '--json');
    expect(list.code, list.err).toBe(0);
    expect((JSON.parse(list.out) as { name: string }[]).map((m) => m.name)).toEqual(names);
  });

  it("pretrainedModelJson: the run's θ with provenance; refuses a config that would not retrain the same θ", async () => {
    const run = await trainTiny(tempDir(), 'run');
    const ran = readRunConfig(run);
    const evaluation = { images: 'stdlib:test', crops: 1, cropSize: 16, maxSide: 64, seed: 0 };
    const make = (config: typeof ran) => pretrainedModelJson(run, { name: 'tiny', command: 'bilevel train tiny.json', config, evaluation, write: () => {} });
    const exact = { ...ran, budget: { iterations: 6 }, checkpointEvery: 3 };
    const spec = modelFromJson(make(exact));
    expect(spec.theta).toEqual(modelFromJson(readFileSync(join(run, 'model.json'), 'utf8')).theta);
    const p = (spec.meta as { provenance: { config: unknown; results: { images: number }; training: { seconds: number; work: number } } }).provenance;
    expect(p.config).toEqual(exact);
    // seconds in optimizer steps and work, from run.json's results or (trained with --no-report) the log
    const last = readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { wallTime: number; totalIterations: number }).at(-1)!;
    expect(p.training.work).toBe(last.totalIterations);
    expect(p.training.seconds).toBeCloseTo(last.wallTime / 1000, 9);
    expect(p.results.images).toBe(3);
    expect(() => make({ ...exact, seed: ran.seed + 1 })).toThrow(/differs from the run's config at seed/);
    expect(() => make({ ...exact, budget: { iterations: 7 } })).toThrow(ValidationError);
    expect(() => make({ ...exact, budget: { iterations: 6, wallTimeSeconds: 60 } })).toThrow(/budget \{ "iterations": 6 \}/);
  }, 300_000);
});
