// `bilevel eval --model … --images <dir>`: a learned model against the TV weight stored with it,
// on any folder of images degraded with a fixed seed; numbers checked against an independent
// recomputation, `--limit` against the full evaluation, and named errors for empty folders,
// unreadable images, models without a baseline and bad limits.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { centerCrop, clampImage, crop, degradeImage, psnr, ssim, streamFor, toGray } from '@bilevel/imaging';
import { loadPhotograph, readImage, writePng } from '@bilevel/imaging/node';
import { modelFromJson, modelToJson } from '@bilevel/models';
import { evaluateModelOnFolder, reconstructModel, reconstructTvBaseline } from '@bilevel/cli';
import { cli, tempDir, trainTiny } from './helpers.js';

interface Result {
  images: number;
  tv_weight: number;
  input_psnr: number;
  tv_psnr: number;
  learned_psnr: number;
  input_ssim: number;
  tv_ssim: number;
  learned_ssim: number;
  per_image: { name: string; input_psnr: number; tv_psnr: number; learned_psnr: number; learned_ssim: number }[];
}

describe('eval --model --images', () => {
  const dir = tempDir();
  const images = join(dir, 'images');
  let run = '';

  beforeAll(async () => {
    mkdirSync(images);
    writePng(join(images, 'a.png'), centerCrop(loadPhotograph('march-pastoral', { gray: true, maxSide: 96 }), 24, 24));
    writePng(join(images, 'b.png'), crop(loadPhotograph('nagasaki-boats', { gray: true, maxSide: 96 }), { top: 10, left: 20, height: 24, width: 32 }));
    // a colour image is converted to gray for a gray model
    writePng(join(images, 'c.png'), centerCrop(loadPhotograph('airplane-from-above', { maxSide: 96 }), 24, 24));
    run = await trainTiny(dir, 'run');
  }, 120_000);

  const evalJson = async (...args: string[]): Promise<Result> => {
    const r = await cli('eval', '--model', run, '--images', images, '--json', ...args);
    expect(r.code, r.err).toBe(0);
    return JSON.parse(r.out) as Result;
  };

  it('reports the input, the stored-TV baseline and the learned model per image, as recomputed independently', async () => {
    const r = await evalJson();
    const spec = modelFromJson(readFileSync(join(run, 'model.json'), 'utf8'));
    const meta = spec.meta as { tvBaseline: { weight: number }; degradation: { kind: 'noise'; sigma: number; clamp: boolean } };
    expect(r.images).toBe(3);
    expect(r.tv_weight).toBe(meta.tvBaseline.weight);
    expect(r.per_image.map((p) => p.name)).toEqual(['a.png', 'b.png', 'c.png']);
    const noise = streamFor(0, 'testNoise');
    const opts = { epsilon: 1e-4, maxIterations: 3000 };
    r.per_image.forEach((p) => {
      const clean = readImage(join(images, p.name));
      const gray = toGray(clean);
      const y = degradeImage(gray, meta.degradation, noise);
      expect(p.input_psnr).toBeCloseTo(psnr(clampImage(y), gray, { dataRange: 1 }), 10);
      const tv = reconstructTvBaseline({ degradation: meta.degradation, ridge: 0 }, meta.tvBaseline.weight, y, opts).image;
      expect(p.tv_psnr).toBeCloseTo(psnr(clampImage(tv), gray, { dataRange: 1 }), 10);
      const x = reconstructModel(spec, {}, y, opts).image;
      expect(p.learned_psnr).toBeCloseTo(psnr(clampImage(x), gray, { dataRange: 1 }), 10);
      expect(p.learned_ssim).toBeCloseTo(ssim(clampImage(x), gray, { dataRange: 1 }), 10);
      expect(p.learned_psnr).toBeGreaterThan(p.input_psnr + 2);
      expect(p.tv_psnr).toBeGreaterThan(p.input_psnr + 2);
    });
    expect(r.learned_psnr).toBeCloseTo(r.per_image.reduce((a, p) => a + p.learned_psnr, 0) / 3, 12);
    expect(r.input_ssim).toBeLessThan(r.learned_ssim);
  });

  it('is reproducible for a seed; --sigma, --seed and --crops change what they should', async () => {
    const base = await evalJson('--seed', '3');
    expect(await evalJson('--seed', '3')).toEqual(base);
    const other = await evalJson('--seed', '4');
    expect(other.input_psnr).not.toBe(base.input_psnr);
    const lighter = await evalJson('--seed', '3', '--sigma', '0.05');
    expect(lighter.input_psnr).toBeGreaterThan(base.input_psnr + 4); // σ halved: +6 dB before clipping
    const crops = await evalJson('--crops', '2', '--crop-size', '16');
    expect(crops.images).toBe(6);
    expect(crops.per_image.map((p) => p.name)).toEqual(['a.png#0', 'a.png#1', 'b.png#0', 'b.png#1', 'c.png#0', 'c.png#1']);
  });

  it('--limit n: exactly the first n entries of the full evaluation (same crops, same noise); other values refused by name', async () => {
    const all = await evalJson('--crops', '2', '--crop-size', '16', '--seed', '5');
    expect(all.images).toBe(6);
    for (const n of [2, 3]) {
      // 3 crosses to the second image: its crops and noise still follow the full run's
      const first = await evalJson('--crops', '2', '--crop-size', '16', '--seed', '5', '--limit', `${n}`);
      expect(first.images).toBe(n);
      expect(first.per_image).toEqual(all.per_image.slice(0, n));
      expect(first.learned_psnr).toBeCloseTo(all.per_image.slice(0, n).reduce((a, p) => a + p.learned_psnr, 0) / n, 12);
    }
    const r = await cli('eval', '--model', run, '--images', images, '--limit', '2');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/on the first 2 of 3 image\(s\)/);
    expect((await evalJson('--limit', '50')).per_image).toEqual((await evalJson()).per_image);
    for (const bad of ['0', '-1', '1.5', 'two']) {
      const e = await cli('eval', '--model', run, '--images', images, '--limit', bad);
      expect(e.code, bad).toBe(2);
      expect(e.err).toMatch(new RegExp(`option '--limit <n>' argument '${bad.replace('.', '\\.')}' is invalid\\. must be an integer ≥ 1`));
    }
    // the library entry point checks it too, naming the option
    for (const limit of [0, -1, 1.5]) expect(() => evaluateModelOnFolder({ model: run, images, limit, write: () => {} })).toThrow(/invalid bilevel eval options:\n {2}limit: must be/);
    const e = await cli('eval', run, '--limit', '2');
    expect(e.code).toBe(1);
    expect(e.err).toMatch(/--limit goes with --model and --images/);
  });

  it('prints a human-readable summary without --json, and the run-dir form still works', async () => {
    const r = await cli('eval', '--model', run, '--images', images);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/mean over 3: input [\d.]+ dB .* TV [\d.]+ dB .* learned [\d.]+ dB/);
    const old = await cli('eval', run, '--json');
    expect(old.code, old.err).toBe(0);
    expect(JSON.parse(old.out).format).toBe('bilevel-eval');
  });

  it("leaves out the model's training images (meta.trainingImages) unless --include-training", async () => {
    const spec = modelFromJson(readFileSync(join(run, 'model.json'), 'utf8'));
    // a run's model.json names the photographs it was trained on
    expect((spec.meta as { trainingImages: string[] }).trainingImages).toEqual(['airplane-from-above']);
    const file = join(dir, 'trained-on-b.json');
    writeFileSync(file, modelToJson({ ...spec, meta: { ...spec.meta, trainingImages: ['b.png', 'elsewhere.png'] } }));
    const r = await cli('eval', '--model', file, '--images', images, '--json');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/leaving out 1 training image\(s\) .*: b\.png \(--include-training keeps them\)/);
    const held = JSON.parse(r.out) as Result;
    const all = await evalJson();
    expect(held.per_image.map((p) => p.name)).toEqual(['a.png', 'c.png']);
    expect(held.per_image[0]).toEqual(all.per_image[0]); // the noise stream runs over the evaluated images in order
    const kept = await cli('eval', '--model', file, '--images', images, '--include-training', '--json');
    expect(kept.code, kept.err).toBe(0);
    expect((JSON.parse(kept.out) as Result).per_image).toEqual(all.per_image);

    writeFileSync(file, modelToJson({ ...spec, meta: { ...spec.meta, trainingImages: ['a.png', 'b.png', 'c.png'] } }));
    const none = await cli('eval', '--model', file, '--images', images);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/every image is one .* was trained on \(a\.png, b\.png, c\.png\).*--include-training/);
  });

  it('refuses an empty folder, an unreadable image, a model without a TV baseline and mixed forms, by name', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const e1 = await cli('eval', '--model', run, '--images', empty);
    expect(e1.code).toBe(1);
    expect(e1.err).toMatch(/no PNG or JPEG files .*empty/);

    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'broken.png'), 'not an image');
    const e2 = await cli('eval', '--model', run, '--images', bad);
    expect(e2.code).toBe(1);
    expect(e2.err).toMatch(/broken\.png/);

    const file = join(dir, 'no-baseline.json');
    writeFileSync(file, modelToJson({ kind: 'huber-tv', options: { huber: 0.002 }, theta: [Math.log(0.08)], meta: { degradation: { kind: 'noise', sigma: 0.1 } } }));
    const e3 = await cli('eval', '--model', file, '--images', images);
    expect(e3.code).toBe(1);
    expect(e3.err).toMatch(/stores no TV baseline.*bilevel train.*--tv-weight/);
    const withWeight = await cli('eval', '--model', file, '--images', images, '--tv-weight', '0.05', '--json');
    expect(withWeight.code, withWeight.err).toBe(0);
    expect(JSON.parse(withWeight.out).tv_weight).toBe(0.05);

    const e4 = await cli('eval', run, '--model', run, '--images', images);
    expect(e4.code).toBe(1);
    expect(e4.err).toMatch(/either a run directory or --model/);
    const e5 = await cli('eval', '--model', run);
    expect(e5.code).toBe(1);
    expect(e5.err).toMatch(/--model and --images go together/);
  });
});
