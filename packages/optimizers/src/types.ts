/**
 * The shapes every optimizer shares: state, step records, checkpoints and the optimizer
 * contract (a resumable state machine `init → step → step → …`).
 * @module
 */
import type { Cost, HypergradientOracle, SampleWarmState, StopReason } from '@bilevel/core';
import type { JsonValue } from './codec.js';

/** Names of the optimizers of this package (the `method` field of states, records and checkpoints). */
export type MethodName = 'gd' | 'maid' | 'adaptive-piggyback' | 'isgd' | 'iadam';

/**
 * State shared by every optimizer. All fields are plain numbers, `Float64Array`s, arrays and
 * maps, so the state serialises losslessly ({@link Optimizer.checkpoint}). The optimizer
 * mutates the state in place; `theta` is updated in place and handed to the oracle, which must
 * not keep a reference to it.
 */
export interface OptimizerState {
  /** Which optimizer owns this state. */
  readonly method: MethodName;
  /** Current parameters θ_k (flat; see `ParamLayout` for named blocks). */
  readonly theta: Float64Array;
  /** Upper-level iterations completed (accepted or not). */
  iteration: number;
  /** Cumulative work of every oracle call, including rejected line-search trials. */
  cost: Cost;
  /**
   * Per-sample warm starts (lower-level iterate, dual, adjoint…), from the last accepted point.
   * Replaced, never mutated, so an old reference stays valid.
   */
  warm: Map<number, SampleWarmState>;
  /** Wall-clock milliseconds spent in `step` so far (over all sessions). Never affects the trajectory. */
  elapsed: number;
}

/**
 * One upper-level iteration, as logged: JSON-lines ready (numbers, booleans, one nested
 * {@link Cost}). Wall-clock fields are {@link WALL_TIME_FIELDS}; everything else is a
 * deterministic function of the options, θ₀, the oracle and the seed.
 */
export interface StepRecord {
  /** Optimizer that produced the record. */
  readonly method: MethodName;
  /** 0-based index `k` of this upper-level iteration (θ_k → θ_{k+1}). */
  readonly iteration: number;
  /** Epoch of the minibatch (stochastic methods; 0 for full-batch methods). */
  readonly epoch: number;
  /** Number of samples in the batch the hypergradient was computed on. */
  readonly batchSize: number;
  /** Inexact batch loss `(1/|S|) Σ ℓ_i(x̃_i)` at θ_k (from the last hypergradient evaluation of the step). */
  readonly loss: number;
  /** Certified lower bound of the exact batch loss at θ_k. */
  readonly lossLower: number;
  /** Certified upper bound of the exact batch loss at θ_k. */
  readonly lossUpper: number;
  /** `‖z_k‖`, the norm of the inexact hypergradient used by the step. */
  readonly gradNorm: number;
  /** A-posteriori bound `ω_k ≥ ‖z_k − ∇L(θ_k)‖` reported by the oracle. */
  readonly bound: number;
  /** Lower-level tolerance `ε` requested for the hypergradient of this step. */
  readonly epsilon: number;
  /** Adjoint/CG tolerance `δ` requested for the hypergradient of this step. */
  readonly delta: number;
  /** Lower-level accuracy certified by the oracle (batch mean). */
  readonly certifiedEpsilon: number;
  /** Adjoint accuracy certified by the oracle (batch mean). */
  readonly certifiedDelta: number;
  /** Step size `α` of the update (MAID: the accepted `α`, or the last one tried when no trial was accepted). */
  readonly stepSize: number;
  /** Rejected line-search trial points in this iteration (0 for methods without a line search). */
  readonly backtracks: number;
  /** MAID: accuracy refinements `ε, δ ← νε, νδ` forced by the descent test `ω ≤ (1−η)‖z‖`. */
  readonly refinements: number;
  /** MAID: failed line-search rounds (each followed by `ε, δ ← νε, νδ` and a retry). */
  readonly retries: number;
  /** Whether θ changed in this iteration. */
  readonly accepted: boolean;
  /** MAID: whether the descent test certified `−z` as a descent direction (always true elsewhere). */
  readonly descentCertified: boolean;
  /** Whether the gradient-norm tolerance was met (`‖z‖ ≤ gradTol`); θ is then left unchanged. */
  readonly converged: boolean;
  /**
   * MAID: no trial was accepted and the tolerances cannot be tightened further (at their floors,
   * or fixed-accuracy mode): `run` stops with reason `'breakdown'`. Always false elsewhere.
   */
  readonly stalled: boolean;
  /** MAID: inexact loss at the accepted (or last) trial point. */
  readonly trialLoss?: number;
  /** MAID: certified upper bound of the loss at the accepted (or last) trial point, `U↑(θ⁺)`. */
  readonly trialLossUpper?: number;
  /** MAID: the certified lower bound `U↓(θ_k)` used by the acceptance test. */
  readonly acceptLower?: number;
  /**
   * Why the lower-level/adjoint solves of this step stopped: `'converged'` when every solve met
   * its tolerances, else the first other reason (`'max-iterations'`: a solve hit its iteration
   * cap, and the certified values above describe what it reached).
   */
  readonly solveStop: StopReason;
  /** Per-sample solves of this step (all oracle calls) that stopped at their iteration cap. */
  readonly cappedSolves: number;
  /** Cumulative cost after this step (a fresh copy). */
  readonly cost: Cost;
  /** Cumulative lower-level + adjoint + CG iterations, `totalIterations(cost)`. */
  readonly totalIterations: number;
  /** Cumulative wall-clock milliseconds spent in `step` (over all sessions). Wall-clock field. */
  readonly wallTime: number;
  /** Wall-clock milliseconds of this step. Wall-clock field. */
  readonly stepTime: number;
}

