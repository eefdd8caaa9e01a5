/**
 * Composable stopping criteria of {@link run}: objects that combine with `anyOf`/`allOf` and
 * may read certificates (as in pyxu's `opt/stop.py`).
 * @module
 */
import type { Certificate, SolverState, StopReason } from '../contracts/solver.js';
import { costKeys, totalIterations, type Cost } from '../contracts/cost.js';
import { ValidationError } from '../errors.js';
import { nonNegative, nonNegativeInt, parseOrThrow, positive, positiveInt } from '../validate.js';
import { z } from 'zod';

/** What a criterion sees before each step of {@link run} (and at its start). */
export interface StopContext<S = unknown, R = unknown> {
  /** Steps done in this `run` call (`state.iteration` counts all, including resumed sessions). */
  readonly iterations: number;
  /** The state. */
  readonly state: S;
  /** Milliseconds since this `run` call started. */
  readonly elapsedMs: number;
  /** A certificate computed at this iteration (every `certificateEvery` iterations), else `undefined`. */
  readonly certificate: Certificate | undefined;
  /** The record of the last step (`undefined` before the first step of this run). */
  readonly record: R | undefined;
}

/**
 * A stopping criterion: returns a `StopReason` to stop, `undefined` to continue. `S` and `R` are
 * what it reads of the state and the step record (`unknown`: nothing).
 */
export interface StoppingCriterion<S = unknown, R = unknown> {
  /** Whether the criterion reads certificates (then `run` computes them every `certificateEvery` iterations). */
  readonly usesCertificate: boolean;
  /** Human-readable description, e.g. `distance ≤ 1e-6`. */
  readonly description: string;
  /** Decide before a step. */
  readonly check: (ctx: StopContext<S, R>) => StopReason | undefined;
}

/** Stop with `'max-iterations'` once `n` steps were done in this run. */
export function maxIterations(n: number): StoppingCriterion {
  const k = parseOrThrow(nonNegativeInt, n, 'maxIterations(n): n');
  return {
    usesCertificate: false,
    description: `iterations ≥ ${k}`,
    check: (ctx) => (ctx.iterations >= k ? 'max-iterations' : undefined),
  };
}

/**
 * Stop with `'max-iterations'` once the state's own counter reaches `n`: `state.iteration ≥ n`.
 * The counter is part of the state, so it counts over all sessions of a resumed run (an optimizer
 * restored at iteration 600 and run `untilIteration(1000)` takes 400 more steps).
 */
export function untilIteration(n: number): StoppingCriterion<Pick<SolverState, 'iteration'>> {
  const k = parseOrThrow(nonNegativeInt, n, 'untilIteration(n): n');
  return {
    usesCertificate: false,
    description: `state.iteration ≥ ${k}`,
    check: (ctx) => (ctx.state.iteration >= k ? 'max-iterations' : undefined),
  };
}

/**
 * Stop with `'converged'` when a fresh certificate has `certificate[key] ≤ eps`
 * (default key `distance`, the certified bound on `‖iterate − solution‖`). Checked only at the
 * iterations where `run` computes a certificate (every `certificateEvery`).
 */
export function tolerance(eps: number, key = 'distance'): StoppingCriterion {
  const e = parseOrThrow(nonNegative, eps, 'tolerance(eps): eps');
  return {
    usesCertificate: true,
    description: `${key} ≤ ${e}`,
    check: (ctx) => {
      const c = ctx.certificate;
      if (!c) return undefined;
      const v = c[key];
      return v !== undefined && v <= e ? 'converged' : undefined;
    },
  };
}

/** Stop with `'time-limit'` once `ms` milliseconds have passed in this run. */
export function wallTime(ms: number): StoppingCriterion {
  const t = parseOrThrow(positive, ms, 'wallTime(ms): ms');
  return {
    usesCertificate: false,
    description: `elapsed ≥ ${t} ms`,
    check: (ctx) => (ctx.elapsedMs >= t ? 'time-limit' : undefined),
  };
}

