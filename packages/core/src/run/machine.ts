/**
 * The state machines that {@link run} drives: solvers (lower level), optimizers (upper level) and
 * anything else that advances a serialisable state one step at a time.
 * @module
 */
import type { Certificate, StopReason } from '../contracts/solver.js';

/**
 * A resumable state machine: `step` advances `state` in place and returns a record of the step
 * (`void` for the solvers, a `StepRecord` for the optimizers). Every `Solver` of
 * `@bilevel/core` is a `Machine<S, void, C>`.
 */
export interface Machine<S, R = void, C extends Certificate = Certificate> {
  /** Advance one step in place; returns the step's record. */
  step(state: S): R;
  /** A-posteriori certificate of the current state (solvers; may cost extra operator applications). */
  certificate?(state: S): C;
  /**
   * A terminal condition found by the last step (`record` is `undefined` before the first step
   * of a run): `'diverged'`, `'breakdown'`, `'converged'`, or `undefined` to continue. A state
   * with a `halt` field ({@link HaltableState}) reports it there instead.
   */
  halted?(state: S, record: R | undefined): StopReason | undefined;
}

/** A {@link Machine} with a certificate (every solver). */
export type CertifiedMachine<S, R = void, C extends Certificate = Certificate> = Machine<S, R, C> & {
  /** A-posteriori certificate of the current state. */
  certificate(state: S): C;
};

/** A state that reports a terminal condition found inside `step` (divergence, breakdown, exact convergence). */
export interface HaltableState {
  /** Set by `step` to stop the run (e.g. `'diverged'` on NaN); `null`/absent otherwise. */
  halt?: StopReason | null;
}

/** The terminal condition of `state` after a step: the machine's `halted`, else the state's `halt`. */
export function haltOf<S, R>(machine: Machine<S, R, Certificate>, state: S, record: R | undefined): StopReason | undefined {
  const h = machine.halted?.(state, record);
  if (h) return h;
  if (typeof state === 'object' && state !== null && 'halt' in state) return (state as HaltableState).halt ?? undefined;
  return undefined;
}
