// The data pipeline of both apps: imagePairs against its definition (crops from the part's crop
// stream, measurements from its noise stream, image after image, with the streams written out
// as their seeds), the data operator of each degradation as data and built, per-crop inpainting
// masks, paired measurements, and the messages of wrong inputs.
import { describe, expect, it } from 'vitest';
import { Rng, ValidationError } from '@bilevel/core';
import { Convolution2D, Mask, dataOperator, gaussianKernel } from '@bilevel/operators';
import {
  SEED_OFFSETS, applyMask, addGaussianNoise, createImage, crop, degradationOperator, degradationSchema, degradeSample, degrade, imagePairs,
  randomMask, sampleCrops, seedFor, streamFor, type Image, type NamedImage,
} from '@bilevel/imaging';

function textured(height: number, width: number, phase: number): Image {
  const img = createImage(1, height, width);
  for (let k = 0; k < img.data.length; k++) img.data[k] = 0.5 + 0.4 * Math.sin(1.3 * k + phase) * Math.cos(0.07 * k);
  return img;
}

const images: NamedImage[] = [
  { name: 'a', image: textured(40, 50, 0) },
  { name: 'b', image: textured(36, 30, 1) },
];

describe('seeded streams', () => {
  it('one stream per use, Rng.seeded((seed·7919 + offset) | 0)', () => {
    expect(SEED_OFFSETS).toEqual({ trainCrops: 101, testCrops: 202, trainNoise: 303, testNoise: 404, init: 505, split: 606, minibatch: 707 });
    expect(seedFor(3, 'trainNoise')).toBe(3 * 7919 + 303);
    expect(seedFor(400_000, 'init')).toBe((400_000 * 7919 + 505) | 0);
    expect(streamFor(3, 'testCrops').normal()).toBe(Rng.seeded(3 * 7919 + 202).normal());
  });
});

