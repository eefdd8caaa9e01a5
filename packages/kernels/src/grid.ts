/**
 * The arguments of the gpu.js primitives: an image grid and a single-channel filter bank, with
 * their validation.
 * @module
 */
import { assertFinite, assertLength, parseOrThrow, positiveInt, ValidationError, z } from '@bilevel/core';

/** An image grid `H×W` (row-major, rows = axis y, columns = axis x). */
export interface Grid {
  /** Rows `H`. */
  readonly height: number;
  /** Columns `W`. */
  readonly width: number;
}

/** Boundary rules of the gpu.js filter bank: zero padding or periodic wrap. */
export const FILTER_BOUNDARIES = ['zero', 'periodic'] as const;

/** Boundary rule of a {@link FilterBank}. */
export type FilterBoundary = (typeof FILTER_BOUNDARIES)[number];

/**
 * A bank of `count` centred `k×k` filters correlated with a single-channel image (the
 * `ConvFilterBank` convention of `@bilevel/operators`), `kernels` row-major `[count][k][k]`.
 */
export interface FilterBank {
  /** Filter coefficients, `count·k²` entries. */
  readonly kernels: Float64Array;
  /** Filter size `k` (odd). */
  readonly kernelSize: number;
  /** Number of filters. */
  readonly count: number;
  /** Boundary rule (default `zero`). */
  readonly boundary?: FilterBoundary;
}

const gridSchema = z.object({ height: positiveInt, width: positiveInt });

const bankSchema = z.object({
  kernels: z.instanceof(Float64Array, { message: 'must be a Float64Array' }),
  kernelSize: positiveInt.refine((k) => k % 2 === 1, { message: 'must be an odd integer (filters are centred: size 2r+1, e.g. 3, 5, 7)' }),
  count: positiveInt,
  boundary: z.enum(FILTER_BOUNDARIES).default('zero'),
});

/** Validate a grid (positive integer height and width). */
export function parseGrid(grid: Grid): Grid {
  return parseOrThrow(gridSchema, grid, 'grid');
}

/**
 * Validate a filter bank against a grid: an odd size no wider than the image
 * (`k ≤ 2·min(H, W) − 1`, so a periodic wrap moves by less than the image) and `count·k²`
 * finite coefficients. Returns it with the default boundary filled in.
 * @throws ValidationError / ShapeError naming the offending option
 */
export function parseFilterBank(bank: FilterBank, grid: Grid): Required<FilterBank> {
  const b = parseOrThrow(bankSchema, bank, 'filter bank');
  const { height: H, width: W } = parseGrid(grid);
  const k = b.kernelSize;
  if (k > 2 * Math.min(H, W) - 1) {
    throw new ValidationError(`filter bank: kernelSize ${k} is wider than the ${H}×${W} image allows (at most ${2 * Math.min(H, W) - 1}); use a smaller filter or a larger image`);
  }
  assertLength('filter bank kernels', b.kernels, b.count * k * k);
  assertFinite('filter bank kernels', b.kernels);
  return b;
}
