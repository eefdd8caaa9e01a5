// `bilevel denoise --model <model.json>`: a model given as the registry's data (as the playground
// downloads it) is applied like a run directory, and the run directory's own model data gives the
// same image bit for bit.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { addGaussianNoise, centerCrop, psnr } from '@bilevel/imaging';
import { loadPhotograph, readPng, writePng } from '@bilevel/imaging/node';
import { modelToJson } from '@bilevel/models';
import { parseExperimentConfig, runModelSpec } from '@bilevel/cli';
import { cli, tempDir, trainTiny } from './helpers.js';

describe('denoise --model with a model JSON file', () => {
  const dir = tempDir();
  const noisyPath = join(dir, 'noisy.png');
  let cleanPsnr: (path: string) => number;

  beforeAll(() => {
    const clean = centerCrop(loadPhotograph('march-pastoral', { gray: true, maxSide: 96 }), 32, 32);
    writePng(noisyPath, addGaussianNoise(clean, { sigma: 0.1, seed: 4, clamp: true }));
    cleanPsnr = (path) => psnr(readPng(path), clean, { dataRange: 1 });
  });

  it('applies a hand-written Huber-TV model (meta: none → denoising) and improves the PSNR', async () => {
    const file = join(dir, 'huber.json');
    writeFileSync(file, modelToJson({ kind: 'huber-tv', options: { huber: 0.002 }, theta: [Math.log(0.08)] }));
    const r = await cli('denoise', '--model', file, noisyPath, join(dir, 'out.png'));
    expect(r.code, r.err).toBe(0);
    expect(cleanPsnr(join(dir, 'out.png'))).toBeGreaterThan(cleanPsnr(noisyPath) + 2);
    const wrong = await cli('deblur', '--model', file, noisyPath, join(dir, 'x.png'));
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/was trained for denoising/);
  });

  it('a run directory and its model data (runModelSpec) give the same image bit for bit', async () => {
    const run = await trainTiny(dir, 'run');
    const config = parseExperimentConfig(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')));
    const params = JSON.parse(readFileSync(join(run, 'params.json'), 'utf8')) as { theta: number[] };
    const file = join(dir, 'run-model.json');
    writeFileSync(file, modelToJson(runModelSpec(config, params.theta)));
    expect((await cli('denoise', '--model', run, noisyPath, join(dir, 'a.png'))).code).toBe(0);
    expect((await cli('denoise', '--model', file, noisyPath, join(dir, 'b.png'))).code).toBe(0);
    expect(readFileSync(join(dir, 'b.png')).equals(readFileSync(join(dir, 'a.png')))).toBe(true);
  });

  it('refuses bad model files with a named error', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"kind":"huber-tv","options":{},"theta":[0,1]}');
    const r = await cli('denoise', '--model', bad, noisyPath, join(dir, 'y.png'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/theta has 2 entries/);
    writeFileSync(bad, '{"kind":"nope","theta":[0]}');
    expect((await cli('denoise', '--model', bad, noisyPath, join(dir, 'y.png'))).err).toMatch(/unknown model kind 'nope'/);
    expect((await cli('denoise', '--model', join(dir, 'missing.json'), noisyPath, join(dir, 'y.png'))).err).toMatch(/no such run directory, model file or pretrained model/);
  });
});
