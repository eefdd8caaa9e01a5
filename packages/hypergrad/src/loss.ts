/**
 * Upper-level losses `ℓ(x; x†)` with gradient, Lipschitz constant of the gradient and convexity,
 * which the sandwich bounds of MAID (arXiv 2308.10098, Lemma 3.5/Remark 3.6) and the error bounds
 * need.
 * @module
 */
import { parseOrThrow, z, type Loss } from '@bilevel/core';

/** How a pixelwise loss is reduced over the `n` entries of an image. */
export type Reduction = 'sum' | 'mean';

const squaredErrorOptions = z.strictObject({ reduction: z.enum(['sum', 'mean']).default('sum') });

/**
 * Squared error `ℓ(x) = ½‖x − x†‖²` (`reduction: 'sum'`, `L_ℓ = 1`) or `½‖x − x†‖²/n`
 * (`'mean'`, `L_ℓ = 1/n`): the loss of MAID, ISGD and arXiv 2412.06436.
 */
export function squaredError(options: { reduction?: Reduction } = {}): Loss {
  const { reduction } = parseOrThrow(squaredErrorOptions, options, 'squaredError options');
  const mean = reduction === 'mean';
  return {
    convex: true,
    description: mean ? '½‖x − x†‖² / n' : '½‖x − x†‖²',
    value(x, t) {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += (x[i]! - t[i]!) ** 2;
      return (mean ? 0.5 / x.length : 0.5) * s;
    },
    gradient(x, t, out) {
      const c = mean ? 1 / x.length : 1;
      for (let i = 0; i < x.length; i++) out[i] = c * (x[i]! - t[i]!);
      return out;
    },
    lipschitz: (n) => (mean ? 1 / n : 1),
    describe: () => ({ kind: 'squared-error', reduction }),
  };
}

/**
 * PSNR-type loss `ℓ(x) = 10 log₁₀(‖x − x†‖²/n)` (= −PSNR for unit data range, up to a constant).
 * Not convex and its gradient is not Lipschitz near `x = x†`, so error bounds that need `L_ℓ`
 * report `Infinity` with it.
 */
export function psnrLoss(): Loss {
  const c = 10 / Math.LN10;
  return {
    convex: false,
    description: '10 log₁₀(‖x − x†‖²/n)',
    value(x, t) {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += (x[i]! - t[i]!) ** 2;
      return c * Math.log(s / x.length);
    },
    gradient(x, t, out) {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += (x[i]! - t[i]!) ** 2;
      const k = (2 * c) / s;
      for (let i = 0; i < x.length; i++) out[i] = k * (x[i]! - t[i]!);
      return out;
    },
    lipschitz: () => Infinity,
  };
}

/**
 * Certified bracket of the exact loss from an inexact reconstruction `x̃` with
 * `‖x̃ − x̂‖ ≤ ε` (MAID Lemma 3.5): `ℓ(x̃) ± (‖∇ℓ(x̃)‖ε + L_ℓε²/2)`; for convex `ℓ` the lower
 * bound drops the quadratic term (Remark 3.6), since `ℓ(x̂) ≥ ℓ(x̃) + ⟨∇ℓ(x̃), x̂ − x̃⟩`.
 */
export function lossBracket(
  loss: number,
  gradNorm: number,
  lipschitz: number,
  epsilon: number,
  convex: boolean,
): { lower: number; upper: number } {
  const quad = epsilon === 0 ? 0 : 0.5 * lipschitz * epsilon * epsilon;
  return { lower: loss - gradNorm * epsilon - (convex ? 0 : quad), upper: loss + gradNorm * epsilon + quad };
}
