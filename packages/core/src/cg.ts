/**
 * Conjugate gradients for symmetric positive definite systems `A q = b` given matrix-free: the
 * one implementation of the packages (the adjoint systems of implicit differentiation, the
 * inverses of a quadratic data term).
 * @module
 */
import { z } from 'zod';
import { dot } from './blas.js';
import type { Cost } from './contracts/cost.js';
import { zeroCost } from './contracts/cost.js';
import type { Certificate, Solver, SolverState, StopReason } from './contracts/solver.js';
import { ShapeError } from './errors.js';
import { assertLength, nonNegative, parseOrThrow, positiveInt, vecSchema } from './validate.js';
import type { Vec } from './vec.js';
import { copyWarm, copyWarmScalars } from './warm.js';

/** A matrix-free symmetric positive definite operator: `out = A v` (`out` never aliases `v`). */
export type SpdOperator = (v: Vec, out: Vec) => Vec;

/** The system `A q = b` of {@link ConjugateGradient}. */
export interface CgProblem {
  /** `out = A v` (counted as `cost.apply`). */
  readonly A: SpdOperator;
  /** Right-hand side (not mutated; {@link ConjugateGradient.restart} reads its current content). */
  readonly b: Vec;
  /** Optional lower bound `μ ≤ λ_min(A)`: then `‖q − q̂‖ ≤ ‖b − Aq‖/μ` is certified. */
  readonly mu?: number;
}

const cgOptionsSchema = z.strictObject({
  atol: nonNegative.default(0),
  rtol: nonNegative.default(1e-5),
  maxIterations: positiveInt.optional(),
});

/**
 * Options of CG (zod-validated). Stop when the recursively updated residual satisfies
 * `‖r_k‖ ≤ max(atol, rtol·‖b‖)` (SciPy ≥ 1.12 convention and defaults: `rtol = 1e-5`, `atol = 0`,
 * `maxIterations = 10·n`). The MAID code stops on the absolute residual (`atol = δ`, `rtol = 0`).
 */
export interface CgOptions {
  /** Absolute residual tolerance (default 0). */
  readonly atol?: number;
  /** Relative residual tolerance, relative to `‖b‖` (default 1e-5). */
  readonly rtol?: number;
  /** Maximum iterations of {@link cg} and {@link ConjugateGradient.solve} (default `10·n`; with `run`, use `maxIterations(n)`). */
  readonly maxIterations?: number;
}

/** Derived data of CG (not serialised). */
export interface CgWork {
  /** The system. */
  readonly problem: CgProblem;
  /** `A p` buffer. */
  readonly ap: Vec;
  /** Scratch for the true residual. */
  readonly scratch: Vec;
  /** Tolerance `max(atol, rtol‖b‖)`. */
  tol: number;
  /** `‖b‖`. */
  bNorm: number;
}

/**
 * State of {@link ConjugateGradient} (Hestenes–Stiefel 1952; Saad, "Iterative Methods for Sparse
 * Linear Systems", Alg. 6.18). Top-level arrays and scalars are serialisable.
 */
export interface CgState extends SolverState {
  /** Iterate `q_k`. */
  readonly x: Vec;
  /** Recursively updated residual `r_k = b − A q_k` (up to rounding). */
  readonly r: Vec;
  /** Search direction `p_k`. */
  readonly p: Vec;
  /** `‖r_k‖²`. */
  rr: number;
  /** Iterations completed. */
  iteration: number;
  /** Work done (`apply` counts products with `A`, `cgIterations` the iterations). */
  readonly cost: Cost;
  /** `'converged'` at tolerance, `'breakdown'` on non-positive curvature `pᵀAp ≤ 0`, `'diverged'` on NaN. */
  halt: StopReason | null;
  /** Derived data. */
  readonly work: CgWork;
}

/** Certificate of CG: the true residual `‖b − A q‖` (one product with `A`). */
export interface CgCertificate extends Certificate {
  /** `‖b − Aq‖/μ` when `problem.mu > 0`, else `Infinity` (`‖q − q̂‖ ≤ ‖A⁻¹‖‖b − Aq‖ ≤ ‖b − Aq‖/μ`). */
  readonly distance: number;
  /** True residual `‖b − A q‖`, recomputed. */
  readonly residual: number;
  /** `‖b − A q‖/‖b‖` (`residual` when `b = 0`). */
  readonly relativeResidual: number;
  /** The recursively updated residual `‖r_k‖` that CG's stopping test uses. */
  readonly recursiveResidual: number;
}

