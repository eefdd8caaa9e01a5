/**
 * Helpers for `norm()`: a cache that `setParams` invalidates, the provenance rules of combined
 * norms, and the seeded power iteration used where no closed form or provable bound is known.
 * @module
 */
import { powerIteration, type LinearOperator, type OperatorNorm, type PowerIterationOptions } from '@bilevel/core';

/**
 * Settings of the power-iteration estimates reported with kind `estimate`: seed 0 (so the
 * estimate is reproducible), at most 300 applications of `KᵀK`, relative change 1e-9.
 */
export const NORM_ESTIMATE_OPTIONS: Readonly<PowerIterationOptions> = Object.freeze({ seed: 0, maxIter: 300, rtol: 1e-9 });

/** A seeded power-iteration estimate of `‖K‖` (kind `estimate`, approaches the norm from below). */
export function estimateNorm(K: LinearOperator): OperatorNorm {
  return powerIteration(K, NORM_ESTIMATE_OPTIONS);
}

/** Whether a norm report is safe to use in step-size rules (`exact` or `upper-bound`). */
export function isProvable(n: OperatorNorm | undefined): n is OperatorNorm {
  return n !== undefined && (n.kind === 'exact' || n.kind === 'upper-bound');
}

/** A lazily computed norm, recomputed after {@link NormCache.invalidate}. */
export class NormCache {
  private value: OperatorNorm | undefined;

  /** The cached norm, computing it with `compute` on first use. */
  get(compute: () => OperatorNorm): OperatorNorm {
    if (this.value === undefined) this.value = compute();
    return this.value;
  }

  /** Forget the cached value (called by `setParams`). */
  invalidate(): void {
    this.value = undefined;
  }
}
