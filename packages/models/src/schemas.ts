/**
 * zod building blocks of the kinds' option schemas, with messages that say what is wrong.
 * @module
 */
import { z, type Shape } from '@bilevel/core';
import { ExpScaledOperator, Gradient2D } from '@bilevel/operators';

/** A log-parameter `θ` with `e^θ` representable: finite, `|θ| ≤ 700`. */
export const logParameter = z
  .number()
  .finite()
  .min(-700, 'must be ≥ −700 (e^θ underflows to 0 below about −745)')
  .max(700, 'must be ≤ 700 (e^θ overflows above about 709)');

/** A finite number `> 0`. */
export const positiveOption = z.number().finite().positive('must be > 0');

/** A finite number `≥ 0`. */
export const nonNegativeOption = z.number().finite().nonnegative('must be ≥ 0');

/** A scale of an initialisation: finite, at most 10⁶ (images have values in [0, 1]). */
export const initScale = (s: z.ZodNumber) => s.max(1e6, 'must be ≤ 1e6 (images have values in [0, 1])');

/** An odd positive integer (a filter side with a centre pixel). */
export const oddSize = z
  .number()
  .int('must be an integer')
  .positive('must be ≥ 1')
  .refine((v) => v % 2 === 1, { message: 'must be odd (the kernel needs a centre pixel)' });

/** How the differences of a TV model are grouped. */
export const tvMode = z.enum(['anisotropic', 'isotropic', 'vectorial']);

/** Group size of a TV grouping on `[2, C, H, W]` differences: 1, 2 or 2C. */
export function tvGroupSize(mode: z.output<typeof tvMode>, channels: number): number {
  return mode === 'anisotropic' ? 1 : mode === 'isotropic' ? 2 : 2 * channels;
}

/**
 * `K = e^{θ₀}∇` on images of `shape` (2-D forward differences, range `[2, C, H, W]`) with the
 * group size of `mode`: the operator of the TV-type kinds.
 */
export function scaledGradient(shape: Shape, mode: z.output<typeof tvMode>, boundary: 'neumann' | 'periodic'): { K: ExpScaledOperator; groupSize: number } {
  const [C, H, W] = shape as [number, number, number];
  const D = new Gradient2D({ channels: C, height: H, width: W, boundary });
  return { K: new ExpScaledOperator(D, 0), groupSize: tvGroupSize(mode, C) };
}
