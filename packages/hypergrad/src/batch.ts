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
  type LossBracket,
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
 * Mean of per-sample losses with the certified bracket (MAID Lemma 3.5 / Remark 3.6: the convex
 * form for a convex loss), the batch's stop reason (the first sample's that did not converge) and
 * the number of samples that hit their iteration cap.
 */
export function meanLoss(
  samples: readonly SampleLoss[],
  batch: readonly number[],
  loss: Loss,
  n: number,
  previous: WarmState | undefined,
) {
  const cost = zeroCost();
  const warm = new Map(previous ?? []);
  let value = 0;
  let lower = 0;
  let upper = 0;
  let epsilon = 0;
  let stop: StopReason = 'converged';
  let capped = 0;
  samples.forEach((s, k) => {
    const b = lossBracket(s.loss, s.gradLossNorm, loss.lipschitz(n), s.epsilon, loss.convex);
    value += s.loss;
    lower += b.lower;
    upper += b.upper;
    epsilon += s.epsilon;
    if (stop === 'converged') stop = s.stop;
    if (s.stop === 'max-iterations') capped++;
    addCost(cost, s.cost);
    warm.set(batch[k]!, s.warm);
  });
  const m = samples.length;
  const bracket: LossBracket = loss.convex ? 'convex' : 'smooth';
  return { loss: value / m, lossLower: lower / m, lossUpper: upper / m, bracket, epsilon: epsilon / m, stop, capped, cost, warm: warm as WarmState };
}

/** Mean of per-sample hypergradients and bounds (`‖z̄ − ∇L‖ ≤ mean ω_i`). */
export function meanGradient(samples: readonly SampleGradient[], batch: readonly number[], loss: Loss, n: number, previous: WarmState | undefined) {
  const base = meanLoss(samples, batch, loss, n, previous);
  const p = samples[0]!.gradient.length;
  const gradient = new Float64Array(p);
  let bound = 0;
  let delta = 0;
  for (const s of samples) {
    for (let j = 0; j < p; j++) gradient[j] = gradient[j]! + s.gradient[j]!;
    bound += s.bound;
    delta += s.delta;
  }
  const m = samples.length;
  for (let j = 0; j < p; j++) gradient[j] = gradient[j]! / m;
  return { ...base, gradient, bound: bound / m, delta: delta / m };
}

/** Copy a warm state's arrays (estimators never write into the caller's warm state). */
export function copyWarm(w: SampleWarmState | undefined): Record<string, Float64Array> | undefined {
  if (!w) return undefined;
  const out: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(w)) out[k] = Float64Array.from(v);
  return out;
}
