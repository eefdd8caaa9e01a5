// One definition of blur (issue 14, part 4): the measurements the app makes and the deblurring
// model's data term use the same operator A, so y = A x† + σε holds exactly for the model's A,
// and the gradient of the model's data term at x† is exactly Aᵀ(A x† − y) + μ x† = −σ Aᵀε + μ x†.
import { describe, expect, it } from 'vitest';
import { Rng, type LinearOperator, type SmoothModel } from '@bilevel/core';
import { adjointError } from '@bilevel/core/testing';
import { BLUR_BOUNDARY, blurOperator, degrade, forwardOperator, imageShape, streamFor, type Image, type ImagePair } from '@bilevel/imaging';
import { Convolution2D, gaussianKernel, motionKernel } from '@bilevel/operators';
import { TrainingSet, models } from '@bilevel/models';
import { buildDataset, parseExperimentConfig, trainingSetOf } from '@bilevel/cli';
import { tinyConfig } from './helpers.js';

const NOISE = 0.02;
const RIDGE = 1e-3;

/** `max |y − (A x + σ ε)|` over the pairs, `ε` redrawn in order from the stream that made them. */
function measurementResidual(pairs: readonly ImagePair[], A: (img: Image) => LinearOperator, eps: Rng): number {
  let d = 0;
  for (const p of pairs) {
    const Ax = A(p.clean).apply(p.clean.data, new Float64Array(p.clean.data.length));
    for (let i = 0; i < Ax.length; i++) d = Math.max(d, Math.abs(p.degraded.data[i]! - (Ax[i]! + NOISE * eps.normal())));
  }
  return d;
}

/**
 * `max |∇h_i(x_i†) − (−σ Aᵀε_i + μ x_i†)| / ‖σ Aᵀ ε_i‖_∞` with the regularizer switched off
 * (weight e^−80): the model's data term evaluated against the operator that made the data.
 */
function modelResidual(model: SmoothModel, pairs: readonly ImagePair[], A: LinearOperator, eps: Rng, theta: number[]): number {
  model.setParams(theta);
  let worst = 0;
  pairs.forEach((p, i) => {
    const n = p.clean.data.length;
    const e = Float64Array.from({ length: n }, () => NOISE * eps.normal());
    const Ate = A.adjoint(e, new Float64Array(n));
    const g = model.sample(i).h.gradient(p.clean.data, new Float64Array(n));
    let scale = 0;
    for (const v of Ate) scale = Math.max(scale, Math.abs(v));
    for (let k = 0; k < n; k++) worst = Math.max(worst, Math.abs(g[k]! - (-Ate[k]! + RIDGE * p.clean.data[k]!)) / scale);
  });
  return worst;
}

describe('the deblurring data and the model share one blur operator', () => {
  it('Gaussian blur, end to end: buildDataset → buildModel', () => {
    const config = parseExperimentConfig(
      tinyConfig({
        data: {
          maxSide: 128,
          train: { images: ['airplane-from-above'], cropSize: 16, cropsPerImage: 2 },
          test: { images: ['nagasaki-boats'], cropSize: 16, cropsPerImage: 1 },
          degradation: { kind: 'blur', size: 5, sigma: 1.5, noise: NOISE },
        },
        model: { kind: 'smooth-tv', ridge: RIDGE, init: { logWeight: -3, logSmoothing: -3 } },
      }),
    );
    const d = config.data.degradation;
    const data = buildDataset(config);
    const A = (img: Image): LinearOperator => forwardOperator(d, imageShape(img))!;
    expect(measurementResidual(data.train, A, streamFor(config.seed, 'trainNoise'))).toBe(0);
    expect(measurementResidual(data.test, A, streamFor(config.seed, 'testNoise'))).toBe(0);
    // the one kernel, the one boundary
    const A0 = A(data.train[0]!.clean);
    if (!(A0 instanceof Convolution2D)) throw new Error('the blur is a Convolution2D');
    expect(A0.kernel).toEqual(gaussianKernel(5, 1.5));
    expect(A0.boundary).toBe(BLUR_BOUNDARY);
    expect(adjointError(A(data.train[0]!.clean), Rng.seeded(1))).toBeLessThan(1e-14);

    const { spec, set } = trainingSetOf(config, data.train);
    const model = set.smoothModel();
    const theta = [-80, spec.theta[1]!];
    expect(modelResidual(model, data.train, A(data.train[0]!.clean), streamFor(config.seed, 'trainNoise'), theta)).toBeLessThan(1e-12);
    // with teeth: the same kernel under another boundary rule is not the model's A
    const [C, H, W] = imageShape(data.train[0]!.clean);
    const zero = new Convolution2D({ channels: C!, height: H!, width: W!, kernel: gaussianKernel(5, 1.5), boundary: 'zero' });
    expect(modelResidual(model, data.train, zero, streamFor(config.seed, 'trainNoise'), theta)).toBeGreaterThan(1e-2);
  });

  it.each([
    ['motion 9 @30°', motionKernel(9, 30)],
    ['motion 6 @−75°', motionKernel(6, -75)],
    ['one-sided 3×3', Float64Array.from([0, 0, 0, 0, 0.2, 0.5, 0, 0.1, 0.2])],
  ])('%s: the pair the app builds satisfies y = A x + σε for the model built with the app\'s A', (_name, kernel) => {
    const config = parseExperimentConfig(tinyConfig());
    const clean = buildDataset(config).train.map((p) => p.clean);
    const shape = imageShape(clean[0]!);
    const rng = streamFor(config.seed, 'trainNoise');
    const pairs: ImagePair[] = clean.map((x, k) => ({
      name: `crop#${k}`,
      clean: x,
      degraded: degrade(x, { forward: blurOperator(kernel, shape), sigma: NOISE, seed: rng }),
      operator: { kind: 'convolution', kernel, boundary: BLUR_BOUNDARY },
      source: 'test',
      top: 0,
      left: 0,
    }));
    const A = blurOperator(kernel, shape);
    expect(adjointError(A, Rng.seeded(2))).toBeLessThan(1e-14);
    expect(measurementResidual(pairs, () => A, streamFor(config.seed, 'trainNoise'))).toBe(0);

    // the model's data term, built the way the app builds it (data-term forward = blurOperator)
    const tv = models.build({ kind: 'smooth-tv', options: { mode: 'anisotropic' }, theta: [Math.log(0.05), Math.log(0.05)] }, shape);
    const model = new TrainingSet(
      tv,
      pairs.map((p) => ({ degraded: p.degraded.data, clean: p.clean.data, forward: blurOperator(kernel, shape) })),
      { ridge: RIDGE },
    ).smoothModel();
    expect(modelResidual(model, pairs, A, streamFor(config.seed, 'trainNoise'), [-80, Math.log(0.05)])).toBeLessThan(1e-12);
    // and the residual test has teeth: the flipped kernel (a true convolution) is far off
    const flipped = blurOperator(kernel.slice().reverse(), shape);
    if (kernel.some((v, i) => v !== kernel[kernel.length - 1 - i])) {
      expect(measurementResidual(pairs, () => flipped, streamFor(config.seed, 'trainNoise'))).toBeGreaterThan(1e-3);
    }
  });
});
