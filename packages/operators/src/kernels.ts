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
 * A linear motion blur: the uniform motion of a point over a segment of `length` pixels centred
 * on the kernel, at `angleDegrees` counter-clockwise from the x-axis (rows grow downwards, so the
 * segment goes up to the right for angles in (0°, 90°)), rasterised exactly by pixel coverage.
 * With `u = (cos θ, −sin θ)` (column, row), `L = length` and the pixel `q = (j, i)` (offsets from
 * the centre) covering the unit square `S_q = [j − ½, j + ½] × [i − ½, i + ½]`,
 * ```
 * k[q] = |{ t ∈ [−L/2, L/2] : t·u ∈ S_q }| / L
 * ```
 * the length of the segment inside that pixel over the whole length (touching a corner or an
 * edge counts as zero). The squares tile the plane, so `Σ k = 1` by construction (the result is
 * renormalised against rounding). The support is the smallest odd square with every positive
 * weight, side `2r + 1` with
 * ```
 * r = ⌈(L/2)·max(|cos θ|, |sin θ|) + ½⌉ − 1.
 * ```
 * Horizontal and vertical kernels of odd length are exact boxes (`1/L` on `L` pixels), of even
 * length `[½, 1, …, 1, ½]/L` on `L + 1` pixels (as MATLAB `fspecial('motion', L, 0)` for the
 * horizontal ones); `L = 1` is the identity; any real `L ≥ 1` is allowed. The segment is centred, so `k[−q] = k[q]`: as a
 * blur it is the same whether applied as correlation or convolution, and the operator
 * ({@link Convolution2D}, a correlation) is the one definition either way.
 */
export function motionKernel(length: number, angleDegrees: number): Float64Array {
  const o = parseOrThrow(
    z.strictObject({ length: z.number().finite().min(1), angleDegrees: finite }),
    { length, angleDegrees },
    'motionKernel arguments',
  );
  const L = o.length;
  const th = (o.angleDegrees * Math.PI) / 180;
  const u = [Math.cos(th), -Math.sin(th)] as const;
  // a generous grid (radius ⌈L/2 + ½⌉), trimmed below to the positive weights
  const R = Math.ceil(L / 2 + 0.5);
  const n = 2 * R + 1;
  const w = new Float64Array(n * n);
  let r = 0;
  for (let i = -R; i <= R; i++) {
    for (let j = -R; j <= R; j++) {
      const len = segmentInSquare(L / 2, u[0], u[1], j, i);
      if (len <= 1e-12) continue; // an edge or corner touched through rounding
      w[(i + R) * n + (j + R)] = len;
      r = Math.max(r, Math.abs(i), Math.abs(j));
    }
  }
  const size = 2 * r + 1;
  const k = new Float64Array(size * size);
  for (let a = 0; a < size; a++) for (let b = 0; b < size; b++) k[a * size + b] = w[(a - r + R) * n + (b - r + R)]!;
  return normalise(k);
}

/**
 * Length of `{ t ∈ [−h, h] : |t·ux − cx| ≤ ½, |t·uy − cy| ≤ ½ }`: the part of the segment
 * `t·(ux, uy)`, `|t| ≤ h`, inside the unit square centred at `(cx, cy)` (Liang–Barsky clipping).
 */
function segmentInSquare(h: number, ux: number, uy: number, cx: number, cy: number): number {
  let lo = -h;
  let hi = h;
  for (const [d, c] of [[ux, cx], [uy, cy]] as const) {
    if (d === 0) {
      if (Math.abs(c) > 0.5) return 0;
      continue;
    }
    const t0 = (c - 0.5) / d;
    const t1 = (c + 0.5) / d;
    lo = Math.max(lo, Math.min(t0, t1));
    hi = Math.min(hi, Math.max(t0, t1));
  }
  return Math.max(0, hi - lo);
}

function normalise(k: Float64Array): Float64Array {
  let s = 0;
  for (const v of k) s += v;
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / s;
  return k;
}
