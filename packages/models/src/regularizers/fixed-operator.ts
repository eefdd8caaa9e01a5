/**
 * A fixed linear operator seen as a parametric one with no parameters, so that the saddle form
 * of every regularizer has a `ParametricOperator` `K` and hypergradient code can call
 * `K.paramVjp` unconditionally.
 * @module
 */
import { assertLength, type LinearOperator, type OperatorNorm, type ParametricOperator, type Vec } from '@bilevel/core';
import { ForwardingOperator } from '@bilevel/operators';
import { normOf } from '@bilevel/prox';

/**
 * `K` with an empty parameter block: `apply`, `adjoint` and `norm` delegate to the wrapped
 * operator, `paramVjp` adds nothing.
 */
export class FixedOperator extends ForwardingOperator implements ParametricOperator {
  /** Empty. */
  readonly params = new Float64Array(0);

  /** @param operator the fixed operator `K` */
  constructor(readonly operator: LinearOperator) {
    super(operator);
  }

  /** The wrapped operator's norm (a power-iteration estimate if it has none). */
  norm(): OperatorNorm {
    return normOf(this.operator);
  }

  /** No names. */
  paramNames(): readonly string[] {
    return [];
  }

  /** Accepts only an empty `θ`. */
  setParams(theta: ArrayLike<number>): void {
    assertLength('FixedOperator.setParams theta', theta, 0);
  }

  /** Nothing to accumulate. */
  paramVjp(_x: Vec, _y: Vec, _grad: Float64Array, _scale?: number): void {}
}

/** `K` as a {@link ParametricOperator}: itself when it is one, else a {@link FixedOperator}. */
export function fixedOperator(K: LinearOperator): ParametricOperator {
  return typeof (K as Partial<ParametricOperator>).paramVjp === 'function' ? (K as ParametricOperator) : new FixedOperator(K);
}
