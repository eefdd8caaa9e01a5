// Data sources of an experiment beyond the bundled photographs: real degraded/clean pairs (two
// folders matched by file name) and inpainting (a fresh random pixel mask per crop, carried by
// the sample as its data operator).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { addGaussianNoise, centerCrop, crop, type Image } from '@bilevel/imaging';
import { loadPhotograph, readImage, writePng } from '@bilevel/imaging/node';
import { buildProblem } from '@bilevel/parallel';
import { buildDataset, initialModelSpec, parseExperimentConfig, psnrOf, reconstructTv, sampleProblemOf } from '@bilevel/cli';
import { cli, tempDir, tinyConfig, trainTiny, writeConfig } from './helpers.js';

const PHOTOS = ['march-pastoral', 'nagasaki-boats', 'airplane-from-above'] as const;
const cleanImage = (k: number): Image => centerCrop(loadPhotograph(PHOTOS[k]!, { gray: true, maxSide: 96 }), 40, 40);

interface EvalJson {
  methods: { method: string; psnr: number }[];
}
const psnrOf_ = (r: EvalJson, method: string): number => r.methods.find((m) => m.method === method)!.psnr;

describe('data.source: degraded/clean pairs matched by file name', () => {
  const dir = tempDir();
  const pairsData = (extra: Record<string, unknown> = {}) => ({
    source: { degraded: 'noisy', clean: 'clean' },
    maxSide: 128,
    train: { images: ['a.png', 'b.png'], cropSize: 16, cropsPerImage: 2 },
    test: { images: ['c.png'], cropSize: 16, cropsPerImage: 1 },
    degradation: { kind: 'noise', sigma: 0.08 },
    ...extra,
  });

  beforeAll(() => {
    for (const sub of ['clean', 'noisy']) mkdirSync(join(dir, sub));
    ['a.png', 'b.png', 'c.png'].forEach((name, k) => {
      const clean = cleanImage(k);
      writePng(join(dir, 'clean', name), clean);
      writePng(join(dir, 'noisy', name), addGaussianNoise(clean, { sigma: 0.08, seed: 10 + k, clamp: true }));
    });
  });

  it('cuts every degraded crop from the degraded file at the position of its clean crop (nothing synthesised)', () => {
    const config = parseExperimentConfig(tinyConfig({ data: pairsData() }));
    const data = buildDataset(config, dir);
    expect(data.train).toHaveLength(4);
    expect(data.test).toHaveLength(1);
    for (const p of [...data.train, ...data.test]) {
      const at = { top: p.top, left: p.left, height: 16, width: 16 };
      expect(p.clean.data).toEqual(crop(readImage(join(dir, 'clean', p.source)), at).data);
      expect(p.degraded.data).toEqual(crop(readImage(join(dir, 'noisy', p.source)), at).data);
      expect(p.forward).toBeUndefined();
    }
  });

  it('trains on the pairs (folders relative to the config) and the learned model beats the noisy input', async () => {
    const out = join(dir, 'run');
    const r = await cli('train', writeConfig(dir, tinyConfig({ data: pairsData() }), 'pairs.json'), '--out', out, '--progress', 'none');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/loading data \(image pairs: degraded .*noisy, clean .*clean\)/);
    const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { data: { source: { degraded: string; clean: string } } };
    expect(saved.data.source).toMatchObject({ degraded: join(dir, 'noisy'), clean: join(dir, 'clean') });
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/image pairs: degraded/);
    const e = await cli('eval', out, '--json');
    expect(e.code, e.err).toBe(0);
    const res = JSON.parse(e.out) as EvalJson;
    expect(psnrOf_(res, 'learned')).toBeGreaterThan(psnrOf_(res, 'degraded') + 1);
  });

  it('names a file without its partner and a pair of different sizes', () => {
    mkdirSync(join(dir, 'clean2'));
    mkdirSync(join(dir, 'noisy2'));
    for (const name of ['a.png', 'b.png', 'c.png', 'd.png']) writePng(join(dir, 'clean2', name), cleanImage(0));
    for (const name of ['a.png', 'b.png', 'c.png', 'e.png']) writePng(join(dir, 'noisy2', name), cleanImage(0));
    const config = parseExperimentConfig(tinyConfig({ data: pairsData({ source: { degraded: 'noisy2', clean: 'clean2' } }) }));
    expect(() => buildDataset(config, dir)).toThrow(/no degraded image in .*noisy2 for d\.png; no clean image in .*clean2 for e\.png/);
    mkdirSync(join(dir, 'noisy3'));
    for (const name of ['a.png', 'b.png', 'c.png']) writePng(join(dir, 'noisy3', name), name === 'b.png' ? centerCrop(cleanImage(1), 32, 40) : cleanImage(1));
    const sizes = parseExperimentConfig(tinyConfig({ data: pairsData({ source: { degraded: 'noisy3', clean: 'clean' } }) }));
    expect(() => buildDataset(sizes, dir)).toThrow(/b\.png is 40×40 in .*clean but 40×32 in .*noisy3/);
  });

  it('refuses inpainting as the data term of pairs, and unknown source keys', () => {
    expect(() => parseExperimentConfig(tinyConfig({ data: pairsData({ degradation: { kind: 'inpainting', fraction: 0.5 } }), model: { kind: 'smooth-tv', ridge: 0.001 } }))).toThrow(
      /pairs carry no masks/,
    );
    expect(() => parseExperimentConfig(tinyConfig({ data: pairsData({ source: { degraded: 'noisy', clean: 'clean', extra: 1 } }) }))).toThrow(
      /data.source: unknown key "extra" \(allowed keys here: degraded, clean, testFraction\)/,
    );
  });
});

