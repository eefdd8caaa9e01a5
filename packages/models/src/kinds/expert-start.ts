/**
 * The ICNN kinds' start at a sum of experts (`init.experts`, e.g. a trained Fields of Experts):
 * each expert `c_i Σ_p φ_{ν_i}((k_i ⋆ x)_p)` becomes a `±` pair of first-layer filters whose
 * features a hidden unit adds in the linear piece of its smoothed ReLU
 * (docs/math/icnn.md#starting-at-a-sum-of-experts).
 * @module
 */
import { ValidationError, z } from '@bilevel/core';
import type { IcnnRegularizer } from '../icnn/regularizer.js';
import { oddSize, positiveOption } from '../schemas.js';

/** zod schema of the registry's `Experts` as data (what `models.experts(spec)` returns, arrays as JSON arrays). */
export const expertsSchema = z
  .strictObject({
    count: z.number().int('must be an integer').min(1, 'must be ≥ 1').describe('Number of experts J.'),
    size: oddSize.describe('Side of each (square, odd) filter.'),
    channels: z.number().int('must be an integer').min(1, 'must be ≥ 1').max(4, 'must be ≤ 4').describe('Channels each filter spans.'),
    kernels: z.array(z.number().finite()).describe('J·channels·size² filter entries, [expert][channel][row][col], row-major.'),
    weights: z.array(positiveOption).describe('Expert weights c_i > 0.'),
    smoothings: z.array(positiveOption).describe('Expert smoothings ν_i > 0 (width of the quadratic zone).'),
  })
  .refine((e) => e.weights.length === e.count && e.smoothings.length === e.count && e.kernels.length === e.count * e.channels * e.size * e.size, {
    message: 'needs count weights, count smoothings and count·channels·size² kernel entries',
  });

/**
 * `θ` (in place) at the experts `E`: filters `2i`, `2i+1` are `±α_i k_i` with `α_i = ω₀/ν_i`
 * (`k_i` centred in the first layer's `k×k` window), so that the leaky ReLU pair gives
 * `σ(α_i t) + σ(−α_i t) = (1 − a)α_i Huber_{ν_i}(t)` (`a` the slope, `ω₀` its smoothing); every
 * unit weights both features by `w_i = c_i / ((1 − a)α_i τ Σ_m a_m)` (`τ` as in
 * the TV start: 1 for the centre tap of a hidden kernel, `1/s²` per pooled cell),
 * and all other hidden weights are 0. In the linear piece of the hidden ReLU (`hiddenBias ≥
 * hiddenSmoothing`; the pairs keep `v ≥ 0`) the network is then
 * `R_θ(x) = Σ_i c_i Σ_p Huber_{ν_i}((k_i ⋆ x)_p) + const`: the experts with `φ_ν` = the Huber function
 * of width `ν` (the smooth `√(t² + ν²)` up to a constant in the tails). Filters beyond `2J` keep
 * their seeded values scaled by `randomScale`, with zero hidden weights.
 */
export function expertStart(theta: Float64Array, R: IcnnRegularizer, E: z.output<typeof expertsSchema>, randomScale: number): void {
  const J = E.count;
  const k = R.kernelSize;
  const per = R.layout.kernels.length / R.filters;
  const C = per / (k * k);
  if (R.filters < 2 * J) throw new ValidationError(`init.experts: ${J} experts need filters ≥ ${2 * J} (a ± pair each), got ${R.filters}; add filters`);
  if (E.channels !== C) throw new ValidationError(`init.experts: the experts' filters span ${E.channels} channel(s), the network's ${C}; use channels: ${E.channels}`);
  if (E.size > k) throw new ValidationError(`init.experts: the experts' filters are ${E.size}×${E.size}, larger than the network's ${k}×${k}; use filterSize ≥ ${E.size}`);
  if (!(R.smoothing > 0)) throw new ValidationError('init.experts: needs smoothing > 0 (the leaky ReLU’s smoothing ω₀ sets each expert’s Huber width: the filter scale is ω₀/ν_i)');
  const { kernels, hidden } = R.layout;
  const pad = (k - E.size) / 2;
  const s2 = E.size * E.size;
  for (let f = 2 * J; f < R.filters; f++) {
    const o = kernels.offset + f * per;
    for (let t = o; t < o + per; t++) theta[t] = theta[t]! * randomScale;
  }
  let outputWeights = 0;
  for (const a of R.outputWeights) outputWeights += a;
  const tau = R.hiddenKind === 'convolutional' ? 1 : 1 / R.poolFactor ** 2;
  const cells = hidden.length / (R.units * R.filters);
  const tap = R.hiddenKind === 'convolutional' ? (cells - 1) / 2 : -1;
  theta.fill(0, hidden.offset, hidden.offset + hidden.length);
  for (let i = 0; i < J; i++) {
    const alpha = R.smoothing / E.smoothings[i]!;
    const w = E.weights[i]! / ((1 - R.slope) * alpha * tau * outputWeights);
    for (const [s, sign] of [1, -1].entries()) {
      const f = 2 * i + s;
      const o = kernels.offset + f * per;
      theta.fill(0, o, o + per);
      for (let c = 0; c < C; c++) {
        for (let r = 0; r < E.size; r++) {
          for (let q = 0; q < E.size; q++) {
            theta[o + c * k * k + (r + pad) * k + q + pad] = sign * alpha * E.kernels[(i * C + c) * s2 + r * E.size + q]!;
          }
        }
      }
      for (let u = 0; u < R.units; u++) {
        const h = hidden.offset + (u * R.filters + f) * cells;
        if (tap >= 0) theta[h + tap] = w;
        else theta.fill(w, h, h + cells);
      }
    }
  }
}
