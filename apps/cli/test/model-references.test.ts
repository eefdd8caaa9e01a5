/**
 * Model references in a config file: `model.init.experts` naming a pretrained model or a model
 * file (relative to the config) is replaced by that model's experts when the file is loaded, and
 * the ICNN built from it starts at them; references to models without experts are named errors.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR, loadExperimentConfig, parseExperimentConfig } from '@bilevel/cli';
import { models } from '@bilevel/models';
import { tempDir, tinyConfig, writeConfig } from './helpers.js';

const gray = 'foe-denoise-gray-σ0.1';
const icnn = (experts: unknown) =>
  tinyConfig({
    model: { kind: 'conv-icnn', filters: 48, filterSize: 7, units: 1, smoothing: 0.0003, hiddenBias: 0.02, hiddenSmoothing: 0.01, boundary: 'reflect', init: { experts } },
    hypergradient: { kind: 'piggyback' },
    optimizer: { kind: 'adam', batchSize: 2, stepSize0: 1e-4 },
  });

describe('model.init.experts as a model reference', () => {
  const expected = models.experts(JSON.parse(readFileSync(join(MODELS_DIR, `${gray}.json`), 'utf8')));

  it('resolves a pretrained model’s name and a model file relative to the config to the model’s experts', () => {
    const dir = tempDir();
    copyFileSync(join(MODELS_DIR, `${gray}.json`), join(dir, 'foe.json'));
    for (const ref of [gray, 'foe.json']) {
      const config = loadExperimentConfig(writeConfig(dir, icnn(ref)));
      const init = config.model.init as { experts: { count: number; kernels: number[]; weights: number[]; smoothings: number[] } };
      expect(init.experts.count).toBe(24);
      expect(init.experts.kernels).toEqual(Array.from(expected.kernels));
      expect(init.experts.weights).toEqual(Array.from(expected.weights));
      expect(init.experts.smoothings).toEqual(Array.from(expected.smoothings));
    }
  });

  it('names a reference that is not a model, or a model without experts', () => {
    const dir = tempDir();
    expect(() => loadExperimentConfig(writeConfig(dir, icnn('no-such-model')))).toThrow(/model\.init\.experts: "no-such-model": --model no-such-model: no such run directory, model file or pretrained model/);
    writeFileSync(join(dir, 'tv.json'), JSON.stringify(models.initial('huber-tv', {}, {}, { rng: undefined as never, seed: 0, shape: [1, 8, 8] })));
    expect(() => loadExperimentConfig(writeConfig(dir, icnn('tv.json')))).toThrow(/model\.init\.experts: "tv\.json": huber-tv model: not a sum of experts/);
  });

  it('is resolved only when a file is loaded: a config object with a name is refused by the kind’s schema', () => {
    expect(() => parseExperimentConfig(icnn(gray))).toThrow(/conv-icnn model init: experts: Invalid input: expected object, received string/);
  });
});
