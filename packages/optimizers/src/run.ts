/**
 * Driving an optimizer with the run loop of `@bilevel/core`: the optimizer as a `Machine`
 * (its own terminal conditions: divergence, convergence, stall), a gradient-norm criterion, and
 * periodic checkpoints of its state. I/O-free: checkpoints are handed to a `save` callback (see
 * `@bilevel/optimizers/node` for atomic files).
 * @module
 */
import {
  allFinite, checkpointEvery, parseOrThrow, when, z,
  type Certificate, type CheckpointEveryOptions, type HypergradientOracle, type Machine, type RunCallbacks,
  type StopReason, type StoppingCriterion,
} from '@bilevel/core';
import type { Checkpoint, Optimizer, OptimizerState, StepRecord } from './types.js';

/**
 * The terminal condition of an optimizer after a step: `'diverged'` on a non-finite loss,
 * hypergradient norm or θ; `'converged'` when the step met the optimizer's `gradTol`
 * (`record.converged`); `'breakdown'` when MAID stalled (`record.stalled`).
 */
export function optimizerHalt(record: StepRecord, state: OptimizerState): StopReason | undefined {
  if (!Number.isFinite(record.loss) || !Number.isFinite(record.gradNorm) || !allFinite(state.theta.length, state.theta)) return 'diverged';
  if (record.converged) return 'converged';
  if (record.stalled) return 'breakdown';
  return undefined;
}

/**
 * `optimizer` on `oracle` as a `Machine` for `run` / `runAsync` of `@bilevel/core`: a step is one
 * upper-level iteration (`optimizer.step(oracle, state)`, record {@link StepRecord}); the machine
 * halts by {@link optimizerHalt}, so a diverged run stops before a checkpoint callback could save it.
 * Budgets are stop criteria of core (`untilIteration`, `maxTotalIterations`, `wallTime`,
 * `abortSignal`, {@link gradTolerance}).
 */
export function optimizerMachine<S extends OptimizerState>(optimizer: Optimizer<S>, oracle: HypergradientOracle): Machine<S, StepRecord> {
  return {
    step: (state) => optimizer.step(oracle, state),
    halted: (state, record) => (record === undefined ? undefined : optimizerHalt(record, state)),
  };
}

/**
 * Stop with `'converged'` after a step whose `‖z‖ ≤ tol` (the step's update is kept). The
 * optimizers' own `gradTol` option instead stops *before* updating (MAID then skips the line
 * search); either may be used.
 */
export function gradTolerance(tol: number): StoppingCriterion<unknown, StepRecord> {
  const t = parseOrThrow(z.number().nonnegative('must be ≥ 0'), tol, 'gradTolerance(tol): tol');
  return when<unknown, StepRecord>((c) => c.record !== undefined && c.record.gradNorm <= t, 'converged', `‖z‖ ≤ ${t}`);
}

/**
 * Checkpoints of `optimizer` for the run loop: `save(optimizer.checkpoint(state))` after every
 * step that brings `state.iteration` to a multiple of `every`, and at the stop (core's
 * `checkpointEvery`: never a diverged state, not twice for one iteration).
 */
export function optimizerCheckpoints<S extends OptimizerState>(
  optimizer: Optimizer<S>,
  every: number,
  save: (checkpoint: Checkpoint) => void | Promise<void>,
  options: CheckpointEveryOptions = {},
): RunCallbacks<S, unknown, Certificate> {
  return checkpointEvery<S>(every, (state) => save(optimizer.checkpoint(state)), options);
}
