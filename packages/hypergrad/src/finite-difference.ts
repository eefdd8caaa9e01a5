/**
 * Finite-difference hypergradients: central differences of the inexact loss of any oracle, for
 * tests and for users checking a new regularizer.
 * @module
 */
import {
  addCost,
  parseOrThrow,
  positive,
  z,
  zeroCost,
  type HypergradientEstimate,
  type HypergradientOracle,
  type LossEstimate,
  type Tolerances,
  type WarmState,
} from '@bilevel/core';
import { validateQuery, validateTolerances } from './batch.js';

/** zod schema of the options of {@link FiniteDifferenceOracle} (unknown keys are rejected). */
export const finiteDifferenceOptionsSchema = z.strictObject({
  /** Relative step `h = step·max(1, |θ_j|)`. */
  step: positive.default(1e-5),
  /** Lower-level accuracy of every loss evaluation (overrides the requested ε when smaller). */
  epsilon: positive.default(1e-10),
});

/** Options of {@link FiniteDifferenceOracle}. */
export type FiniteDifferenceOptions = z.input<typeof finiteDifferenceOptionsSchema>;

/**
 * `∂L/∂θ_j ≈ (L(θ + h e_j) − L(θ − h e_j)) / 2h` from the `loss` of a base oracle. Every solve
 * starts from the caller's warm state (the same as the solve at θ), so the differences are those
 * of one well-defined function even when the lower level is truncated. Cost: `4·dim θ + 1`
 * lower-level solves (steps `h` and `2h`).
 *
 * The reported `bound` is an *estimate*, not a certificate: the loss-inexactness term
 * `(U↑ − U↓)/(2h)` per coordinate (certified) plus a Richardson estimate of the truncation error
 * `|D_h − D_{2h}|/3` (an estimate of the unknown `O(h²)` term).
 */
export class FiniteDifferenceOracle implements HypergradientOracle {
  private readonly options: z.output<typeof finiteDifferenceOptionsSchema>;

  constructor(
    private readonly base: HypergradientOracle,
    options: FiniteDifferenceOptions = {},
  ) {
    this.options = parseOrThrow(finiteDifferenceOptionsSchema, options, 'FiniteDifferenceOracle options');
  }

  /** Number of parameters. */
  get dimension(): number {
    return this.base.dimension;
  }

  /** Number of training samples. */
  get numSamples(): number {
    return this.base.numSamples;
  }

  /** The base oracle's loss. */
  loss(theta: Float64Array, batch: readonly number[], epsilon: number, warm?: WarmState): LossEstimate {
    return this.base.loss(theta, batch, epsilon, warm);
  }

  /** Central-difference gradient (see the class comment for the meaning of `bound`). */
  evaluate(theta: Float64Array, batch: readonly number[], tol: Tolerances, warm?: WarmState): HypergradientEstimate {
    validateQuery(theta, batch, this.dimension, this.numSamples);
    validateTolerances(tol);
    const eps = Math.min(tol.epsilon, this.options.epsilon);
    const center = this.base.loss(theta, batch, eps, warm);
    const cost = zeroCost();
    addCost(cost, center.cost);
    const p = this.dimension;
    const gradient = new Float64Array(p);
    const t = Float64Array.from(theta);
    let boundSq = 0;
    let stop = center.stop;
    let capped = center.capped;
    const at = (j: number, s: number): LossEstimate => {
      t[j] = theta[j]! + s;
      const r = this.base.loss(t, batch, eps, warm);
      t[j] = theta[j]!;
      addCost(cost, r.cost);
      if (stop === 'converged') stop = r.stop;
      capped = Math.max(capped, r.capped);
      return r;
    };
    for (let j = 0; j < p; j++) {
      const h = this.options.step * Math.max(1, Math.abs(theta[j]!));
      const plus = at(j, h);
      const minus = at(j, -h);
      const plus2 = at(j, 2 * h);
      const minus2 = at(j, -2 * h);
      const dh = (plus.loss - minus.loss) / (2 * h);
      const d2h = (plus2.loss - minus2.loss) / (4 * h);
      gradient[j] = dh;
      const inexact = (plus.lossUpper - plus.lossLower + minus.lossUpper - minus.lossLower) / (4 * h);
      boundSq += (inexact + Math.abs(dh - d2h) / 3) ** 2;
    }
    return { ...center, stop, capped, cost, gradient, bound: Math.sqrt(boundSq), delta: 0 };
  }
}
