/**
 * Driving an optimizer: budgets (upper-level iterations, total lower-level iterations, wall
 * time, abort signal), per-step callbacks and periodic checkpoints. I/O-free: checkpoints are
 * handed to a `save` callback (see `@bilevel/optimizers/node` for atomic files).
 * @module
 */
import { allFinite, parseOrThrow, totalIterations, z, type HypergradientOracle, type StopReason } from '@bilevel/core';
import { now } from './common.js';
import type { Checkpoint, Optimizer, OptimizerState, StepRecord } from './types.js';

/** When to stop. Every limit is optional; without any, `run` stops only on convergence, divergence or abort. */
export interface Budget {
  /** Stop once `state.iteration ≥ maxIterations` (upper-level iterations, counted over all sessions). */
  readonly maxIterations?: number;
  /** Stop once the cumulative lower-level + adjoint + CG iterations `totalIterations(state.cost)` reach this. */
  readonly maxTotalIterations?: number;
  /** Stop once this session has run for this many wall-clock milliseconds (checked between steps). */
  readonly maxWallTime?: number;
  /**
   * Stop (reason `'converged'`) after a step whose `‖z‖ ≤ gradTol` (the step's update is kept).
   * The optimizers' own `gradTol` option instead stops *before* updating (MAID then skips the
   * line search); either may be used.
   */
  readonly gradTol?: number;
  /** Stop (reason `'aborted'`) when this signal is aborted (checked between steps). */
  readonly signal?: AbortSignal;
}

/** Periodic checkpointing. */
export interface CheckpointPolicy {
  /** Save after every step that brings `state.iteration` to a multiple of `every`. */
  readonly every: number;
  /** Receives each checkpoint (e.g. an atomic file writer); may be async for {@link run}. */
  save(checkpoint: Checkpoint): void | Promise<void>;
  /** Also save when the run stops (budget, abort, convergence; not divergence), unless just saved (default true). */
  readonly onStop?: boolean;
}

/** Options of {@link run} / {@link runSync}. */
export interface RunOptions<S extends OptimizerState = OptimizerState> {
  /** Stopping limits. */
  readonly budget?: Budget;
  /** Called after every step with its record (e.g. a JSONL writer, a progress bar). */
  readonly onStep?: (record: StepRecord, state: S) => void;
  /** Periodic checkpoints. */
  readonly checkpoint?: CheckpointPolicy;
}

/** Outcome of {@link run} / {@link runSync}. */
export interface RunResult<S extends OptimizerState = OptimizerState> {
  /** The (mutated) state. */
  readonly state: S;
  /** Why the run stopped (`StopReason` of `@bilevel/core`). */
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
const policySchema = z.object({
  every: z.number().int('must be an integer').positive('must be ≥ 1'),
  save: z.custom<CheckpointPolicy['save']>((v) => typeof v === 'function', 'must be a function'),
  onStop: z.boolean().optional(),
});

type Phase = { kind: 'stop'; reason: StopReason } | { kind: 'step' };

function* driver<S extends OptimizerState>(
  optimizer: Optimizer<S>, oracle: HypergradientOracle, state: S, options: RunOptions<S>,
): Generator<Checkpoint | Phase, RunResult<S>, void> {
  const budget = parseOrThrow(budgetSchema, options.budget ?? {}, 'run budget');
  const policy = options.checkpoint ? parseOrThrow(policySchema, options.checkpoint, 'run checkpoint policy') : undefined;
  const start = now();
  let steps = 0;
  let last: StepRecord | undefined;
  let savedAt = -1;
  let reason: StopReason | undefined;
  for (;;) {
    if (budget.signal?.aborted) reason = 'aborted';
    else if (budget.maxIterations !== undefined && state.iteration >= budget.maxIterations) reason = 'max-iterations';
    else if (budget.maxTotalIterations !== undefined && totalIterations(state.cost) >= budget.maxTotalIterations) reason = 'budget';
    else if (budget.maxWallTime !== undefined && now() - start >= budget.maxWallTime) reason = 'time-limit';
    if (reason) break;
    const rec = optimizer.step(oracle, state);
    steps++;
    last = rec;
    options.onStep?.(rec, state);
    // Decide divergence before checkpointing: a non-finite state must never replace a good checkpoint.
    if (!Number.isFinite(rec.loss) || !Number.isFinite(rec.gradNorm) || !allFinite(state.theta.length, state.theta)) reason = 'diverged';
    else if (rec.converged || (budget.gradTol !== undefined && rec.gradNorm <= budget.gradTol)) reason = 'converged';
    else if (rec.stalled) reason = 'breakdown';
    if (policy && reason !== 'diverged' && state.iteration % policy.every === 0) {
      savedAt = state.iteration;
      yield optimizer.checkpoint(state);
    }
    if (reason) break;
    yield { kind: 'step' };
  }
  if (policy && (policy.onStop ?? true) && reason !== 'diverged' && savedAt !== state.iteration && steps > 0) yield optimizer.checkpoint(state);
  return { state, stopReason: reason!, steps, ...(last ? { lastRecord: last } : {}) };
}

const isCheckpoint = (v: Checkpoint | Phase): v is Checkpoint => 'format' in v;

/**
 * Run `optimizer` on `oracle` from `state` until a {@link Budget} limit, convergence
 * (`record.converged`), divergence (non-finite loss, gradient or θ) or abort. After each step:
 * `onStep(record, state)`, then a checkpoint when `state.iteration % every === 0`.
 * Yields to the event loop between steps (so a Ctrl-C handler can abort the signal);
 * `save` may return a promise, which is awaited. A step that throws propagates (no final save).
 */
export async function run<S extends OptimizerState>(
  optimizer: Optimizer<S>, oracle: HypergradientOracle, state: S, options: RunOptions<S> = {},
): Promise<RunResult<S>> {
  const it = driver(optimizer, oracle, state, options);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
    if (isCheckpoint(r.value)) await options.checkpoint!.save(r.value);
    else await yieldToEventLoop();
  }
}

/**
 * Synchronous {@link run}: identical trajectory and records, but it never yields to the event
 * loop (an abort signal is only seen if aborted from `onStep` or `save`), and `save` must be synchronous.
 */
export function runSync<S extends OptimizerState>(
  optimizer: Optimizer<S>, oracle: HypergradientOracle, state: S, options: RunOptions<S> = {},
): RunResult<S> {
  const it = driver(optimizer, oracle, state, options);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
    if (isCheckpoint(r.value)) {
      const p = options.checkpoint!.save(r.value);
      if (p !== undefined && typeof (p as Promise<void>).then === 'function') {
        throw new TypeError('runSync: checkpoint.save returned a promise; use run() for asynchronous saves');
      }
    }
  }
}

function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  return new Promise((resolve) => (g.setImmediate ? g.setImmediate(resolve) : setTimeout(resolve, 0)));
}
