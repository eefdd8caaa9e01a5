/**
 * The hypergradient oracle: the one contract every upper-level optimizer consumes.
 * @module
 */
import type { Cost } from './cost.js';
import type { StopReason } from './solver.js';

/** Accuracies requested from the lower-level solve (`epsilon`) and the adjoint/CG solve (`delta`). */
export interface Tolerances {
  /** Lower-level accuracy `ε`: the solve stops when its certified distance is `≤ ε`. */
  readonly epsilon: number;
  /** Adjoint accuracy `δ` (piggyback distances `δ_X, δ_Y` or CG residual). */
  readonly delta: number;
}

/**
 * Per-sample warm-start state: named typed arrays (lower-level iterate, dual, adjoint…), so it
 * can be checkpointed and restored without knowing the estimator.
 */
export type SampleWarmState = Readonly<Record<string, Float64Array>>;

/** Warm-start states keyed by sample index. */
export type WarmState = ReadonlyMap<number, SampleWarmState>;

/**
 * Which certified bracket of the exact loss an estimate reports (MAID, arXiv 2308.10098,
 * Lemma 3.5 / Remark 3.6; docs/math/maid.md#the-loss-bracket), with `ℓ = ℓ(x̃)`, `g = ‖∇ℓ(x̃)‖`,
 * `‖x̃ − x̂‖ ≤ ε`:
 * - `'convex'`: `[ℓ − gε, ℓ + gε + L_ℓε²/2]` (a convex loss: `ℓ(x̂) ≥ ℓ(x̃) + ⟨∇ℓ(x̃), x̂ − x̃⟩`);
 * - `'smooth'`: `[ℓ − gε − L_ℓε²/2, ℓ + gε + L_ℓε²/2]` (any loss with an `L_ℓ`-Lipschitz gradient).
 */
export type LossBracket = 'convex' | 'smooth';

/**
 * Inexact upper-level loss at θ, with a certified bracket of the exact loss:
 * `lossLower ≤ L(θ) ≤ lossUpper`, the tightest valid one the oracle knows (`bracket` says which).
 * Optimizers use `lossLower`/`lossUpper` as given and never re-derive them.
 */
export interface LossEstimate {
  /** Mean over the batch of `ℓ_i(x̃_i)`. */
  readonly loss: number;
  /** Certified lower bound of the exact batch loss. */
  readonly lossLower: number;
  /** Certified upper bound of the exact batch loss. */
  readonly lossUpper: number;
  /** The form of the bracket (see {@link LossBracket}). */
  readonly bracket: LossBracket;
  /** The accuracy actually certified (mean over the batch of the per-sample distance bounds). */
  readonly epsilon: number;
  /**
   * Why the per-sample solves stopped: `'converged'` when every sample met its tolerances,
   * otherwise the reason of the first sample that did not (e.g. `'max-iterations'`: the
   * iteration cap was hit and `epsilon`, `delta`, `bound` certify what was reached instead).
   */
  readonly stop: StopReason;
  /** Number of samples of the batch whose solve stopped at its iteration cap. */
  readonly capped: number;
  /** Work done for this estimate. */
  readonly cost: Cost;
  /** Updated warm starts of the batch's samples (fresh arrays; inputs are never mutated). */
  readonly warm: WarmState;
}

/** Inexact hypergradient with its a-posteriori error bound `‖gradient − ∇L(θ)‖ ≤ bound`. */
export interface HypergradientEstimate extends LossEstimate {
  /** Mean over the batch of the per-sample hypergradients, aligned with θ. */
  readonly gradient: Float64Array;
  /** Mean over the batch of the per-sample error bounds. */
  readonly bound: number;
  /** The adjoint accuracy actually certified. */
  readonly delta: number;
}

/**
 * What every upper-level optimizer consumes (docs/architecture.md#hypergradient-oracle): given θ, a batch of sample
 * indices and tolerances, the loss, the hypergradient, its a-posteriori bound, the cost and
 * per-sample warm-start state. Batch results are means of per-sample results.
 */
export interface HypergradientOracle {
  /** Number of parameters (length of θ). */
  readonly dimension: number;
  /** Number of training samples; batches index `0 … numSamples − 1`. */
  readonly numSamples: number;
  /** Loss only (lower-level solve, no adjoint): what line searches need. */
  loss(theta: Float64Array, batch: readonly number[], epsilon: number, warm?: WarmState): LossEstimate;
  /** Loss, hypergradient and error bound. */
  evaluate(theta: Float64Array, batch: readonly number[], tol: Tolerances, warm?: WarmState): HypergradientEstimate;
}
