/**
 * The base of operators that wrap another one and change only what they report about it (its
 * norm, its parameter block), not how it maps.
 * @module
 */
import type { LinearOperator, OperatorNorm, Shape, Vec } from '@bilevel/core';

/**
 * A linear operator equal to a wrapped `K`: `apply`/`adjoint` are `K`'s and the shapes are
 * `K`'s; subclasses say what `‖K‖` is (and may add a parameter block).
 */
export abstract class ForwardingOperator implements LinearOperator {
  /** `K.domain`. */
  readonly domain: Shape;
  /** `K.range`. */
  readonly range: Shape;

  /** @param wrapped the operator `K` */
  constructor(protected readonly wrapped: LinearOperator) {
    this.domain = wrapped.domain;
    this.range = wrapped.range;
  }

  /** `out = K x`. */
  apply(x: Vec, out: Vec): Vec {
    return this.wrapped.apply(x, out);
  }

  /** `out = Kᵀ y`. */
  adjoint(y: Vec, out: Vec): Vec {
    return this.wrapped.adjoint(y, out);
  }

  /** What `‖K‖` is reported as. */
  abstract norm(): OperatorNorm;
}