/** The fields of a {@link StepRecord} that depend on the wall clock (excluded from reproducibility checks). */
export const WALL_TIME_FIELDS = ['wallTime', 'stepTime'] as const satisfies readonly (keyof StepRecord)[];

/** A {@link StepRecord} without its wall-clock fields: what must be identical between a run and its resumption. */
export function withoutWallTime(record: StepRecord): Omit<StepRecord, (typeof WALL_TIME_FIELDS)[number]> {
  const { wallTime: _w, stepTime: _s, ...rest } = record;
  return rest;
}

/** Identifier of the checkpoint format. */
export const CHECKPOINT_FORMAT = 'bilevel-optimizer-checkpoint';
/** Version of the checkpoint format written by this package. */
export const CHECKPOINT_VERSION = 1;

/**
 * A JSON-compatible snapshot of an optimizer: its serialisable options and its full state
 * (θ, moments, tolerances, step size, iteration counter, RNG state, epoch permutation and
 * position, cumulative cost, per-sample warm starts), typed arrays base64-encoded losslessly.
 */
export interface Checkpoint {
  /** Always {@link CHECKPOINT_FORMAT}. */
  readonly format: typeof CHECKPOINT_FORMAT;
  /** Always {@link CHECKPOINT_VERSION}. */
  readonly version: typeof CHECKPOINT_VERSION;
  /** Optimizer that wrote the checkpoint. */
  readonly method: MethodName;
  /** Validated options (without projection hooks, which are functions). */
  readonly options: { readonly [key: string]: JsonValue };
  /** Encoded state (see `encodeJson`). */
  readonly state: JsonValue;
}

/**
 * An upper-level optimizer as a resumable state machine: `init(θ₀)` builds the state,
 * `step(oracle, state)` performs one upper-level iteration in place and returns its record,
 * `checkpoint` / `restore` serialise the state losslessly. Options are fixed at construction
 * (validated with zod). The trajectory depends only on options, θ₀, the oracle and the seed.
 */
export interface Optimizer<S extends OptimizerState = OptimizerState, O = unknown> {
  /** Name written into states, records and checkpoints. */
  readonly method: MethodName;
  /** The validated options, defaults filled in. */
  readonly options: Readonly<O>;
  /** A fresh state at θ₀ (copied; the input is not retained). */
  init(theta0: Float64Array): S;
  /** One upper-level iteration: updates `state` in place, returns the log record. */
  step(oracle: HypergradientOracle, state: S): StepRecord;
  /** A JSON-compatible snapshot of `state` (and of the options, for checking on restore). */
  checkpoint(state: S): Checkpoint;
  /**
   * Rebuild a state from a checkpoint written by an optimizer with the same method and
   * options; throws a `ValidationError` naming any option that differs.
   */
  restore(checkpoint: Checkpoint): S;
}
