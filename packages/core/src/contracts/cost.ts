/**
 * Cost counters: work done, so estimators and optimizers compare on work, not only wall time.
 * @module
 */

/**
 * Counts of the expensive operations of a computation. Lower-level iterations (`iterations`),
 * adjoint/piggyback iterations and CG iterations are kept apart, as in the MAID/ISGD plots
 * ("total lower-level + linear-solver iterations").
 */
export interface Cost {
  /** Applications of a linear operator `K`. */
  apply: number;
  /** Applications of an adjoint `Kᵀ`. */
  adjoint: number;
  /** Prox evaluations. */
  prox: number;
  /** Prox Jacobian-vector products. */
  proxJvp: number;
  /** Gradient evaluations. */
  gradient: number;
  /** Hessian-vector products. */
  hvp: number;
  /** Lower-level solver iterations. */
  iterations: number;
  /** Adjoint (piggyback / unrolled reverse) iterations. */
  adjointIterations: number;
  /** Conjugate-gradient iterations. */
  cgIterations: number;
}

/** Names of the counters of a {@link Cost}. */
export const costKeys = [
  'apply',
  'adjoint',
  'prox',
  'proxJvp',
  'gradient',
  'hvp',
  'iterations',
  'adjointIterations',
  'cgIterations',
] as const satisfies readonly (keyof Cost)[];

/** A cost with every counter at zero. */
export function zeroCost(): Cost {
  return { apply: 0, adjoint: 0, prox: 0, proxJvp: 0, gradient: 0, hvp: 0, iterations: 0, adjointIterations: 0, cgIterations: 0 };
}

/** `into += add`, counter by counter; returns `into`. */
export function addCost(into: Cost, add: Readonly<Cost>): Cost {
  for (const k of costKeys) into[k] += add[k];
  return into;
}

/**
 * The single-number work measure of the MAID/ISGD papers: lower-level iterations plus
 * adjoint and CG iterations.
 */
export function totalIterations(c: Readonly<Cost>): number {
  return c.iterations + c.adjointIterations + c.cgIterations;
}
