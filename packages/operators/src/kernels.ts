/**
 * Blur kernels for `Convolution2D`: Gaussian, box and linear motion. All are square with
 * odd side, row-major, non-negative and normalised to sum 1 (so blur preserves the mean and
 * `‖K‖ ≤ 1` for zero and periodic boundaries).
 * @module
 */
import { finite, parseOrThrow, positive, z } from '@bilevel/core';
import { oddSize } from './validate.js';

/**
 * The sampled, normalised Gaussian `k[a, b] ∝ exp(−((a − r)² + (b − r)²) / (2σ²))` on a
 * `size×size` grid (`size = 2r + 1`, odd), divided by its sum so that `Σ k = 1`. E.g.
 * `gaussianKernel(5, 1)` is the 5×5, σ = 1 blur of the ISGD deblurring experiments
 * (arXiv 2412.12049).
 */
export function gaussianKernel(size: number, sigma: number): Float64Array {
  const o = parseOrThrow(z.strictObject({ size: oddSize, sigma: positive }), { size, sigma }, 'gaussianKernel arguments');
  const r = (o.size - 1) / 2;
  const g = new Float64Array(o.size);
  for (let a = 0; a < o.size; a++) g[a] = Math.exp(-((a - r) ** 2) / (2 * o.sigma * o.sigma));
  const k = new Float64Array(o.size * o.size);
  for (let a = 0; a < o.size; a++) for (let b = 0; b < o.size; b++) k[a * o.size + b] = g[a]! * g[b]!;
  return normalise(k);
}

/** The `size×size` box (moving average) `k[a, b] = 1/size²` (`size` odd). */
export function boxKernel(size: number): Float64Array {
  const o = parseOrThrow(z.strictObject({ size: oddSize }), { size }, 'boxKernel arguments');
  return new Float64Array(o.size * o.size).fill(1 / (o.size * o.size));
}

/**
 * A linear motion blur: the segment of length `length` pixels through the kernel centre at
 * `angleDegrees` counter-clockwise from the x-axis (rows grow downwards, so the segment goes up
 * to the right for angles in (0°, 90°)), rasterised by dense sampling with bilinear weights
 * (anti-aliased, like MATLAB `fspecial('motion')`) and normalised to sum 1. The support is the
 * smallest odd square holding the segment: side `2⌈(length − 1)/2⌉ + 1`. `length = 1` is the
 * identity kernel.
 */
export function motionKernel(length: number, angleDegrees: number): Float64Array {
  const o = parseOrThrow(
    z.strictObject({ length: z.number().finite().min(1), angleDegrees: finite }),
    { length, angleDegrees },
    'motionKernel arguments',
  );
  const half = (o.length - 1) / 2;
  const r = Math.ceil(half - 1e-12);
  const size = 2 * r + 1;
  const k = new Float64Array(size * size);
  const th = (o.angleDegrees * Math.PI) / 180;
  const dx = Math.cos(th);
  const dy = -Math.sin(th);
  const samples = Math.ceil(16 * o.length) | 1; // odd, ≥ 17: the centre is sampled
  for (let s = 0; s < samples; s++) {
    const t = -half + (2 * half * s) / (samples - 1);
    // position in kernel coordinates (column, row), clamped against rounding at the support edge
    const cx = Math.min(Math.max(r + t * dx, 0), size - 1);
    const cy = Math.min(Math.max(r + t * dy, 0), size - 1);
    const x0 = Math.floor(cx);
    const y0 = Math.floor(cy);
    const fx = cx - x0;
    const fy = cy - y0;
    const x1 = Math.min(x0 + 1, size - 1);
    const y1 = Math.min(y0 + 1, size - 1);
    k[y0 * size + x0] = k[y0 * size + x0]! + (1 - fx) * (1 - fy);
    k[y0 * size + x1] = k[y0 * size + x1]! + fx * (1 - fy);
    k[y1 * size + x0] = k[y1 * size + x0]! + (1 - fx) * fy;
    k[y1 * size + x1] = k[y1 * size + x1]! + fx * fy;
  }
  return normalise(k);
}

function normalise(k: Float64Array): Float64Array {
  let s = 0;
  for (const v of k) s += v;
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / s;
  return k;
}
