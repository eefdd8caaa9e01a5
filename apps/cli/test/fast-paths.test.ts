/**
 * The bundled experiments use the fast paths as they are configured: the training problem the
 * app builds (model through the registry of `@bilevel/models`, training set, oracle) dispatches
 * the Huber-TV piggyback to the fused WebAssembly kernel, and FoE's filter bank runs its
 * WebAssembly loops.
 */
import { describe, expect, it } from 'vitest';
import { addGaussianNoise, crop, type ImagePair } from '@bilevel/imaging';
import { loadPhotograph } from '@bilevel/imaging/node';
import { PiggybackOracle } from '@bilevel/hypergrad';
import { ConvFilterBank } from '@bilevel/operators';
import { buildProblem } from '@bilevel/parallel';
import { initialModelSpec, loadExperimentConfig, resolveConfigPath, sampleProblemOf, trainingSetOf } from '@bilevel/cli';

function pairs(size: number): ImagePair[] {
  const photo = loadPhotograph('airplane-from-above', { gray: true, maxSide: 96 });
  return [0, 1].map((k) => {
    const top = 10 + 20 * k;
    const left = 20;
    const clean = crop(photo, { top, left, height: size, width: size });
    const degraded = addGaussianNoise(clean, { sigma: 0.1, seed: k + 1 });
    return { name: `crop#${k}`, clean, degraded, operator: { kind: 'identity' }, source: 'airplane-from-above', top, left };
  });
}

describe('bundled experiments on the fast paths', () => {
  it('huber-tv-denoising: every piggyback solve runs on the fused Huber-TV kernel (the per-sample oracle every compute engine builds)', () => {
    const config = loadExperimentConfig(resolveConfigPath('huber-tv-denoising'));
    const spec = initialModelSpec(config, [1, 15, 15]);
    const oracle = buildProblem(sampleProblemOf(config, pairs(15), spec)).oracle as PiggybackOracle;
    expect(oracle).toBeInstanceOf(PiggybackOracle);
    const theta0 = Float64Array.from(spec.theta);
    const r = oracle.evaluate(theta0, [0, 1], { epsilon: 1e-4, delta: 1e-4 });
    expect(r.stop).toBe('converged');
    expect(oracle.lastKernel).toEqual({ name: 'huber-tv', backend: 'wasm-f64' });
    oracle.loss(theta0, [1], 1e-5);
    expect(oracle.lastKernel).toEqual({ name: 'huber-tv', backend: 'wasm-f64' });
  });

  it('foe-denoising: the filter bank of the trained model runs its WebAssembly loops', () => {
    const config = loadExperimentConfig(resolveConfigPath('foe-denoising'));
    const { set } = trainingSetOf(config, pairs(15));
    const K = set.model.saddle!.K;
    expect(K).toBeInstanceOf(ConvFilterBank);
    expect((K as ConvFilterBank).backend).toBe('wasm');
  });
});
