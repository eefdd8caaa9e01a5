/**
 * Solvers as resumable state machines, their certificates and stop reasons.
 * @module
 */
import type { Cost } from './cost.js';

/**
 * Numbers that certify how close an iterate is to the solution. Every certificate has
 * `distance`, an upper bound on `‖iterate − solution‖` (`Infinity` when none is available);
 * solvers add their own entries (gap, residuals, `epsX`, `epsY`, …).
 */
export interface Certificate {
  /** Upper bound on the distance of the current iterate to the exact solution. */
  readonly distance: number;
  /** Further named certificate values (documented by each solver). */
  readonly [name: string]: number;
}

/** Why an iterative method stopped. */
export type StopReason =
  | 'converged'
  | 'max-iterations'
  | 'time-limit'
  | 'aborted'
  | 'budget'
  | 'diverged'
  | 'breakdown';

/** State shared by every solver: the iteration counter and the cost so far. */
export interface SolverState {
  /** Iterations completed. */
  iteration: number;
  /** Work done so far. */
  readonly cost: Cost;
}

/**
 * A resumable iterative solver (arXiv 2412.06436 piggyback, MAID re-solves and warm starts share
 * this one code path). `init` allocates everything; `step` never allocates; state is plain
 * typed arrays and scalars, so it serialises for checkpoints and warm starts.
 */
export interface Solver<P, S extends SolverState, C extends Certificate = Certificate> {
  /** Build a fresh state for `problem`, warm-started from `warm` when given. */
  init(problem: P, warm?: Partial<S>): S;
  /** Advance one iteration in place. */
  step(state: S): void;
  /** A-posteriori certificate at the current iterate (may cost extra operator applications). */
  certificate(state: S): C;
  /**
   * Optional: give back what the state holds for reuse by later `init`s (a fused kernel's
   * memory). Call it when done with the state (after copying what is still needed): the state's
   * arrays must not be read or stepped afterwards. Without it the state is simply dropped.
   */
  release?(state: S): void;
}
