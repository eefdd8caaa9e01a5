// The pretrained models of apps/cli/models: each loads by name, carries its provenance (the one
// command and config that retrain it), and `bilevel eval --model <name> --images …` with its
// stated evaluation options reproduces its stated numbers: by default on the first crops, each
// against its stored per-crop numbers (whose means are the stated results); with
// BILEVEL_REPRODUCE=full (`pnpm reproduce:models`) on every crop. Plus `--images stdlib:test` and
// the errors of an unknown name.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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

  /**
   * By default each model is re-measured on its first {@link SUBSET} crops (`--limit`), each
   * crop's six numbers against the stored `per_image`; `BILEVEL_REPRODUCE=full` (`pnpm
   * reproduce:models`) re-measures every crop and the stated means, as a release check does.
   */
  const full = process.env.BILEVEL_REPRODUCE === 'full';
  const SUBSET = 3;
  const METRICS = ['input_psnr', 'tv_psnr', 'learned_psnr', 'input_ssim', 'tv_ssim', 'learned_ssim'] as const;
  type Row = { name: string } & Record<(typeof METRICS)[number], number>;

  it.each(names)('%s: the stored per-crop numbers average to its stated results', (name) => {
    const r = loadLearnedModel(name).provenance!.results as Record<(typeof METRICS)[number], number> & { images: number; per_image?: Row[] };
    expect(r.per_image, `${name}: meta.provenance.results.per_image`).toBeDefined();
    const rows = r.per_image!;
    expect(rows).toHaveLength(r.images);
    expect(new Set(rows.map((p) => p.name)).size).toBe(rows.length);
    for (const k of METRICS) expect(rows.reduce((a, p) => a + p[k], 0) / rows.length, k).toBeCloseTo(r[k], 6);
  });

  it.each(names)(`%s: \`bilevel eval --model <name>\` reproduces its stated numbers (${full ? 'every crop' : `the first ${SUBSET} crops; every crop with BILEVEL_REPRODUCE=full`})`, async (name) => {
    if (missing.includes(name)) {
      console.warn(`${name}: its evaluation images ${imagesOf(name)} are not on this machine (apps/cli/models/README.md says where to get them); not re-measured`);
      return;
    }
    const p = loadLearnedModel(name).provenance!;
    const e = p.evaluation;
    const stored = p.results.per_image!;
    const args = ['--images', imagesOf(name), ...(e.crops ? ['--crops', `${e.crops}`] : []), ...(e.cropSize ? ['--crop-size', `${e.cropSize}`] : []),
      ...(e.maxSide ? ['--max-side', `${e.maxSide}`] : []), ...(e.seed !== undefined ? ['--seed', `${e.seed}`] : []), ...(full ? [] : ['--limit', `${SUBSET}`])];
    const r = await cli('eval', '--model', name, ...args, '--json');
    expect(r.code, r.err).toBe(0);
    const got = JSON.parse(r.out) as Row & { images: number; per_image: Row[] };
    const expected = full ? stored : stored.slice(0, SUBSET);
    expect(got.per_image.map((q) => q.name)).toEqual(expected.map((q) => q.name));
    got.per_image.forEach((q, i) => {
      for (const k of METRICS) expect(q[k], `${q.name} ${k}`).toBeCloseTo(expected[i]![k], 6);
    });
    if (full) {
      expect(got.images).toBe(p.results.images);
      for (const k of ['input_psnr', 'tv_psnr', 'learned_psnr'] as const) expect(got[k], k).toBeCloseTo(p.results[k], 6);
    }
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
    const p = (spec.meta as { provenance: { config: unknown; results: { images: number; learned_psnr: number; per_image: Row[] }; training: { seconds: number; work: number } } }).provenance;
    expect(p.config).toEqual(exact);
    // seconds in optimizer steps and work, from run.json's results or (trained with --no-report) the log
    const last = readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { wallTime: number; totalIterations: number }).at(-1)!;
    expect(p.training.work).toBe(last.totalIterations);
    expect(p.training.seconds).toBeCloseTo(last.wallTime / 1000, 9);
    expect(p.results.images).toBe(3);
    // each crop's numbers, as `bilevel eval --json` prints them, and the model file with them loads
    const again = await cli('eval', '--model', run, '--images', 'stdlib:test', '--crops', '1', '--crop-size', '16', '--max-side', '64', '--json');
    expect(again.code, again.err).toBe(0);
    expect(p.results.per_image).toEqual((JSON.parse(again.out) as { per_image: Row[] }).per_image);
    expect(p.results.learned_psnr).toBeCloseTo(p.results.per_image.reduce((a, q) => a + q.learned_psnr, 0) / 3, 12);
    const file = join(tempDir(), 'tiny.json');
    writeFileSync(file, make(exact));
    expect(loadLearnedModel(file).provenance!.results.per_image).toEqual(p.results.per_image);
    expect(() => make({ ...exact, seed: ran.seed + 1 })).toThrow(/differs from the run's config at seed/);
    expect(() => make({ ...exact, budget: { iterations: 7 } })).toThrow(ValidationError);
    expect(() => make({ ...exact, budget: { iterations: 6, wallTimeSeconds: 60 } })).toThrow(/budget \{ "iterations": 6 \}/);
  }, 300_000);
});