/** Stop with `'aborted'` once `signal` is aborted (checked before every step). */
export function abortSignal(signal: AbortSignal): StoppingCriterion {
  if (!(signal instanceof AbortSignal)) throw new ValidationError('abortSignal(signal): signal must be an AbortSignal');
  return {
    usesCertificate: false,
    description: 'abort signal',
    check: () => (signal.aborted ? 'aborted' : undefined),
  };
}

/** Stop with `'budget'` once any counter of `state.cost` reaches its limit (counters of the whole state). */
export function budget(limits: Partial<Cost>): StoppingCriterion<Pick<SolverState, 'cost'>> {
  const schema = z.strictObject(Object.fromEntries(costKeys.map((k) => [k, positiveInt.optional()])));
  parseOrThrow(schema, limits, 'budget(limits)');
  const entries = costKeys.filter((k) => limits[k] !== undefined).map((k) => [k, limits[k]!] as const);
  return {
    usesCertificate: false,
    description: `cost ≥ {${entries.map(([k, v]) => `${k}: ${v}`).join(', ')}}`,
    check: (ctx) => {
      for (const [k, v] of entries) if (ctx.state.cost[k] >= v) return 'budget';
      return undefined;
    },
  };
}

/**
 * Stop with `'budget'` once the cumulative lower-level + adjoint + CG iterations of the state,
 * `totalIterations(state.cost)` (the work measure of the MAID/ISGD papers), reach `n`.
 */
export function maxTotalIterations(n: number): StoppingCriterion<Pick<SolverState, 'cost'>> {
  const k = parseOrThrow(nonNegative, n, 'maxTotalIterations(n): n');
  return {
    usesCertificate: false,
    description: `totalIterations(cost) ≥ ${k}`,
    check: (ctx) => (totalIterations(ctx.state.cost) >= k ? 'budget' : undefined),
  };
}

/**
 * Stop with `reason` when `predicate(ctx)` holds, e.g. on a field of the last step record:
 * `when<MaidState, StepRecord>((c) => c.record !== undefined && c.record.gradNorm ≤ 1e-6, 'converged')`.
 */
export function when<S = unknown, R = unknown>(
  predicate: (ctx: StopContext<S, R>) => boolean,
  reason: StopReason,
  description = `when(${reason})`,
): StoppingCriterion<S, R> {
  if (typeof predicate !== 'function') throw new ValidationError('when(predicate, reason): predicate must be a function (ctx) => boolean');
  return { usesCertificate: false, description, check: (ctx) => (predicate(ctx) ? reason : undefined) };
}

/** Stop as soon as any criterion says so, with the first (in argument order) reason. */
export function anyOf<S, R>(...criteria: StoppingCriterion<S, R>[]): StoppingCriterion<S, R> {
  if (criteria.length === 0) throw new ValidationError('anyOf(): pass at least one criterion');
  return {
    usesCertificate: criteria.some((c) => c.usesCertificate),
    description: criteria.map((c) => c.description).join(' or '),
    check: (ctx) => {
      for (const c of criteria) {
        const r = c.check(ctx);
        if (r) return r;
      }
      return undefined;
    },
  };
}

/** Stop when every criterion says so at the same iteration, with the first criterion's reason. */
export function allOf<S, R>(...criteria: StoppingCriterion<S, R>[]): StoppingCriterion<S, R> {
  if (criteria.length === 0) throw new ValidationError('allOf(): pass at least one criterion');
  return {
    usesCertificate: criteria.some((c) => c.usesCertificate),
    description: criteria.map((c) => `(${c.description})`).join(' and '),
    check: (ctx) => {
      let first: StopReason | undefined;
      for (const c of criteria) {
        const r = c.check(ctx);
        if (!r) return undefined;
        first ??= r;
      }
      return first;
    },
  };
}
