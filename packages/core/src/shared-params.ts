/**
 * Parameters shared with the object that owns them.
 * @module
 */
import type { Learnable } from './contracts/operator.js';

/**
 * A {@link Learnable} whose θ belongs to another object and is shared, not copied: the wrappers
 * and views of a learnable object (a conjugate, an envelope, a transformed functional, the smooth
 * form of a regularizer) read and set the owner's parameters. Subclasses name the owner.
 */
export abstract class SharedParams implements Learnable {
  /** The object that owns θ. */
  protected abstract get paramOwner(): Partial<Learnable>;

  /** θ of the owner (shared). */
  get params(): Float64Array {
    return this.paramOwner.params!;
  }

  /** Names of θ (the owner's). */
  paramNames(): readonly string[] {
    return this.paramOwner.paramNames!();
  }

  /** Set θ on the owner. */
  setParams(theta: ArrayLike<number>): void {
    this.paramOwner.setParams!(theta);
  }
}
