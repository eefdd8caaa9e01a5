/**
 * Batch bookkeeping shared by every estimator: validation of θ and batches, means of per-sample
 * results, warm-state maps and cost accumulation.
 * @module
 */
import {
  addCost,
  assertFinite,
  assertLength,
  ValidationError,
  zeroCost,
  type Cost,
  type HypergradientEstimate,
  type LossBracket,
  type LossEstimate,
  type SampleWarmState,
  type StopReason,
  type WarmState,
} from '@bilevel/core';
import type { Loss } from '@bilevel/core';
import { lossBracket } from './loss.js';

/** Throw a clear error unless θ has the right length and finite entries and the batch is valid. */
export function validateQuery(theta: Float64Array, batch: readonly number[], dimension: number, numSamples: number): void {
  assertLength('theta', theta, dimension);
  assertFinite('theta', theta);
  if (batch.length === 0) throw new ValidationError('batch: must contain at least one sample index');
  for (const i of batch) {
    if (!Number.isInteger(i) || i < 0 || i >= numSamples) {
      throw new ValidationError(`batch: sample index ${i} is not an integer in [0, ${numSamples - 1}]`);
    }
  }
}

/**
 * Throw a clear error unless the tolerances are numbers `≥ 0` (0 runs the solves to their
 * iteration caps) and not NaN.
 */
export function validateTolerances(tol: { epsilon: number; delta?: number }): void {
  for (const [name, v] of Object.entries(tol)) {
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0) {
      throw new ValidationError(`tolerances: ${name} = ${String(v)} must be a number ≥ 0 (0 runs the solve to its iteration cap)`);
    }
  }
}

/**
 * Start answering a query `(θ, batch, tolerances)`: validate θ and the batch against the
 * oracle's `dimension` and `numSamples` ({@link validateQuery}) and the tolerances
 * ({@link validateTolerances}), then set θ on the model the oracle evaluates.
 */
export function applyQuery(
  oracle: { readonly dimension: number; readonly numSamples: number },
  model: { setParams(theta: ArrayLike<number>): void },
  theta: Float64Array,
  batch: readonly number[],
  tol: { epsilon: number; delta?: number },
): void {
  validateQuery(theta, batch, oracle.dimension, oracle.numSamples);
  validateTolerances(tol);
  model.setParams(theta);
}

/** A per-sample lower-level result: inexact loss data and the certified distance `ε`. */
export interface SampleLoss {
  /** `ℓ(x̃)`. */
  readonly loss: number;
  /** `‖∇ℓ(x̃)‖`. */
  readonly gradLossNorm: number;
  /** Certified `‖x̃ − x̂‖ ≤ epsilon`. */
  readonly epsilon: number;
  /** Why the solve stopped (`'converged'`: every requested tolerance was met). */
  readonly stop: StopReason;
  /** Work done. */
  readonly cost: Cost;
  /** Warm-start state to keep for this sample. */
  readonly warm: SampleWarmState;
}

/** Per-sample hypergradient result. */
export interface SampleGradient extends SampleLoss {
  /** Per-sample hypergradient `z_i`. */
  readonly gradient: Float64Array;
  /** Per-sample error bound `ω_i`. */
  readonly bound: number;
  /** Certified adjoint accuracy. */
  readonly delta: number;
}

/**
 * The estimate of one sample: what a batch estimate averages. `oracle.loss(θ, [i], …)` and
 * `oracle.evaluate(θ, [i], …)` give exactly these numbers for sample `i` (a mean over one sample
 * is the sample's own value), so per-sample work done anywhere — another thread, another
 * machine — reduces with {@link reduceLoss} / {@link reduceGradient} to the same bits as one
 * batch evaluation.
 */
export interface SampleLossEstimate {
  /** `ℓ_i(x̃_i)`. */
  readonly loss: number;
  /** Certified lower bound of `ℓ_i(x̂_i)` (MAID Lemma 3.5 / Remark 3.6). */
  readonly lossLower: number;
  /** Certified upper bound of `ℓ_i(x̂_i)`. */
  readonly lossUpper: number;
  /** Certified `‖x̃_i − x̂_i‖ ≤ epsilon`. */
  readonly epsilon: number;
  /** Why the solve stopped. */
  readonly stop: StopReason;
  /** 1 when the solve hit its iteration cap, else 0. */
  readonly capped: number;
  /** Work done. */
  readonly cost: Cost;
  /** Warm-start state to keep for this sample. */
  readonly warm: SampleWarmState;
}

/** The estimate of one sample with its hypergradient (see {@link SampleLossEstimate}). */
export interface SampleGradientEstimate extends SampleLossEstimate {
  /** Per-sample hypergradient `z_i`. */
  readonly gradient: Float64Array;
  /** Per-sample error bound `ω_i`. */
  readonly bound: number;
  /** Certified adjoint accuracy. */
  readonly delta: number;
}

/** The per-sample estimate of a lower-level result: its certified bracket (MAID Lemma 3.5 / Remark 3.6). */
function sampleEstimate(s: SampleLoss, loss: Loss, n: number): SampleLossEstimate {
  const b = lossBracket(s.loss, s.gradLossNorm, loss.lipschitz(n), s.epsilon, loss.convex);
  return { loss: s.loss, lossLower: b.lower, lossUpper: b.upper, epsilon: s.epsilon, stop: s.stop, capped: s.stop === 'max-iterations' ? 1 : 0, cost: s.cost, warm: s.warm };
}

