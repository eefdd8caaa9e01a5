/**
 * Shared validation of the operators' public boundaries: zod schemas for the constructor
 * options (shapes, boundary modes, odd kernel sizes), and the cheap once-per-call length and
 * aliasing checks of `apply` / `adjoint` / `paramVjp`.
 *
 * Policy (the same for every operator of this package): constructors validate everything with
 * zod (`parseOrThrow`), array lengths (`assertLength`) and finiteness (`assertFinite`); each
 * call of `apply`, `adjoint` and `paramVjp` checks the lengths of its arguments once (O(1),
 * never per element) and rejects `out === x` where the operator cannot write over its input.
 * Entries of `x` and `y` are not checked for finiteness in the hot paths.
 * @module
 */
import {
  assertFinite,
  assertLength,
  formatShape,
  parseOrThrow,
  positiveInt,
  shapeSchema,
  shapeSize,
  ShapeError,
  ValidationError,
  z,
  type Shape,
} from '@bilevel/core';
import type { ConvBoundary } from './boundary.js';
import type { GradientBoundary } from './gradient.js';

/** Boundary modes of convolutions (see `boundary.ts`). */
export const BOUNDARIES = ['zero', 'symmetric', 'reflect', 'periodic'] as const satisfies readonly ConvBoundary[];

/** Boundary modes of a filter bank: the extensions, and `valid` (no extension, smaller output). */
export const BANK_BOUNDARIES = [...BOUNDARIES, 'valid'] as const;

/** Boundary modes of the finite-difference gradient. */
export const GRADIENT_BOUNDARIES = ['neumann', 'periodic'] as const satisfies readonly GradientBoundary[];

/** A positive integer option, with a message that says what is expected. */
export const dimension = positiveInt;

/** A non-negative integer option (offsets, crop origins). */
export const offsetInt = z.number().int().nonnegative();

/** An odd positive integer (kernel sizes), with a message saying how to fix it. */
export const oddSize = z
  .number()
  .int()
  .positive()
  .refine((k) => k % 2 === 1, { message: 'must be an odd integer (kernels are centred: size 2r+1, e.g. 3, 5, 7)' });

/** A `Float64Array` option. */
export const float64Array = z.instanceof(Float64Array, { message: 'must be a Float64Array' });

/** Validate a tensor shape (non-empty list of positive integers) and return a frozen copy. */
export function parseShape(shape: unknown, what: string): Shape {
  return Object.freeze([...parseOrThrow(shapeSchema, shape, `${what} shape`)]);
}

/** Parse a constructor's options object with a strict zod schema (unknown keys are rejected). */
export function parseOptions<S extends z.ZodType>(schema: S, options: unknown, what: string): z.output<S> {
  return parseOrThrow(schema, options, `${what} options`);
}

/**
 * Validate a data array given to a constructor: right length for `shape` and finite entries.
 * `name` names the option, e.g. `ConvFilterBank kernels`.
 */
export function checkData(name: string, data: ArrayLike<number>, shape: Shape | number): void {
  assertLength(name, data, shape);
  assertFinite(name, data);
}

/** Throw a {@link ValidationError} with `message` unless `ok`. */
export function ensure(ok: boolean, message: string): void {
  if (!ok) throw new ValidationError(message);
}

function lengthError(op: string, arg: string, got: number, expected: number, shape: Shape): ShapeError {
  return new ShapeError(`${op}: ${arg} has length ${got}, expected ${expected} (shape ${formatShape(shape)})`);
}

/**
 * The per-call check of `apply` / `adjoint`: `input` has `nIn` entries, `out` has `nOut`
 * entries, and (unless `aliasOk`) `out !== input`. O(1).
 */
export function checkCall(
  op: string,
  input: ArrayLike<number>,
  inShape: Shape,
  nIn: number,
  out: ArrayLike<number>,
  outShape: Shape,
  nOut: number,
  aliasOk: boolean,
): void {
  if (input.length !== nIn) throw lengthError(op, 'input', input.length, nIn, inShape);
  if (out.length !== nOut) throw lengthError(op, 'out', out.length, nOut, outShape);
  if (!aliasOk && (out as unknown) === (input as unknown)) {
    throw new ShapeError(`${op}: out must not alias the input for this operator; pass a separate output array`);
  }
}

/** The per-call check of `paramVjp`: lengths of `x`, `y` and `grad`. O(1). */
export function checkVjpCall(
  op: string,
  x: ArrayLike<number>,
  domain: Shape,
  y: ArrayLike<number>,
  range: Shape,
  grad: ArrayLike<number>,
  nParams: number,
): void {
  const n = shapeSize(domain);
  const m = shapeSize(range);
  if (x.length !== n) throw lengthError(`${op}.paramVjp`, 'x', x.length, n, domain);
  if (y.length !== m) throw lengthError(`${op}.paramVjp`, 'y', y.length, m, range);
  if (grad.length !== nParams) {
    throw new ShapeError(`${op}.paramVjp: grad has length ${grad.length}, expected ${nParams} (one entry per parameter)`);
  }
}

/** Validate `setParams(theta)`: length and finiteness. */
export function checkParams(op: string, theta: ArrayLike<number>, nParams: number): void {
  assertLength(`${op}.setParams theta`, theta, nParams);
  assertFinite(`${op}.setParams theta`, theta);
}

/** `setParams(theta)` of an operator whose θ is the array `params`: validate ({@link checkParams}), then copy. */
export function copyParams(op: string, params: Float64Array, theta: ArrayLike<number>): void {
  checkParams(op, theta, params.length);
  for (let i = 0; i < params.length; i++) params[i] = theta[i]!;
}
