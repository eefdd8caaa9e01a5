/**
 * Option validation for constructors (functionals, operators, regularizers): zod schemas whose
 * messages say what was wrong (NaN, ±Infinity, sign), per-block values, data arrays, and the
 * checks of `setParams`. Messages name the option and say how to fix it.
 *
 * Policy: constructors validate their options (`parseOptions`, `dataArray`); `setParams` checks
 * length, finiteness and sign; hot methods (`prox`, `proxJvp`, `gradient`, `hvp`) do not
 * re-validate their arguments.
 * @module
 */
import { z } from 'zod';
import { ValidationError } from './errors.js';
import { assertFinite, assertLength, parseOrThrow, shapeSchema } from './validate.js';
import type { Shape } from './vec.js';

/** What is wrong with `v` as a number satisfying `ok` (`requirement` says what `ok` demands). */
function numberProblem(v: unknown, ok: (t: number) => boolean, requirement: string): string | undefined {
  if (typeof v !== 'number') return `must be a number, got ${typeof v}`;
  if (Number.isNaN(v)) return 'must be finite, got NaN';
  if (!Number.isFinite(v)) return `must be finite, got ${v}`;
  return ok(v) ? undefined : `${requirement}, got ${v}`;
}

/** A zod schema for numbers with `ok`, whose message says what was wrong (NaN, ±Infinity, sign). */
function numberSchema(ok: (t: number) => boolean, requirement: string) {
  return z.custom<number>((v) => numberProblem(v, ok, requirement) === undefined, {
    error: (issue) => numberProblem(issue.input, ok, requirement) ?? requirement,
  });
}

/** A finite number `> 0`, e.g. a weight or a smoothing parameter. */
export const positiveNumber = numberSchema((v) => v > 0, 'must be > 0');

/** A finite number `≥ 0`, e.g. the modulus `μ` of an added quadratic. */
export const nonNegativeNumber = numberSchema((v) => v >= 0, 'must be ≥ 0 (weights cannot be negative)');

/** A finite non-zero number (argument scalings). */
export const nonZeroNumber = numberSchema((v) => v !== 0, 'must be non-zero');

/** A positive integer. */
export const positiveInteger = z.number().int({ message: 'must be an integer' }).positive({ message: 'must be ≥ 1' });

function isNumericArray(v: unknown): v is ArrayLike<number> {
  if (v instanceof Float64Array || v instanceof Float32Array) return true;
  return Array.isArray(v) && v.every((t) => typeof t === 'number');
}

/** An array of numbers (a plain array or a typed array); lengths and finiteness are checked later. */
export const numericArray = z.custom<ArrayLike<number>>(isNumericArray, {
  message: 'must be an array or Float64Array of numbers',
});

/** What is wrong with `v` as a positive number or a non-empty array of them. */
function perBlockProblem(v: unknown): string | undefined {
  if (typeof v === 'number') return numberProblem(v, (t) => t > 0, 'must be > 0');
  if (!isNumericArray(v)) return 'must be a number > 0 or an array of numbers > 0 (one per block)';
  if (v.length === 0) return 'must not be an empty array';
  for (let i = 0; i < v.length; i++) {
    const p = numberProblem(v[i], (t) => t > 0, 'must be > 0');
    if (p) return `entry ${i} ${p}`;
  }
  return undefined;
}

/**
 * A positive parameter given once (shared by every block) or once per block: a finite number
 * `> 0` or a non-empty array of them. The message names the first offending entry.
 */
export const positiveOrPerBlock = z.custom<number | ArrayLike<number>>((v) => perBlockProblem(v) === undefined, {
  error: (issue) => perBlockProblem(issue.input) ?? 'invalid',
});

/** Parse a constructor's options object with a strict zod schema (unknown keys are rejected). */
export function parseOptions<S extends z.ZodType>(schema: S, options: unknown, what: string): z.output<S> {
  return parseOrThrow(schema, options, `${what} options`);
}

/** Throw a {@link ValidationError} with `message` unless `ok`. */
export function ensure(ok: boolean, message: string): void {
  if (!ok) throw new ValidationError(message);
}

/**
 * Copy a data array option into a fresh `Float64Array` after checking its length against
 * `shape` and that every entry is finite. `name` names the option, e.g. `QuadraticFidelity data`.
 */
