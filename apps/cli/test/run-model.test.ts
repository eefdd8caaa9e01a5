// `bilevel train` writes model.json: the registry's model data at the learned θ with the
// degradation and the TV weight tuned on the run's own training crops (what `eval --model` needs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelFromJson } from '@bilevel/models';
import { buildDataset, parseExperimentConfig, psnrOf, reconstructTv } from '@bilevel/cli';
import { tempDir, trainTiny } from './helpers.js';

describe('model.json of a training run', () => {
  it('holds θ of params.json, the degradation, and the best TV weight of the training crops', async () => {
    const run = await trainTiny(tempDir(), 'run');
    const spec = modelFromJson(readFileSync(join(run, 'model.json'), 'utf8'));
    const params = JSON.parse(readFileSync(join(run, 'params.json'), 'utf8')) as { theta: number[] };
    const config = parseExperimentConfig(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')));
    expect(spec.kind).toBe('smooth-tv');
    expect(spec.theta).toEqual(params.theta);
    const meta = spec.meta as { degradation: unknown; tvBaseline: { weight: number; trainPsnr: number; trainCrops: number } };
    expect(meta.degradation).toEqual(config.data.degradation);
    const { weight, trainPsnr, trainCrops } = meta.tvBaseline;
    const train = buildDataset(config, run).train;
    expect(trainCrops).toBe(train.length);
    // the stored PSNR is TV's at the stored weight on the training crops, and no grid weight beats it
    const opts = { epsilon: config.eval.epsilon, maxIterations: config.eval.maxIterations };
    const score = (w: number): number => train.reduce((a, p) => a + psnrOf(reconstructTv(config, w, p.degraded, opts).image, p.clean), 0) / train.length;
    expect(score(weight)).toBeCloseTo(trainPsnr, 10);
    for (const w of [0.01, 0.0464, 0.215, 1]) expect(score(w)).toBeLessThanOrEqual(trainPsnr + 1e-9);
  });
});
