/**
 * Validation shared by the backends: run options, warm starts and primitive arguments.
 * @module
 */
import { assertFinite, assertLength, parseOrThrow, positive, positiveInt, ShapeError, ValidationError, z, type Vec } from '@bilevel/core';
import type { HuberConjOptions, RunSaddleOptions, SaddleState } from './backend.js';
import { dualChannels, parseSaddleSpec, parseSaddleSteps, type SaddleSpec, type SaddleSteps } from './spec.js';

const runSchema = z.strictObject({
  iterations: positiveInt,
  piggyback: z.boolean().optional(),
  warm: z.record(z.string(), z.unknown()).optional(),
});

type WarmKey = keyof SaddleState;

/** A validated run: spec, steps, flags and a fresh copy of the start state. */
export interface PreparedRun {
  /** The validated spec (defaults filled in). */
  readonly spec: SaddleSpec;
  /** The validated steps. */
  readonly steps: SaddleSteps;
  /** Iterations to run. */
  readonly iterations: number;
  /** Whether the piggyback runs. */
  readonly piggyback: boolean;
  /** Start state (fresh arrays, owned by the run). */
  readonly state: SaddleState;
}

/**
 * Validate `runSaddle` arguments and build the start state: the warm entries `x, y, X, Y, xPrev,
 * XPrev` are length-checked and copied (other keys, e.g. of a previous `SaddleResult`, are
 * ignored); missing ones start at zero, `xPrev`/`XPrev` default to `x`/`X`.
 * @throws ValidationError / ShapeError naming the offending option
 */
export function prepareRun(specIn: SaddleSpec, stepsIn: SaddleSteps, options: RunSaddleOptions): PreparedRun {
  const spec = parseSaddleSpec(specIn);
  const steps = parseSaddleSteps(stepsIn, spec);
  const o = parseOrThrow(runSchema, options, 'runSaddle options');
  const piggyback = o.piggyback ?? spec.target !== undefined;
  if (piggyback && spec.target === undefined) {
    throw new ValidationError('runSaddle options: piggyback needs the loss target; set spec.target (x†) or pass piggyback: false');
  }
  const n = spec.height * spec.width;
  const C = dualChannels(spec);
  // only the state entries are read, so a previous SaddleResult is a valid warm start
  const warm = (options.warm ?? {}) as Partial<Record<WarmKey, unknown>>;
  const take = (key: WarmKey, len: number, fallback?: Vec): Float64Array => {
    const v = warm[key];
    if (v === undefined) return fallback ? fallback.slice() : new Float64Array(len);
    if (!(v instanceof Float64Array)) throw new ValidationError(`runSaddle options: warm.${key} must be a Float64Array`);
    assertLength(`runSaddle warm.${key}`, v, len);
    assertFinite(`runSaddle warm.${key}`, v);
    return v.slice();
  };
  const x = take('x', n);
  const X = take('X', n);
  const state: SaddleState = {
    x,
    y: take('y', C * n),
    X,
    Y: take('Y', C * n),
    xPrev: take('xPrev', n, x),
    XPrev: take('XPrev', n, X),
  };
  return { spec, steps, iterations: o.iterations, piggyback, state };
}

const huberSchema = z.strictObject({
  sigma: positive,
  alpha: positive,
  epsilon: z.number().finite().nonnegative(),
  isotropic: z.boolean(),
  channels: positiveInt,
});

/** Validate {@link HuberConjOptions} and that `w` has a multiple of `channels` entries. */
export function parseHuberOptions(o: HuberConjOptions, w: Vec): HuberConjOptions {
  const p = parseOrThrow(huberSchema, o, 'Huber-conjugate options');
  if (w.length % p.channels !== 0) {
    throw new ShapeError(`Huber-conjugate prox: input length ${w.length} is not a multiple of channels = ${p.channels}`);
  }
  return p;
}

/** Throw a {@link ShapeError} unless `x, X` have `H·W` entries and `y, Y` have `C·H·W`. */
export function assertStateShape(what: string, spec: SaddleSpec, state: Pick<SaddleState, 'x' | 'y' | 'X' | 'Y'>): void {
  const n = spec.height * spec.width;
  const m = dualChannels(spec) * n;
  assertLength(`${what} x`, state.x, n);
  assertLength(`${what} X`, state.X, n);
  assertLength(`${what} y`, state.y, m);
  assertLength(`${what} Y`, state.Y, m);
}

/** Validate a finite scalar argument. */
export function finiteScalar(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValidationError(`${name} must be a finite number, got ${String(v)}`);
  return v;
}

/** Throw a {@link ShapeError} unless `a` and `b` have the same length. */
export function assertSameLength(what: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new ShapeError(`${what}: lengths differ (${a.length} vs ${b.length})`);
}

/** The output array: `out` when given (length-checked), else a fresh one. */
export function outArray(name: string, out: Vec | undefined, n: number): Vec {
  if (out === undefined) return new Float64Array(n);
  assertLength(name, out, n);
  return out;
}
