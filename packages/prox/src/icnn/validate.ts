/**
 * Validation helpers of the ICNN modules: messages name the option and say how to fix it.
 * @module
 */
import { assertFinite, formatShape, shapeSchema, type Shape } from '@bilevel/core';
import { ensure } from '../validate.js';

/** A validated, frozen copy of a shape. */
export function checkShape(what: string, shape: Shape): Shape {
  ensure(shapeSchema.safeParse(shape).success, `${what}: shape must be a non-empty list of positive integers, got ${String(shape)}`);
  return Object.freeze([...shape]);
}

/** A leaky-ReLU slope `a ∈ [0, 1)`. */
export function checkSlope(name: string, a: number): number {
  ensure(typeof a === 'number' && Number.isFinite(a) && a >= 0 && a < 1, `${name}: must be a number in [0, 1) (the leaky ReLU's slope for negative inputs), got ${a}`);
  return a;
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

/** Check that `data` has exactly `n` finite entries and copy it. */
export function dataOf(name: string, data: ArrayLike<number>, n: number, shape?: Shape): Float64Array {
  ensure(data.length === n, `${name}: expected ${n} entries${shape ? ` (${formatShape(shape)})` : ''}, got ${data.length}`);
  const a = Float64Array.from(data);
  assertFinite(name, a);
  return a;
}
