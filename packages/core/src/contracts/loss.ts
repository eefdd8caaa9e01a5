/**
 * Upper-level losses `ℓ(x; x†)`: the contract the oracles, the training sets and the loss
 * brackets share (implementations in `@bilevel/hypergrad`).
 * @module
 */
import type { Vec } from '../vec.js';
import type { KindDescription } from './description.js';

/** An upper-level loss comparing a reconstruction `x` with its target `x†`. */
export interface Loss {
  /** `ℓ(x; target)`. */
  value(x: Vec, target: Vec): number;
  /** `out = ∇ₓℓ(x; target)`. */
  gradient(x: Vec, target: Vec, out: Vec): Vec;
  /** Lipschitz constant `L_ℓ` of `∇ₓℓ` for vectors of length `n` (`Infinity` when unbounded). */
  lipschitz(n: number): number;
  /** Whether `ℓ` is convex in `x` (allows the convex form of the lower sandwich bound). */
  readonly convex: boolean;
  /** A short description, e.g. `½‖x − x†‖² / n`. */
  readonly description: string;
  /** The loss as data (`squared-error`, …), so fused kernels can recognise it. */
  describe?(): KindDescription;
}
