/**
 * A small, allocation-free conjugate-gradient solver for the symmetric positive definite systems
 * `(αI + βH) x = rhs` of the quadratic data fidelity (private to this package; the solvers
 * package has the general one).
 * @module
 */
import { ConvergenceError, type Vec } from '@bilevel/core';

/** An SPD linear map applied through a method (no closures). */
export interface SpdSystem {
  /** `out = M v` (`out` never aliases `v`). */
  applySystem(v: Vec, out: Vec): void;
}

/** Outcome of a solve. */
export interface CgStats {
  /** Iterations performed. */
  iterations: number;
  /** `‖rhs − Mx‖/‖rhs‖` by the CG recursion. */
  relativeResidual: number;
}

/**
 * Conjugate gradients (Hestenes & Stiefel 1952) with preallocated work arrays. Stops when the
 * recursive residual satisfies `‖r‖ ≤ tol·‖rhs‖`; throws a {@link ConvergenceError} when that
 * does not happen within `maxIter` iterations.
 */
export class ConjugateGradient {
  private readonly r: Vec;
  private readonly p: Vec;
  private readonly q: Vec;
  /** Statistics of the last solve. */
  readonly last: CgStats = { iterations: 0, relativeResidual: 0 };
  /** Total iterations over all solves (a cost counter). */
  totalIterations = 0;

  constructor(
    readonly n: number,
    readonly tol: number,
    readonly maxIter: number,
  ) {
    this.r = new Float64Array(n);
    this.p = new Float64Array(n);
    this.q = new Float64Array(n);
  }

  /** Solve `M x = rhs` starting from the guess in `x` (overwritten with the solution). */
  solve(system: SpdSystem, rhs: Vec, x: Vec, what: string): Vec {
    const { r, p, q, n } = this;
    let bb = 0;
    for (let i = 0; i < n; i++) bb += rhs[i]! * rhs[i]!;
    if (bb === 0) {
      x.fill(0);
      this.last.iterations = 0;
      this.last.relativeResidual = 0;
      return x;
    }
    system.applySystem(x, q);
    let rr = 0;
    for (let i = 0; i < n; i++) {
      const t = rhs[i]! - q[i]!;
      r[i] = t;
      p[i] = t;
      rr += t * t;
    }
    const target = this.tol * this.tol * bb;
    let k = 0;
    while (rr > target && k < this.maxIter) {
      system.applySystem(p, q);
      let pq = 0;
      for (let i = 0; i < n; i++) pq += p[i]! * q[i]!;
      const a = rr / pq;
      let next = 0;
      for (let i = 0; i < n; i++) {
        x[i] = x[i]! + a * p[i]!;
        const t = r[i]! - a * q[i]!;
        r[i] = t;
        next += t * t;
      }
      const beta = next / rr;
      for (let i = 0; i < n; i++) p[i] = r[i]! + beta * p[i]!;
      rr = next;
      k++;
    }
    this.last.iterations = k;
    this.last.relativeResidual = Math.sqrt(rr / bb);
    this.totalIterations += k;
    if (rr > target) {
      throw new ConvergenceError(
        `${what}: conjugate gradients reached relative residual ${this.last.relativeResidual.toExponential(2)} ` +
          `after ${k} iterations (tolerance ${this.tol}); raise cg.maxIter or loosen cg.tol`,
      );
    }
    return x;
  }
}