/**
 * The estimate of sample `i` from an oracle's estimate over the batch `[i]` (its warm state must
 * hold sample `i`).
 */
export function sampleLossEstimate(e: LossEstimate, i: number): SampleLossEstimate {
  const warm = e.warm.get(i);
  if (!warm) throw new ValidationError(`sampleLossEstimate: the estimate has no warm state of sample ${i}; pass the estimate of the batch [${i}]`);
  return { loss: e.loss, lossLower: e.lossLower, lossUpper: e.lossUpper, epsilon: e.epsilon, stop: e.stop, capped: e.capped, cost: e.cost, warm };
}

/** {@link sampleLossEstimate} with the hypergradient, bound and adjoint accuracy. */
export function sampleGradientEstimate(e: HypergradientEstimate, i: number): SampleGradientEstimate {
  return { ...sampleLossEstimate(e, i), gradient: e.gradient, bound: e.bound, delta: e.delta };
}

/**
 * The batch estimate from per-sample estimates, in batch order (`estimates[k]` is sample
 * `batch[k]`): the means of the losses, of the bracket ends and of the certified accuracies
 * (summed in batch order, then divided by the batch size), the batch's stop reason (the first
 * sample's that did not converge), the number of capped solves, the summed cost, and `previous`
 * with the batch's warm states replaced.
 */
export function reduceLoss(
  estimates: readonly SampleLossEstimate[],
  batch: readonly number[],
  bracket: LossBracket,
  previous: WarmState | undefined,
): LossEstimate {
  if (estimates.length !== batch.length || batch.length === 0) {
    throw new ValidationError(`reduceLoss: ${estimates.length} estimates for a batch of ${batch.length} samples (one per sample, at least one)`);
  }
  const cost = zeroCost();
  const warm = new Map(previous ?? []);
  let value = 0;
  let lower = 0;
  let upper = 0;
  let epsilon = 0;
  let stop: StopReason = 'converged';
  let capped = 0;
  estimates.forEach((s, k) => {
    value += s.loss;
    lower += s.lossLower;
    upper += s.lossUpper;
    epsilon += s.epsilon;
    if (stop === 'converged') stop = s.stop;
    capped += s.capped;
    addCost(cost, s.cost);
    warm.set(batch[k]!, s.warm);
  });
  const m = estimates.length;
  return { loss: value / m, lossLower: lower / m, lossUpper: upper / m, bracket, epsilon: epsilon / m, stop, capped, cost, warm: warm as WarmState };
}

/** {@link reduceLoss} plus the mean hypergradient and bound (`‖z̄ − ∇L‖ ≤ mean ω_i`) and the mean adjoint accuracy. */
export function reduceGradient(
  estimates: readonly SampleGradientEstimate[],
  batch: readonly number[],
  bracket: LossBracket,
  previous: WarmState | undefined,
): HypergradientEstimate {
  const base = reduceLoss(estimates, batch, bracket, previous);
  const p = estimates[0]!.gradient.length;
  const gradient = new Float64Array(p);
  let bound = 0;
  let delta = 0;
  for (const s of estimates) {
    if (s.gradient.length !== p) throw new ValidationError(`reduceGradient: hypergradients of lengths ${p} and ${s.gradient.length} in one batch`);
    for (let j = 0; j < p; j++) gradient[j] = gradient[j]! + s.gradient[j]!;
    bound += s.bound;
    delta += s.delta;
  }
  const m = estimates.length;
  for (let j = 0; j < p; j++) gradient[j] = gradient[j]! / m;
  return { ...base, gradient, bound: bound / m, delta: delta / m };
}

/**
 * Mean of per-sample losses with the certified bracket (MAID Lemma 3.5 / Remark 3.6: the convex
 * form for a convex loss), the batch's stop reason (the first sample's that did not converge) and
 * the number of samples that hit their iteration cap: {@link reduceLoss} of the samples' estimates.
 */
export function meanLoss(samples: readonly SampleLoss[], batch: readonly number[], loss: Loss, n: number, previous: WarmState | undefined): LossEstimate {
  return reduceLoss(samples.map((s) => sampleEstimate(s, loss, n)), batch, loss.convex ? 'convex' : 'smooth', previous);
}

/** Mean of per-sample hypergradients and bounds (`‖z̄ − ∇L‖ ≤ mean ω_i`): {@link reduceGradient} of the samples' estimates. */
export function meanGradient(samples: readonly SampleGradient[], batch: readonly number[], loss: Loss, n: number, previous: WarmState | undefined): HypergradientEstimate {
  const estimates = samples.map((s) => ({ ...sampleEstimate(s, loss, n), gradient: s.gradient, bound: s.bound, delta: s.delta }));
  return reduceGradient(estimates, batch, loss.convex ? 'convex' : 'smooth', previous);
}

/** Copy a warm state's arrays (estimators never write into the caller's warm state). */
export function copyWarm(w: SampleWarmState | undefined): Record<string, Float64Array> | undefined {
  if (!w) return undefined;
  const out: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(w)) out[k] = Float64Array.from(v);
  return out;
}
