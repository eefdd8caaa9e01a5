/**
 * Composable stopping criteria (field lessons, lesson 5: criteria are objects that combine with
 * `or`/`and` and consume certificates, as in pyxu's `opt/stop.py`).
 * @module
 */
import {
  ValidationError,
  costKeys,
  nonNegative,
  parseOrThrow,
  positive,
  positiveInt,
  z,
  type Certificate,
  type Cost,
  type SolverState,
  type StopReason,
} from '@bilevel/core';

/** What a criterion sees after each iteration of {@link run}. */
export interface StopContext {
  /** Iterations done in this `run` call (`state.iteration` counts all, including resumed ones). */
  readonly iterations: number;
  /** The solver state. */
  readonly state: SolverState;
  /** Milliseconds since this `run` call started. */
  readonly elapsedMs: number;
  /** A certificate computed at this iteration (every `certificateEvery` iterations), else `undefined`. */
  readonly certificate: Certificate | undefined;
}

/** A stopping criterion: returns a `StopReason` to stop, `undefined` to continue. */
export interface StoppingCriterion {
  /** Whether the criterion reads certificates (then `run` computes them every `m` iterations). */
  readonly usesCertificate: boolean;
  /** Human-readable description, e.g. `distance ≤ 1e-6`. */
  readonly description: string;
  /** Decide after an iteration. */
  check(ctx: StopContext): StopReason | undefined;
}

/** Stop with `'max-iterations'` once `n` iterations were done in this run. */
export function maxIterations(n: number): StoppingCriterion {
  const k = parseOrThrow(z.number().int().nonnegative(), n, 'maxIterations(n): n');
  return {
    usesCertificate: false,
    description: `iterations ≥ ${k}`,
    check: (ctx) => (ctx.iterations >= k ? 'max-iterations' : undefined),
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

/** Stop with `'aborted'` once `signal` is aborted (checked after each iteration). */
export function abortSignal(signal: AbortSignal): StoppingCriterion {
  if (!(signal instanceof AbortSignal)) throw new ValidationError('abortSignal(signal): signal must be an AbortSignal');
  return {
    usesCertificate: false,
    description: 'abort signal',
    check: () => (signal.aborted ? 'aborted' : undefined),
  };
}

/** Stop with `'budget'` once any counter of `state.cost` reaches its limit (counters of the whole state). */
export function budget(limits: Partial<Cost>): StoppingCriterion {
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

/** Stop as soon as any criterion says so, with the first (in argument order) reason. */
export function anyOf(...criteria: StoppingCriterion[]): StoppingCriterion {
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
export function allOf(...criteria: StoppingCriterion[]): StoppingCriterion {
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
