/**
 * Validation shared by the backend's methods: `runSaddle` steps, options and warm starts, and
 * the primitives' arguments.
 * @module
 */
import { assertFinite, assertLength, parseOrThrow, positive, positiveInt, ShapeError, ValidationError, z, type Vec } from '@bilevel/core';
import type { HuberConjOptions, RunSaddleOptions, SaddleState, SaddleSteps } from './backend.js';

// not strict: the steps of `pdhgSteps` (with their kind, rate, …) are accepted as they are
const stepsSchema = z.object({
  tau: positive,
  sigma: positive,
  theta: z.number().min(0).max(1),
  normK: positive.optional(),
});

const runSchema = z.strictObject({
  iterations: positiveInt,
  piggyback: z.boolean().optional(),
  warm: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Validate `runSaddle` steps and options: `τ, σ > 0`, `θ ∈ [0, 1]`, `τσ‖K‖² ≤ 1` when `normK` is
 * given, a positive integer number of iterations.
 * @throws ValidationError naming the offending option and how to fix it
 */
export function parseRun(steps: SaddleSteps, options: RunSaddleOptions): { readonly steps: SaddleSteps; readonly iterations: number; readonly piggyback: boolean | undefined } {
  const s = parseOrThrow(stepsSchema, steps, 'runSaddle steps');
  if (s.normK !== undefined) {
    const prod = s.tau * s.sigma * s.normK * s.normK;
    if (prod > 1 + 1e-9) {
      throw new ValidationError(
        `runSaddle steps: τσ‖K‖² = ${prod.toPrecision(6)} > 1 (τ = ${s.tau}, σ = ${s.sigma}, ‖K‖ ≤ ${s.normK.toPrecision(6)}): PDHG may diverge; use pdhgSteps of @bilevel/solvers`,
      );
    }
  }
  const o = parseOrThrow(runSchema, options, 'runSaddle options');
  return { steps: s, iterations: o.iterations, piggyback: o.piggyback };
}

/**
 * Copy a warm start into `state` (the kernel's iterates): the entries `x, y, X, Y, xPrev, XPrev`
 * are length-checked (other keys, e.g. of a previous `SaddleResult`, are ignored); missing ones
 * start at zero, `xPrev`/`XPrev` default to `x`/`X`. Returns `X, Y, XPrev` of the warm start (for
 * a run without the piggyback, which returns them as given).
 * @throws ValidationError / ShapeError naming the offending entry
 */
export function loadWarm(state: SaddleState, warm: Partial<SaddleState> | undefined, n: number, m: number): Pick<SaddleState, 'X' | 'Y' | 'XPrev'> {
  const w = (warm ?? {}) as Partial<Record<keyof SaddleState, unknown>>;
  const take = (key: keyof SaddleState, len: number, fallback?: Vec): Float64Array => {
    const v = w[key];
    if (v === undefined) return fallback ? fallback.slice() : new Float64Array(len);
    if (!(v instanceof Float64Array)) throw new ValidationError(`runSaddle options: warm.${key} must be a Float64Array`);
    assertLength(`runSaddle warm.${key}`, v, len);
    assertFinite(`runSaddle warm.${key}`, v);
    return v;
  };
  const x = take('x', n);
  const X = take('X', n);
  const given = { X, Y: take('Y', m), XPrev: take('XPrev', n, X) };
  state.x.set(x);
  state.xPrev.set(take('xPrev', n, x));
  state.y.set(take('y', m));
  if (state.X.length === n) {
    state.X.set(given.X);
    state.Y.set(given.Y);
    state.XPrev.set(given.XPrev);
  }
  return given;
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