/**
 * Conjugate gradients as a resumable state machine:
 * ```
 * r_0 = b − A q_0,  p_0 = r_0
 * α_k = ‖r_k‖² / p_kᵀ A p_k
 * q_{k+1} = q_k + α_k p_k,   r_{k+1} = r_k − α_k A p_k
 * p_{k+1} = r_{k+1} + (‖r_{k+1}‖²/‖r_k‖²) p_k
 * ```
 * `step` sets `halt = 'converged'` when `‖r_{k+1}‖ ≤ max(atol, rtol‖b‖)`, `'breakdown'` when
 * `p_kᵀAp_k ≤ 0` (A not positive definite along `p_k`; the iterate is left unchanged) and
 * `'diverged'` on NaN. `init(problem, { x })` warm-starts (one product with `A`). For `b = 0`
 * the solution `q = 0` is returned at once (A is positive definite). Repeated solves with the
 * same operator reuse one state through {@link ConjugateGradient.restart} (no allocation).
 */
export class ConjugateGradient implements Solver<CgProblem, CgState, CgCertificate> {
  /** @internal Validated options. */
  readonly options: z.output<typeof cgOptionsSchema>;

  /** @param options tolerances and iteration cap. */
  constructor(options: CgOptions = {}) {
    this.options = parseOrThrow(cgOptionsSchema, options, 'cg options');
  }

  /** Allocate the state; `warm.x` warm-starts; a full snapshot (`x, r, p, rr, …`) resumes exactly. */
  init(problem: CgProblem, warm?: Partial<CgState>): CgState {
    parseOrThrow(z.object({ b: vecSchema, mu: nonNegative.optional() }), { b: problem.b, mu: problem.mu }, 'cg problem');
    const n = problem.b.length;
    const state: CgState = {
      x: new Float64Array(n),
      r: new Float64Array(n),
      p: new Float64Array(n),
      rr: 0,
      iteration: 0,
      cost: zeroCost(),
      halt: null,
      work: { problem, ap: new Float64Array(n), scratch: new Float64Array(n), tol: 0, bNorm: 0 },
    };
    const hasX = warm ? copyWarm('x', warm.x, state.x) : false;
    if (warm !== undefined && warm.r !== undefined && warm.p !== undefined && warm.rr !== undefined) {
      this.setTolerance(state);
      copyWarm('r', warm.r, state.r);
      copyWarm('p', warm.p, state.p);
      copyWarmScalars(state, warm, ['rr']);
    } else {
      this.begin(state, hasX);
    }
    return state;
  }

  /**
   * Start a new solve in an existing state, for the current content of `problem.b` (which may
   * have changed) from `x0` (default 0): `iteration` and `halt` are reset, `cost` keeps counting.
   * Allocates nothing.
   */
  restart(state: CgState, x0?: Vec): CgState {
    if (x0) {
      assertLength('cg restart x0', x0, state.x.length);
      state.x.set(x0);
    } else {
      state.x.fill(0);
    }
    state.iteration = 0;
    state.halt = null;
    this.begin(state, x0 !== undefined);
    return state;
  }

  /**
   * Step until the state halts or `maxIterations` (default: the option, else `10·n`) steps were
   * taken in this call; returns why it stopped and how many steps it took.
   */
  solve(state: CgState, maxIterations = this.options.maxIterations ?? 10 * state.x.length): { readonly reason: StopReason; readonly iterations: number } {
    let k = 0;
    while (!state.halt && k < maxIterations) {
      this.step(state);
      k++;
    }
    return { reason: state.halt ?? 'max-iterations', iterations: k };
  }

  /** One CG iteration (no allocation). */
  step(s: CgState): void {
    const { problem, ap, tol } = s.work;
    const x = s.x;
    const r = s.r;
    const p = s.p;
    const n = x.length;
    problem.A(p, ap);
    s.cost.apply++;
    const pAp = dot(n, p, ap);
    if (!(pAp > 0)) {
      s.halt = Number.isNaN(pAp) ? 'diverged' : 'breakdown';
      return;
    }
    const alpha = s.rr / pAp;
    let rrNew = 0;
    for (let i = 0; i < n; i++) {
      x[i] = x[i]! + alpha * p[i]!;
      const ri = r[i]! - alpha * ap[i]!;
      r[i] = ri;
      rrNew += ri * ri;
    }
    const beta = rrNew / s.rr;
    for (let i = 0; i < n; i++) p[i] = r[i]! + beta * p[i]!;
    s.rr = rrNew;
    s.iteration++;
    s.cost.cgIterations++;
    if (!Number.isFinite(rrNew)) s.halt = 'diverged';
    else if (Math.sqrt(rrNew) <= tol) s.halt = 'converged';
  }

