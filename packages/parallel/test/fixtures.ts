/**
 * Tiny training problems for the parallel tests: a few noisy crops of a smooth synthetic image,
 * a smoothed-TV model (implicit oracle) and a Huber FoE model (piggyback oracle).
 */
import { Rng } from '@bilevel/core';
import type { SampleProblem } from '@bilevel/parallel';

/** `count` (degraded, clean) pairs of `size × size` images: smooth patterns plus seeded noise. */
export function pairs(count: number, size: number, seed = 7): { degraded: Float64Array; clean: Float64Array }[] {
  const rng = Rng.seeded(seed);
  return Array.from({ length: count }, (_, s) => {
    const clean = new Float64Array(size * size);
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) clean[r * size + c] = 0.5 + 0.3 * Math.sin((r + 2 * s) / 3) * Math.cos((c - s) / 4) + (r > size / 2 ? 0.15 : 0);
    }
    const degraded = Float64Array.from(clean, (v) => v + 0.1 * rng.normal());
    return { degraded, clean };
  });
}

/** Smoothed TV (implicit differentiation) over `count` samples of `size²`. */
export function smoothTvProblem(count = 3, size = 10): SampleProblem {
  return {
    model: { kind: 'smooth-tv', options: {}, theta: [Math.log(0.2), Math.log(0.05)] },
    shape: [1, size, size],
    samples: pairs(count, size),
    oracle: { kind: 'implicit', maxIterations: 2000 },
  };
}

/** Huber FoE with 2 filters of 3×3 (piggyback) over `count` samples of `size²`. */
export function foeProblem(count = 3, size = 10): SampleProblem {
  const rng = Rng.seeded(3);
  const theta = Array.from({ length: 18 }, () => 0.3 * rng.normal());
  return {
    model: { kind: 'foe', options: { potential: 'huber', filters: 2, filterSize: 3, huber: 0.05, boundary: 'symmetric' }, theta },
    shape: [1, size, size],
    samples: pairs(count, size, 11),
    start: 'zero',
    oracle: { kind: 'piggyback', maxIterations: 3000 },
  };
}
