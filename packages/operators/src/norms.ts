/**
 * Helpers for `norm()`: a cache kept for the current parameters, the provenance rules of combined
 * norms, and the seeded power iteration used where no closed form or provable bound is known.
 * @module
 */
import { ValidationError, isParametricOperator, powerIteration, type LinearOperator, type OperatorNorm, type PowerIterationOptions } from '@bilevel/core';
import { ForwardingOperator } from './forwarding.js';

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

/**
 * A lazily computed norm, recomputed after {@link NormCache.invalidate} and, for a learnable
 * operator (its `params` given), whenever the parameters differ from those it was computed for:
 * `setParams` with the same θ (a re-evaluation at the same point: a loss, then its gradient, or
 * a backtracking re-solve) keeps it, and writes into `params` are seen.
 */
export class NormCache {
  private value: OperatorNorm | undefined;
  /** The parameters the cached value belongs to (a copy). */
  private readonly at: Float64Array | undefined;

  /** @param params the operator's live parameters, when the norm depends on them */
  constructor(private readonly params?: Float64Array) {
    this.at = params ? new Float64Array(params.length) : undefined;
  }

  /** The cached norm, computing it with `compute` on first use (and when the parameters changed). */
  get(compute: () => OperatorNorm): OperatorNorm {
    const { params, at } = this;
    if (this.value !== undefined && params && at) {
      for (let i = 0; i < params.length; i++) {
        if (params[i] !== at[i]) {
          this.value = undefined;
          break;
        }
      }
    }
    if (this.value === undefined) {
      this.value = compute();
      if (params && at) at.set(params);
    }
    return this.value;
  }

  /** Forget the cached value (called by `setParams`). */
  invalidate(): void {
    this.value = undefined;
  }
}

/**
 * `K` with a known norm attached: the one place a user states `‖K‖` (an `exact` value or a
 * certified `upper-bound`), read by the PDHG step rule and the piggyback error bound alike
 * through `K.norm()`. `apply`/`adjoint` are `K`'s.
 *
 * Refused for a learnable operator (its norm changes with θ: give it a `norm()` instead) and
 * for a value below a seeded 30-step power-iteration estimate, which is a lower bound of `‖K‖`.
 */
export class WithNorm extends ForwardingOperator {
  /**
   * @param K the operator
   * @param known its norm (`exact` or `upper-bound`)
   */
  constructor(
    readonly K: LinearOperator,
    private readonly known: OperatorNorm,
  ) {
    if (isParametricOperator(K)) {
      throw new ValidationError('withNorm: the operator is learnable, so its norm changes with θ; implement norm() on it instead of attaching a value');
    }
    if (!isProvable(known) || !(known.value >= 0) || !Number.isFinite(known.value)) {
      throw new ValidationError(`withNorm: the norm must be a finite value ≥ 0 of kind 'exact' or 'upper-bound', got ${JSON.stringify(known)}`);
    }
    const lower = powerIteration(K, { seed: 0, maxIter: 30, rtol: 0 }).value;
    if (lower > known.value * (1 + 1e-9)) {
      throw new ValidationError(`withNorm: ‖K‖ ≥ ${lower} (power iteration), so ${known.value} is not ${known.kind === 'exact' ? 'its norm' : 'an upper bound'}`);
    }
    super(K);
  }

  /** The attached norm. */
  norm(): OperatorNorm {
    return this.known;
  }
}

/** Attach a known norm to a fixed operator (see {@link WithNorm}). */
export function withNorm(K: LinearOperator, norm: OperatorNorm): WithNorm {
  return new WithNorm(K, norm);
}
