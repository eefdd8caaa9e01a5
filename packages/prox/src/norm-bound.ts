/**
 * Operator norms for Lipschitz constants, which must be upper bounds.
 * @module
 */
import { powerIteration, type LinearOperator, type OperatorNorm } from '@bilevel/core';

/** `K.norm()` if available, else a power-iteration estimate (1000 iterations, rtol 1e-10). */
export function normOf(K: LinearOperator): OperatorNorm {
  return K.norm?.() ?? powerIteration(K, { maxIter: 1000, rtol: 1e-10 });
}

/**
 * An upper bound on `‖K‖` for Lipschitz constants: the norm when it is `exact` or an
 * `upper-bound`; an `estimate` (power iteration approaches from below) inflated by 1%.
 */
export function normBound(K: LinearOperator): number {
  const { value, kind } = normOf(K);
  return kind === 'estimate' ? 1.01 * value : value;
}
