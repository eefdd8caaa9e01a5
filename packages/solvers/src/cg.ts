/**
 * Conjugate gradients for symmetric positive definite systems `A q = b` given matrix-free.
 * @module
 */
import {
  ShapeError,
  assertLength,
  dot,
  nonNegative,
  parseOrThrow,
  positiveInt,
  zeroCost,
  z,
  type Certificate,
  type Cost,
  type Solver,
  type SolverState,
  type StopReason,
  type Vec,
} from '@bilevel/core';
import { copyWarm, copyWarmScalars, vecSchema } from './internal.js';

/** A matrix-free symmetric positive definite operator: `out = A v` (`out` never aliases `v`). */
export type SpdOperator = (v: Vec, out: Vec) => Vec;

/** The system `A q = b` of {@link ConjugateGradient}. */
export interface CgProblem {
  /** `out = A v` (counted as `cost.apply`). */
  readonly A: SpdOperator;
  /** Right-hand side (not mutated). */
  readonly b: Vec;
  /** Optional lower bound `μ ≤ λ_min(A)`: then `‖q − q̂‖ ≤ ‖b − Aq‖/μ` is certified. */
  readonly mu?: number;
}

/** @internal zod schema of {@link CgOptions}. */
export const cgOptionsSchema = z.strictObject({
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
  /** Maximum iterations of {@link cg} (default `10·n`; with `run`, use `maxIterations(n)`). */
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
  readonly tol: number;
  /** `‖b‖`. */
  readonly bNorm: number;
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
  /** `‖b − Aq‖/μ` when `problem.mu > 0`, else `Infinity`. */
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
 * `'diverged'` on NaN. `init(problem, { x })` warm-starts (one product with `A`).
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
    const b = problem.b;
    const n = b.length;
    const bNorm = Math.sqrt(dot(n, b, b));
    const state: CgState = {
      x: new Float64Array(n),
      r: new Float64Array(n),
      p: new Float64Array(n),
      rr: 0,
      iteration: 0,
      cost: zeroCost(),
      halt: null,
      work: {
        problem,
        ap: new Float64Array(n),
        scratch: new Float64Array(n),
        tol: Math.max(this.options.atol, this.options.rtol * bNorm),
        bNorm,
      },
    };
    const hasX = warm ? copyWarm('x', warm.x, state.x) : false;
    const resume = warm !== undefined && warm.r !== undefined && warm.p !== undefined && warm.rr !== undefined;
    if (resume) {
      copyWarm('r', warm.r, state.r);
      copyWarm('p', warm.p, state.p);
      copyWarmScalars(state, warm, ['rr']);
    } else {
      if (hasX) {
        problem.A(state.x, state.r);
        state.cost.apply++;
        for (let i = 0; i < n; i++) state.r[i] = b[i]! - state.r[i]!;
      } else {
        state.r.set(b);
      }
      state.p.set(state.r);
      state.rr = dot(n, state.r, state.r);
      if (Math.sqrt(state.rr) <= state.work.tol) state.halt = 'converged';
    }
    return state;
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
 * the true residual `‖b − Aq‖` recomputed at termination.
 */
export function cg(A: SpdOperator, b: Vec, options: CgCallOptions = {}): CgResult {
  const { x0, mu, out, ...rest } = options;
  const solver = new ConjugateGradient(rest);
  if (x0) assertLength('cg x0', x0, b.length);
  if (out && out.length !== b.length) throw new ShapeError(`cg out: expected length ${b.length}, got ${out.length}`);
  const problem: CgProblem = mu === undefined ? { A, b } : { A, b, mu };
  const state = solver.init(problem, x0 ? { x: x0 } : undefined);
  const maxIt = solver.options.maxIterations ?? 10 * b.length;
  let k = 0;
  while (!state.halt && k < maxIt) {
    solver.step(state);
    k++;
  }
  const reason: StopReason = state.halt ?? 'max-iterations';
  const c = solver.certificate(state);
  const x = out ? out : state.x;
  if (out) out.set(state.x);
  return {
    x,
    reason,
    iterations: k,
    residual: c.residual,
    relativeResidual: c.relativeResidual,
    recursiveResidual: c.recursiveResidual,
    distance: c.distance,
    cost: state.cost,
  };
}
