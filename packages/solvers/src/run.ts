/**
 * The `run` driver: step a resumable solver until a stopping criterion fires.
 * @module
 */
import { parseOrThrow, positiveInt, z, type Certificate, type Solver, type SolverState, type StopReason } from '@bilevel/core';
import { maxIterations, type StoppingCriterion } from './stopping.js';

/** A state that can report a terminal condition found inside `step` (divergence, breakdown, exact convergence). */
export interface HaltableState extends SolverState {
  /** Set by `step` to stop the run (e.g. `'diverged'` on NaN); `null`/absent otherwise. */
  halt?: StopReason | null;
}

/** Options of {@link run}. */
export interface RunOptions<S, C extends Certificate> {
  /** When to stop (default `maxIterations(1000)`). */
  readonly stop?: StoppingCriterion;
  /**
   * Compute a certificate every `m` iterations (default 10: the certificates cost extra operator
   * applications, piggyback-pdhg.md §3.6). Certificates are computed only when `stop` reads them
   * or `onIteration` is given.
   */
  readonly certificateEvery?: number;
  /**
   * Called after every step with the state and the certificate of this iteration when one was
   * computed (else `undefined`). Return a `StopReason` to stop.
   */
  readonly onIteration?: (state: S, certificate: C | undefined) => StopReason | void;
}

/** Outcome of {@link run}. */
export interface RunResult<S, C extends Certificate> {
  /** The final state (the same object that was passed in, advanced). */
  readonly state: S;
  /** Why the run stopped. */
  readonly reason: StopReason;
  /** Certificate of the final iterate (always computed for it). */
  readonly certificate: C;
  /** Iterations done in this run. */
  readonly iterations: number;
  /** Wall time of this run in milliseconds. */
  readonly elapsedMs: number;
}

const runOptionsSchema = z.object({ certificateEvery: positiveInt.default(10) });

/**
 * Advance `state` with `solver.step` until a criterion fires:
 * ```
 * k = 0
 * loop:  if certificates wanted and k mod m = 0: c = solver.certificate(state)
 *        if k > 0: onIteration(state, c)            (may stop)
 *        if state.halt: stop with it                 ('diverged', 'breakdown', 'converged')
 *        if stop.check({k, state, elapsed, c}): stop
 *        solver.step(state); k++
 * ```
 * A certificate is checked at `k = 0`, so an already converged warm start takes no step.
 * Returns the certificate of the final iterate (computed if the last one is stale).
 */
export function run<P, S extends HaltableState, C extends Certificate>(
  solver: Solver<P, S, C>,
  state: S,
  options: RunOptions<S, C> = {},
): RunResult<S, C> {
  const { certificateEvery: m } = parseOrThrow(runOptionsSchema, { certificateEvery: options.certificateEvery }, 'run options');
  const stop = options.stop ?? maxIterations(1000);
  const onIteration = options.onIteration;
  const wantCertificates = stop.usesCertificate || onIteration !== undefined;
  const t0 = performance.now();
  let k = 0;
  let last: C | undefined;
  let lastAt = -1;
  let reason: StopReason;
  for (;;) {
    let fresh: C | undefined;
    if (wantCertificates && k % m === 0) {
      fresh = solver.certificate(state);
      last = fresh;
      lastAt = k;
    }
    if (k > 0 && onIteration) {
      const r = onIteration(state, fresh);
      if (r) {
        reason = r;
        break;
      }
    }
    if (state.halt) {
      reason = state.halt;
      break;
    }
    const r = stop.check({ iterations: k, state, elapsedMs: performance.now() - t0, certificate: fresh });
    if (r) {
      reason = r;
      break;
    }
    solver.step(state);
    k++;
  }
  const certificate = lastAt === k && last !== undefined ? last : solver.certificate(state);
  return { state, reason, certificate, iterations: k, elapsedMs: performance.now() - t0 };
}
