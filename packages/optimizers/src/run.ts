/**
 * Driving an optimizer with the run loop of `@bilevel/core`: the optimizer as a `Machine`
 * (its own terminal conditions: divergence, convergence, stall), a gradient-norm criterion, and
 * periodic checkpoints of its state. I/O-free: checkpoints are handed to a `save` callback (see
 * `@bilevel/optimizers/node` for atomic files).
 * @module
 */
import {
  allFinite, anyOf, checkpointEvery, parseOrThrow, run, untilIteration, maxTotalIterations, when, z,
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

/**
 * When to stop {@link runSync}.
 * @deprecated Use the stop criteria of `@bilevel/core` (`untilIteration`, `maxTotalIterations`,
 * `wallTime`, `abortSignal`) and {@link gradTolerance}.
 */
export interface RunSyncBudget {
  /** Stop once `state.iteration ≥ maxIterations` (upper-level iterations, counted over all sessions). */
  readonly maxIterations?: number;
  /** Stop once the cumulative lower-level + adjoint + CG iterations `totalIterations(state.cost)` reach this. */
  readonly maxTotalIterations?: number;
  /** Stop once this session has run for this many wall-clock milliseconds (checked between steps). */
  readonly maxWallTime?: number;
  /** Stop (reason `'converged'`) after a step whose `‖z‖ ≤ gradTol` (the step's update is kept). */
  readonly gradTol?: number;
  /** Stop (reason `'aborted'`) when this signal is aborted (checked between steps). */
  readonly signal?: AbortSignal;
}

/**
 * Periodic checkpointing of {@link runSync}.
 * @deprecated Use {@link optimizerCheckpoints} (or `checkpointEvery` of `@bilevel/core`).
 */
export interface CheckpointPolicy {
  /** Save after every step that brings `state.iteration` to a multiple of `every`. */
  readonly every: number;
  /** Receives each checkpoint (synchronous). */
  save(checkpoint: Checkpoint): void;
  /** Also save when the run stops (budget, abort, convergence; not divergence), unless just saved (default true). */
  readonly onStop?: boolean;
}

/**
 * Options of {@link runSync}.
 * @deprecated See {@link runSync}.
 */
export interface RunSyncOptions<S extends OptimizerState = OptimizerState> {
  /** Stopping limits. */
  readonly budget?: RunSyncBudget;
  /** Called after every step with its record. */
  readonly onStep?: (record: StepRecord, state: S) => void;
  /** Periodic checkpoints. */
  readonly checkpoint?: CheckpointPolicy;
}

/**
 * Outcome of {@link runSync}.
 * @deprecated See {@link runSync}.
 */
export interface RunSyncResult<S extends OptimizerState = OptimizerState> {
  /** The (mutated) state. */
  readonly state: S;
  /** Why the run stopped. */
  readonly stopReason: StopReason;
  /** Steps taken in this session. */
  readonly steps: number;
  /** The last record of this session, if any step was taken. */
  readonly lastRecord?: StepRecord;
}

const budgetSchema = z.strictObject({
  maxIterations: z.number().int('must be an integer').nonnegative('must be ≥ 0').optional(),
  maxTotalIterations: z.number().nonnegative('must be ≥ 0').optional(),
  maxWallTime: z.number().nonnegative('must be ≥ 0 (milliseconds)').optional(),
  gradTol: z.number().nonnegative('must be ≥ 0').optional(),
  signal: z.custom<AbortSignal>((v) => typeof v === 'object' && v !== null && 'aborted' in v, 'must be an AbortSignal').optional(),
});

/**
 * Run `optimizer` on `oracle` from `state` under a budget: an adapter over `run` of
 * `@bilevel/core` with {@link optimizerMachine}, the budget as stop criteria and the checkpoint
 * policy as {@link optimizerCheckpoints}.
 * @deprecated Use `run(optimizerMachine(optimizer, oracle), state, { stop, callbacks })` (or
 * `runAsync`) of `@bilevel/core`; kept for the app until it moves to the core loop.
 */
export function runSync<S extends OptimizerState>(
  optimizer: Optimizer<S>, oracle: HypergradientOracle, state: S, options: RunSyncOptions<S> = {},
): RunSyncResult<S> {
  const b = parseOrThrow(budgetSchema, options.budget ?? {}, 'run budget');
  const criteria: StoppingCriterion<OptimizerState, StepRecord>[] = [];
  const signal = b.signal;
  if (signal) criteria.push(when(() => signal.aborted, 'aborted', 'abort signal'));
  if (b.maxIterations !== undefined) criteria.push(untilIteration(b.maxIterations));
  if (b.maxTotalIterations !== undefined) criteria.push(maxTotalIterations(b.maxTotalIterations));
  const wall = b.maxWallTime;
  if (wall !== undefined) criteria.push(when((c) => c.elapsedMs >= wall, 'time-limit', `elapsed ≥ ${wall} ms`));
  if (b.gradTol !== undefined) criteria.push(gradTolerance(b.gradTol));
  const callbacks: RunCallbacks<S, StepRecord, Certificate>[] = [];
  const onStep = options.onStep;
  if (onStep) {
    callbacks.push({
      usesCertificate: false,
      onStep: (e) => {
        onStep(e.record, e.state);
      },
    });
  }
  const policy = options.checkpoint;
  if (policy) {
    const p = parseOrThrow(z.object({ every: z.number().int('must be an integer').positive('must be ≥ 1') }), policy, 'run checkpoint policy');
    callbacks.push(optimizerCheckpoints(optimizer, p.every, (c) => policy.save(c), policy.onStop === undefined ? {} : { onStop: policy.onStop }));
  }
  const stop = criteria.length > 0 ? anyOf(...criteria) : when(() => false, 'max-iterations', 'never');
  const r = run(optimizerMachine(optimizer, oracle), state, { stop, callbacks });
  return { state, stopReason: r.reason, steps: r.iterations, ...(r.record ? { lastRecord: r.record } : {}) };
}
