/**
 * zod helpers for the public boundaries: shapes, finite numbers, tolerances, and a parser that
 * turns zod issues into a {@link ValidationError} naming each offending option.
 * @module
 */
import { z } from 'zod';
import { ShapeError, ValidationError, NumericalError } from './errors.js';
import { formatShape, shapeSize, type Shape } from './vec.js';

/** A finite number (no NaN, no ±Inf). */
export const finite = z.number().finite();
/** A finite number `> 0`. */
export const positive = z.number().finite().positive();
/** A finite number `≥ 0`. */
export const nonNegative = z.number().finite().nonnegative();
/** An integer `≥ 1`. */
export const positiveInt = z.number().int().positive();
/** A number in the open interval `(0, 1)`. */
export const unitInterval = z.number().gt(0).lt(1);
/** A `Float64Array` (validated by instance; lengths are checked separately, e.g. by {@link assertLength}). */
export const vecSchema = z.custom<Float64Array>((v) => v instanceof Float64Array, { message: 'must be a Float64Array' });
/** A tensor shape: a non-empty list of positive integers. */
export const shapeSchema = z.array(positiveInt).min(1);
/** Lower-level and adjoint tolerances, both finite and `> 0`. */
export const tolerancesSchema = z.strictObject({ epsilon: positive, delta: positive });

/**
 * A strict zod object (unknown keys are rejected) whose unknown-key message names the offending
 * keys and the allowed ones, e.g. `unknown key "filter" (allowed keys here: kind, filters, …)` —
 * for configs that people write by hand.
 */
export function strictObject<S extends z.ZodRawShape>(shape: S) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown key${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k: string) => `"${k}"`).join(', ')} (allowed keys here: ${allowed})`
        : undefined,
  });
}

/**
 * The error option of a discriminated union on `kind`: an unknown kind reads
 * `<what>: "kind" must be one of 'a', 'b'`.
 */
export function kindError(what: string, kinds: readonly string[]): { error: (iss: { code?: string }) => string | undefined } {
  return {
    error: (iss: { code?: string }) =>
      iss.code === 'invalid_union' ? `${what}: "kind" must be one of ${kinds.map((k) => `'${k}'`).join(', ')}` : undefined,
  };
}

/**
 * Parse `value` with `schema`; on failure throw a {@link ValidationError} whose message lists
 * every violated constraint with its path (e.g. `pdhg options: tau: must be > 0`).
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  throw new ValidationError(`invalid ${what}:\n  ${issues.join('\n  ')}`, issues);
}

/** Throw a {@link ShapeError} unless `x.length` equals the size of `shape`. */
export function assertLength(name: string, x: ArrayLike<number>, shape: Shape | number): void {
  const n = typeof shape === 'number' ? shape : shapeSize(shape);
  if (x.length !== n) {
    const s = typeof shape === 'number' ? `${n}` : `${n} (shape ${formatShape(shape)})`;
    throw new ShapeError(`${name}: expected length ${s}, got ${x.length}`);
  }
}

/** Throw a {@link ValidationError} naming the first NaN/Inf entry of `x`, if any. */
export function assertFinite(name: string, x: ArrayLike<number>): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) throw new ValidationError(`${name}: entry ${i} is ${x[i]} (data must be finite)`);
  }
}

/** Throw a {@link NumericalError} when a computed scalar is NaN or infinite. */
export function assertFiniteResult(name: string, v: number): number {
  if (!Number.isFinite(v)) throw new NumericalError(`${name} is ${v}: the computation diverged or received invalid data`);
  return v;
}