describe('imagePairs', () => {
  it('noise: the crops and measurements of its definition, image after image, bit for bit', () => {
    const pairs = imagePairs(images, { part: 'train', seed: 7, crops: { cropSize: 16, cropsPerImage: 2 }, degradation: { kind: 'noise', sigma: 0.1 } });
    // the definition, written out with the primitives and the streams' seeds
    const cropRng = Rng.seeded(7 * 7919 + 101);
    const noiseRng = Rng.seeded(7 * 7919 + 303);
    const expected = images.flatMap((img) =>
      sampleCrops([img], { size: 16, count: 2, seed: cropRng, minStd: 0.03 }).map((p, k) => ({
        name: `${img.name}#${k}`,
        top: p.top,
        left: p.left,
        clean: p.image.data,
        degraded: addGaussianNoise(p.image, { sigma: 0.1, seed: noiseRng }).data,
      })),
    );
    expect(pairs.map((p) => ({ name: p.name, top: p.top, left: p.left, clean: p.clean.data, degraded: p.degraded.data }))).toEqual(expected);
    for (const p of pairs) {
      expect(p.operator).toEqual({ kind: 'identity' });
      expect(p.forward).toBeUndefined();
      expect(p.clean.data).toEqual(crop(images.find((i) => i.name === p.source)!.image, { top: p.top, left: p.left, height: 16, width: 16 }).data);
    }
    // the test part draws from its own streams
    const test = imagePairs(images, { part: 'test', seed: 7, crops: { cropSize: 16, cropsPerImage: 2 }, degradation: { kind: 'noise', sigma: 0.1 } });
    expect(test.map((p) => [p.top, p.left])).not.toEqual(pairs.map((p) => [p.top, p.left]));
  });

  it('blur: y = A x + σε for the operator the pair carries (Gaussian kernel, symmetric boundary)', () => {
    const pairs = imagePairs(images, { part: 'train', seed: 2, crops: { cropSize: 12 }, degradation: { kind: 'blur', size: 5, sigma: 1.2, noise: 0.02 } });
    const noise = Rng.seeded(2 * 7919 + 303);
    const kernel = gaussianKernel(5, 1.2);
    for (const p of pairs) {
      expect(p.operator).toEqual({ kind: 'convolution', kernel, boundary: 'symmetric' });
      const A = new Convolution2D({ channels: 1, height: 12, width: 12, kernel, boundary: 'symmetric' });
      expect(p.forward).toBeInstanceOf(Convolution2D);
      expect(p.degraded.data).toEqual(degrade(p.clean, { forward: A, sigma: 0.02, seed: noise }).data);
    }
  });

  it('inpainting: every crop its own mask, drawn before its noise, carried as its data operator', () => {
    const pairs = imagePairs(images, { part: 'train', seed: 5, crops: { cropSize: 16, cropsPerImage: 2 }, degradation: { kind: 'inpainting', fraction: 0.25, noise: 0.01 } });
    const rng = Rng.seeded(5 * 7919 + 303);
    const masks = pairs.map((p) => {
      const mask = randomMask(16, 16, { keepRatio: 0.75, seed: rng });
      expect(p.degraded.data).toEqual(applyMask(addGaussianNoise(p.clean, { sigma: 0.01, seed: rng }), mask).data);
      expect(p.operator).toEqual({ kind: 'mask', mask: mask.data });
      expect(p.forward).toBeInstanceOf(Mask);
      expect((p.forward as Mask).mask).toEqual(mask.data);
      expect(mask.data.reduce((s, v) => s + v, 0)).toBe(Math.round(0.75 * 256));
      return mask.data;
    });
    expect(new Set(masks.map((m) => m.join(''))).size).toBe(pairs.length);
    expect(() => degradationOperator({ kind: 'inpainting', fraction: 0.25 })).toThrow(/draws a mask per image/);
  });

  it('paired images: the measurement is cut from the degraded image at the crop, nothing is drawn', () => {
    const degradedA = textured(40, 50, 2);
    const paired = new Map([['a', degradedA]]);
    const pairs = imagePairs([images[0]!], { part: 'train', seed: 1, crops: { cropSize: 10, cropsPerImage: 3 }, degradation: { kind: 'noise', sigma: 0.1 }, paired });
    for (const p of pairs) {
      expect(p.degraded.data).toEqual(crop(degradedA, { top: p.top, left: p.left, height: 10, width: 10 }).data);
      expect(p.operator).toEqual({ kind: 'identity' });
    }
    const synthesised = imagePairs([images[0]!], { part: 'train', seed: 1, crops: { cropSize: 10, cropsPerImage: 3 }, degradation: { kind: 'noise', sigma: 0.1 } });
    expect(synthesised.map((p) => [p.top, p.left])).toEqual(pairs.map((p) => [p.top, p.left]));
  });

  it('names the part, the image and the fix for wrong inputs', () => {
    const base = { part: 'train', seed: 0, degradation: { kind: 'noise', sigma: 0.1 } } as const;
    expect(() => imagePairs(images, { ...base, crops: { cropSize: 48 }, maxSide: 50 })).toThrow(
      /data\.train\.cropSize: image "a" is 40×50 pixels \(after shrinking to maxSide 50\), smaller than the crop size 48×48/,
    );
    expect(() => imagePairs(images, { ...base, part: 'test', crops: { cropSize: 16, minStd: 10 } })).toThrow(/data\.test \(image "a"\): .*minStd/);
    expect(() => imagePairs(images, { ...base, crops: { cropSize: 16, cropsPerImage: 0 } })).toThrow(ValidationError);
    expect(() => imagePairs(images, { ...base, crops: { cropSize: 16 }, degradation: { kind: 'noise', sigma: 0.1, amount: 1 } as never })).toThrow(
      /unknown key "amount" \(allowed keys here: kind, sigma, clamp\)/,
    );
  });
});

describe('degradations as data', () => {
  it('fills the defaults and names a wrong kind', () => {
    expect(degradationSchema.parse({ kind: 'blur', noise: 0.01 })).toEqual({ kind: 'blur', kernel: 'gaussian', size: 5, sigma: 1, noise: 0.01, clamp: false });
    expect(degradationSchema.safeParse({ kind: 'smear' }).error?.issues[0]?.message).toMatch(/"kind" must be one of 'noise', 'blur', 'inpainting'/);
    expect(degradationSchema.safeParse({ kind: 'blur', size: 4, noise: 0 }).error?.issues[0]?.message).toMatch(/must be odd/);
  });

  it('degradeSample builds the operator its description rebuilds on a worker', () => {
    const x = textured(9, 11, 0.5);
    const s = degradeSample(x, { kind: 'blur', size: 3, sigma: 0.8, noise: 0 }, Rng.seeded(1));
    const rebuilt = dataOperator(s.operator, [1, 9, 11])!;
    expect(rebuilt.apply(x.data, new Float64Array(99))).toEqual(s.degraded.data);
  });
});
