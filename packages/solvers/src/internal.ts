/**
 * Small shared helpers: capability probes (functionals implement the capabilities they have),
 * shape checks and the zod building blocks of the option schemas.
 * @module
 */
import { ShapeError, formatShape, nrm2, shapeSize, z, type Shape, type Vec } from '@bilevel/core';

export { copyWarm, copyWarmScalars, vecSchema } from '@bilevel/core';

/**
 * Optional capability of a functional used by diagonally preconditioned PDHG
 * (Pock–Chambolle 2011): the prox in the metric `diag(steps)⁻¹`,
 * `out = argmin_z f(z) + ½ Σ_i (z_i − v_i)² / steps_i`.
 *
 * For a separable `f` this is the scalar prox applied coordinate by coordinate with step
 * `steps_i`; for a group functional the steps must be constant within each group.
 * `out` may alias `v`.
 */
export interface DiagonalProximable {
  /** `out = argmin_z f(z) + ½ Σ_i (z_i − v_i)²/steps_i`; `out` may alias `v`. */
  proxDiagonal(v: Vec, steps: Vec, out: Vec): Vec;
}

/** Duck-typed `gradient` capability (a functional that is also `Smooth`). */
export type GradientFn = (x: Vec, out: Vec) => Vec;

/** The `gradient` method of `f`, bound, when it has one. */
export function gradientOf(f: object | undefined): GradientFn | undefined {
  const g = (f as { gradient?: unknown } | undefined)?.gradient;
  return typeof g === 'function' ? (g as GradientFn).bind(f) : undefined;
}

/** Duck-typed `minNormSubgradient` capability: `out` = the min-norm element of `shift + ∂f(x)`. */
export type MinNormFn = (x: Vec, shift: Vec, out: Vec) => Vec;

/** The `minNormSubgradient` method of `f`, bound, when it has one. */
export function minNormOf(f: object | undefined): MinNormFn | undefined {
  const g = (f as { minNormSubgradient?: unknown } | undefined)?.minNormSubgradient;
  return typeof g === 'function' ? (g as MinNormFn).bind(f) : undefined;
}

/** The `proxDiagonal` method of `f`, bound, when it has one. */
export function proxDiagonalOf(f: object): DiagonalProximable['proxDiagonal'] | undefined {
  const g = (f as Partial<DiagonalProximable>).proxDiagonal;
  return typeof g === 'function' ? g.bind(f) : undefined;
}

/** Throw a {@link ShapeError} unless two shapes have the same number of entries. */
export function assertSameSize(what: string, a: Shape, aName: string, b: Shape, bName: string): void {
  if (shapeSize(a) !== shapeSize(b)) {
    throw new ShapeError(
      `${what}: ${aName} has shape ${formatShape(a)} (${shapeSize(a)} entries) but ${bName} has shape ` +
        `${formatShape(b)} (${shapeSize(b)} entries); they must describe the same space`,
    );
  }
}

/** A number `> 0`, `Infinity` allowed. */
export const positiveOrInfinity = z.union([z.number().positive(), z.literal(Infinity)]);

/**
 * `‖x‖₂` as `√Σx²` (one multiply-add per entry), falling back to the scaled `nrm2` of core when
 * the plain sum overflows or underflows.
 */
export function norm2(n: number, x: Vec): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]! * x[i]!;
  if (s > 1e-280 && s < 1e280) return Math.sqrt(s);
  return s === 0 || Number.isNaN(s) ? Math.sqrt(s) : nrm2(n, x);
}