export function dataArray(name: string, data: ArrayLike<number>, shape: Shape | number): Float64Array {
  assertLength(name, data, shape);
  assertFinite(name, data);
  return Float64Array.from(data);
}

/**
 * Broadcast per-block values: a number becomes `count` copies, an array must have `count`
 * entries. `name` names the option in the error message.
 */
export function perBlock(name: string, value: number | ArrayLike<number>, count: number): Float64Array {
  if (typeof value === 'number') return new Float64Array(count).fill(value);
  ensure(
    value.length === count,
    `${name}: expected a number or ${count} values (one per block), got ${value.length} values`,
  );
  return Float64Array.from(value);
}

/** Number of blocks implied by options given as numbers or per-block arrays (1 when all are numbers). */
export function blockCount(name: string, values: readonly (number | ArrayLike<number>)[]): number {
  let count = 1;
  for (const v of values) {
    if (typeof v === 'number') continue;
    ensure(
      count === 1 || v.length === count,
      `${name}: per-block arrays must have equal lengths (got ${count} and ${v.length})`,
    );
    count = v.length;
  }
  return count;
}

/**
 * The check of `setParams` for a block of positive parameters: `theta` has `names.length`
 * finite entries, each `> 0`; errors name the offending parameter.
 */
export function checkPositiveParams(what: string, theta: ArrayLike<number>, names: readonly string[]): void {
  assertLength(`${what}.setParams theta`, theta, names.length);
  for (let i = 0; i < names.length; i++) {
    const t = theta[i]!;
    ensure(Number.isFinite(t) && t > 0, `${what}.setParams: ${names[i]} must be a finite number > 0, got ${t}`);
  }
}

/** Parameter names for per-block parameters: `alpha` when there is one block, else `alpha[b]`. */
export function blockNames(bases: readonly string[], blocks: number): string[] {
  const names: string[] = [];
  for (const base of bases) {
    if (blocks === 1) names.push(base);
    else for (let b = 0; b < blocks; b++) names.push(`${base}[${b}]`);
  }
  return names;
}

/** A validated, frozen copy of a shape. */
export function checkShape(what: string, shape: Shape): Shape {
  ensure(shapeSchema.safeParse(shape).success, `${what}: shape must be a non-empty list of positive integers, got ${String(shape)}`);
  return Object.freeze([...shape]);
}

/** A finite number `≥ 0`. */
export function nonNegativeOption(name: string, v: number): number {
  ensure(typeof v === 'number' && Number.isFinite(v) && v >= 0, `${name}: must be a finite number ≥ 0, got ${v}`);
  return v;
}

/** A finite number `> 0`. */
export function positiveOption(name: string, v: number): number {
  ensure(typeof v === 'number' && Number.isFinite(v) && v > 0, `${name}: must be a finite number > 0, got ${v}`);
  return v;
}

/** A positive integer. */
export function positiveIntegerOption(name: string, v: number): number {
  ensure(Number.isInteger(v) && v >= 1, `${name}: must be a positive integer, got ${v}`);
  return v;
}

/**
 * Per-block values: one number (one block) or an array whose length divides `count` (blocks of
 * `count/length` consecutive entries). Returned as a fresh array, finite entries checked.
 */
export function blockValues(name: string, value: number | ArrayLike<number>, count: number): Float64Array {
  const arr = typeof value === 'number' ? Float64Array.of(value) : Float64Array.from(value);
  ensure(arr.length > 0 && count % arr.length === 0, `${name}: give one number or an array whose length divides ${count} (one value per block), got ${arr.length} values`);
  assertFinite(name, arr);
  return arr;
}

/** {@link blockValues} with every entry `> 0`. */
export function positiveBlockValues(name: string, value: number | ArrayLike<number>, count: number): Float64Array {
  const arr = blockValues(name, value, count);
  for (let i = 0; i < arr.length; i++) ensure(arr[i]! > 0, `${name}: entry ${i} must be > 0, got ${arr[i]}`);
  return arr;
}


/** A leaky-ReLU slope `a ∈ [0, 1)` (the slope for negative inputs). */
export function checkSlope(name: string, a: number): number {
  ensure(typeof a === 'number' && Number.isFinite(a) && a >= 0 && a < 1, `${name}: must be a number in [0, 1) (the leaky ReLU's slope for negative inputs), got ${a}`);
  return a;
}