describe('data.degradation: inpainting with a per-sample mask', () => {
  const dir = tempDir();
  const inpainting = (noise = 0): Record<string, unknown> => ({
    data: { ...(tinyConfig().data as object), degradation: { kind: 'inpainting', fraction: 0.4, noise } },
    model: { kind: 'smooth-tv', init: { logWeight: -3, logSmoothing: -3 }, ridge: 0.001 },
  });

  it('draws a fresh mask per crop with exactly round(fraction·n) missing pixels; y = M(x + σε) and the sample operator is M', () => {
    const data = buildDataset(parseExperimentConfig(tinyConfig(inpainting())));
    const masks = [...data.train, ...data.test].map((p) => {
      expect(p.forward).toBeDefined();
      const m = p.forward!.apply(new Float64Array(256).fill(1), new Float64Array(256));
      expect(m.filter((v) => v === 0)).toHaveLength(Math.round(0.4 * 256));
      expect(m.every((v) => v === 0 || v === 1)).toBe(true);
      // noise 0: the observed pixels are the clean ones, the missing ones 0
      p.degraded.data.forEach((y, i) => expect(y).toBe(m[i]! * p.clean.data[i]!));
      return m.join('');
    });
    expect(new Set(masks).size).toBe(masks.length);
    const noisy = buildDataset(parseExperimentConfig(tinyConfig(inpainting(0.05))));
    const p = noisy.train[0]!;
    const m = p.forward!.apply(new Float64Array(256).fill(1), new Float64Array(256));
    p.degraded.data.forEach((y, i) => (m[i] === 0 ? expect(y).toBe(0) : expect(y).not.toBe(p.clean.data[i])));
  });

  it('the training problem every compute engine rebuilds carries each crop its own mask', () => {
    const config = parseExperimentConfig(tinyConfig(inpainting()));
    const data = buildDataset(config);
    const problem = sampleProblemOf(config, data.train, initialModelSpec(config, [1, 16, 16]));
    const { set } = buildProblem(problem);
    const ones = new Float64Array(256).fill(1);
    data.train.forEach((p, i) => {
      const rebuilt = set.samples[i]!.forward;
      expect(rebuilt).toBeDefined();
      expect(rebuilt!.apply(ones, new Float64Array(256))).toEqual(p.forward!.apply(ones, new Float64Array(256)));
    });
  });

  it('needs model.ridge > 0', () => {
    expect(() => parseExperimentConfig(tinyConfig({ ...inpainting(), model: { kind: 'smooth-tv' } }))).toThrow(/model.ridge: inpainting/);
  });

  it('TV with the sample mask and a trained smooth-TV model fill the missing pixels far better than the masked input', async () => {
    const config = parseExperimentConfig(tinyConfig(inpainting(0.02)));
    const data = buildDataset(config);
    const opts = { epsilon: 1e-4, maxIterations: 3000 };
    for (const p of data.test) {
      expect(psnrOf(reconstructTv(config, 0.02, p.degraded, opts, p.forward).image, p.clean)).toBeGreaterThan(psnrOf(p.degraded, p.clean) + 8);
    }
    const run = await trainTiny(dir, 'inpaint', { ...inpainting(0.02), budget: { iterations: 3 } });
    const e = await cli('eval', run, '--json');
    expect(e.code, e.err).toBe(0);
    const res = JSON.parse(e.out) as EvalJson;
    expect(res.methods.find((m) => m.method === 'degraded')).toMatchObject({ label: 'masked input' });
    expect(psnrOf_(res, 'learned')).toBeGreaterThan(psnrOf_(res, 'degraded') + 8);
    expect(psnrOf_(res, 'tv')).toBeGreaterThan(psnrOf_(res, 'degraded') + 8);
    // and on a folder of images through model.json (its degradation draws the masks)
    mkdirSync(join(dir, 'images'));
    writePng(join(dir, 'images', 'x.png'), cleanImage(0));
    const f = await cli('eval', '--model', run, '--images', join(dir, 'images'), '--json');
    expect(f.code, f.err).toBe(0);
    const fr = JSON.parse(f.out) as { learned_psnr: number; tv_psnr: number; input_psnr: number };
    expect(fr.learned_psnr).toBeGreaterThan(fr.input_psnr + 8);
    expect(fr.tv_psnr).toBeGreaterThan(fr.input_psnr + 8);
  });
});
