/**
 * Vectors and shapes.
 *
 * Every array in bilevel is a flat `Float64Array` (the reference precision) holding a
 * row-major, channels-first tensor whose dimensions are given by a {@link Shape}.
 * @module
 */

/** A flat float64 vector: the reference precision of every computation. */
export type Vec = Float64Array;

/** Tensor dimensions, row-major and channels first (e.g. `[C, H, W]`). */
export type Shape = readonly number[];

/** Number of entries of a tensor of the given shape, `Π shape[i]` (1 for `[]`). */
export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Whether two shapes have the same dimensions. */
export function shapeEquals(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Human-readable shape, e.g. `3×64×64`. */
export function formatShape(shape: Shape): string {
  return shape.length === 0 ? 'scalar' : shape.join('×');
}

/** A zero vector with as many entries as `shape` (or `n` entries when given a number). */
export function zeros(shape: Shape | number): Vec {
  return new Float64Array(typeof shape === 'number' ? shape : shapeSize(shape));
}