  /** True residual `b − Aq` (one product with `A`, charged to `state.cost`). */
  certificate(s: CgState): CgCertificate {
    const { problem, scratch, bNorm } = s.work;
    const n = s.x.length;
    problem.A(s.x, scratch);
    s.cost.apply++;
    let ss = 0;
    const b = problem.b;
    for (let i = 0; i < n; i++) {
      const d = b[i]! - scratch[i]!;
      ss += d * d;
    }
    const residual = Math.sqrt(ss);
    const mu = problem.mu ?? 0;
    return {
      distance: mu > 0 ? residual / mu : Infinity,
      residual,
      relativeResidual: bNorm > 0 ? residual / bNorm : residual,
      recursiveResidual: Math.sqrt(s.rr),
    };
  }

  /** `‖b‖` and the tolerance `max(atol, rtol‖b‖)` of the current right-hand side. */
  private setTolerance(s: CgState): void {
    const b = s.work.problem.b;
    s.work.bNorm = Math.sqrt(dot(b.length, b, b));
    s.work.tol = Math.max(this.options.atol, this.options.rtol * s.work.bNorm);
  }

  /** `r_0 = b − A q_0` (one product when `hasX`), `p_0 = r_0`; `b = 0` gives `q = 0` at once. */
  private begin(s: CgState, hasX: boolean): void {
    this.setTolerance(s);
    const { problem } = s.work;
    const b = problem.b;
    const n = b.length;
    if (s.work.bNorm === 0) {
      s.x.fill(0);
      s.r.fill(0);
      s.p.fill(0);
      s.rr = 0;
      s.halt = 'converged';
      return;
    }
    if (hasX) {
      problem.A(s.x, s.r);
      s.cost.apply++;
      for (let i = 0; i < n; i++) s.r[i] = b[i]! - s.r[i]!;
    } else {
      s.r.set(b);
    }
    s.p.set(s.r);
    s.rr = dot(n, s.r, s.r);
    if (Math.sqrt(s.rr) <= s.work.tol) s.halt = 'converged';
  }
}

/** Result of {@link cg}. */
export interface CgResult {
  /** The solution estimate (the `out` array when given). */
  readonly x: Vec;
  /** Why CG stopped: `'converged'`, `'max-iterations'`, `'breakdown'` or `'diverged'`. */
  readonly reason: StopReason;
  /** Iterations done. */
  readonly iterations: number;
  /** True residual `‖b − Ax‖`, recomputed at termination. */
  readonly residual: number;
  /** `‖b − Ax‖/‖b‖`. */
  readonly relativeResidual: number;
  /** The recursive residual `‖r_k‖` at termination. */
  readonly recursiveResidual: number;
  /** `‖b − Ax‖/μ` when `mu` was given, else `Infinity`. */
  readonly distance: number;
  /** Work done (`apply`: products with `A`, including the final true residual). */
  readonly cost: Cost;
}

/** Options of {@link cg}: {@link CgOptions} plus a warm start, `μ` and an output array. */
export interface CgCallOptions extends CgOptions {
  /** Warm start `q_0` (not mutated; default 0). */
  readonly x0?: Vec;
  /** Lower bound of `λ_min(A)` for the distance bound. */
  readonly mu?: number;
  /** Write the solution here (length of `b`). */
  readonly out?: Vec;
}

/**
 * Solve `A q = b` by conjugate gradients ({@link ConjugateGradient}); stops on
 * `‖r_k‖ ≤ max(atol, rtol‖b‖)`, at `maxIterations` (default `10·n`) or on breakdown, and reports
 * the true residual `‖b − Aq‖` recomputed at termination (the certificate `‖b − Aq‖/μ`).
 */
export function cg(A: SpdOperator, b: Vec, options: CgCallOptions = {}): CgResult {
  const { x0, mu, out, ...rest } = options;
  const solver = new ConjugateGradient(rest);
  if (x0) assertLength('cg x0', x0, b.length);
  if (out && out.length !== b.length) throw new ShapeError(`cg out: expected length ${b.length}, got ${out.length}`);
  const problem: CgProblem = mu === undefined ? { A, b } : { A, b, mu };
  const state = solver.init(problem, x0 ? { x: x0 } : undefined);
  const { reason, iterations } = solver.solve(state);
  const c = solver.certificate(state);
  const x = out ? out : state.x;
  if (out) out.set(state.x);
  return {
    x,
    reason,
    iterations,
    residual: c.residual,
    relativeResidual: c.relativeResidual,
    recursiveResidual: c.recursiveResidual,
    distance: c.distance,
    cost: state.cost,
  };
}
