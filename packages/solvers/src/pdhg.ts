/**
 * PDHG (Chambolle–Pock) for `min_x max_y ⟨Kx, y⟩ + g(x) − f*(y)` as a resumable state machine.
 * @module
 */
import {
  ShapeError,
  parseOrThrow,
  shapeSize,
  zeroCost,
  z,
  type Cost,
  type SaddleProblem,
  type Solver,
  type SolverState,
  type StopReason,
  type Vec,
} from '@bilevel/core';
import { saddleCertificate, createSaddleCertificateWorkspace, type SaddleCertificate, type SaddleCertificateWorkspace } from './certificate.js';
import { assertSameSize, copyWarm, copyWarmScalars, norm2, proxDiagonalOf, type DiagonalProximable } from './internal.js';
import { primalDualUpdate, type PrimalDualArrays, type PrimalDualMaps } from './primal-dual.js';
import { endPdhgStep, pdhgStepOptionsSchema, pdhgSteps, type PdhgStepOptions, type PdhgSteps } from './steps.js';

/** @internal zod schema of {@link PdhgOptions}. */
export const pdhgOptionsSchema = pdhgStepOptionsSchema.extend({
  gap: z.boolean().default(true),
});

/** Options of {@link Pdhg}: the step rule ({@link PdhgStepOptions}) and certificate options. */
export interface PdhgOptions extends PdhgStepOptions {
  /** Evaluate the gap and objectives in the certificate (needs `f`, `gStar` values; default true). */
  readonly gap?: boolean;
}

/**
 * Everything derived from the problem that is not part of the serialisable state: the problem,
 * the step rule, `K x`, `K x_prev`, `Kᵀ y` and the certificate workspace. Recomputed by `init`.
 */
export interface PdhgWork {
  /** The problem being solved. */
  readonly problem: SaddleProblem;
  /** The step rule in use. */
  readonly steps: PdhgSteps;
  /** `K x` of the current primal iterate (swapped with `kxPrev` every step). */
  kx: Vec;
  /** `K x_prev`. */
  kxPrev: Vec;
  /** `Kᵀ y` of the current dual iterate. */
  readonly kty: Vec;
  /** Effective diagonal primal steps `tau·tauDiag` (preconditioned scheme), else `null`. */
  readonly tauVec: Vec | null;
  /** Effective diagonal dual steps `sigma·sigmaDiag` (preconditioned scheme), else `null`. */
  readonly sigmaVec: Vec | null;
  /** Certificate workspace (allocated at the first certificate). */
  cert: SaddleCertificateWorkspace | null;
  /** The maps of the update: `prox_{σf*}`, `prox_{τg}` and their diagonal forms. */
  readonly maps: PrimalDualMaps;
  /** The arrays of the update (references pointed at the current ones before each step). */
  readonly pair: PrimalDualArrays;
}

/**
 * State of {@link Pdhg} after `n = iteration` steps. The top-level typed arrays and scalars are
 * the serialisable state (see `serializeState`); `work` is recomputed by `init`.
 *
 * Buffers are swapped, not copied: `x` and `xPrev` exchange their arrays every step, so read
 * `state.x` after each step instead of keeping a reference.
 *
 * For the piggyback estimator, after a step from `n` to `n+1`:
 * `w = yⁿ + σ_n K x̄ⁿ` (input of `prox_{σf*}`), `v = xⁿ − τ_n Kᵀyⁿ⁺¹` (input of `prox_{τg}`),
 * `tauLast = τ_n`, `sigmaLast = σ_n`, and `theta = ϑ_n` is the extrapolation
 * `x̄ⁿ⁺¹ = xⁿ⁺¹ + ϑ_n(xⁿ⁺¹ − xⁿ)` to reuse for `X̄`.
 */
export interface PdhgState extends SolverState {
  /** Primal iterate `xⁿ`. */
  x: Vec;
  /** Previous primal iterate `xⁿ⁻¹` (equal to `x` before the first step). */
  xPrev: Vec;
  /** Dual iterate `yⁿ`. */
  readonly y: Vec;
  /** Last dual prox input `w = yⁿ⁻¹ + σ K x̄ⁿ⁻¹`. */
  readonly w: Vec;
  /** Last primal prox input `v = xⁿ⁻¹ − τ Kᵀ yⁿ`. */
  readonly v: Vec;
  /** Primal step `τ_n` of the next step. */
  tau: number;
  /** Dual step `σ_n` of the next step. */
  sigma: number;
  /** Extrapolation `ϑ_{n−1}` used to form `x̄ⁿ = xⁿ + ϑ(xⁿ − xⁿ⁻¹)` in the next step. */
  theta: number;
  /** `τ` of the last step (0 before the first step: residuals unavailable). */
  tauLast: number;
  /** `σ` of the last step (0 before the first step). */
  sigmaLast: number;
  /** Iterations completed (`n`). */
  iteration: number;
  /** Work done (operator applications, prox calls, iterations, certificate work). */
  readonly cost: Cost;
  /** Set by `step` when the iteration produced NaN/Inf (`'diverged'`); `null` otherwise. */
  halt: StopReason | null;
  /** Derived data (not serialised). */
  readonly work: PdhgWork;
}

/**
 * Certificate of {@link Pdhg}: the saddle certificate of `(xⁿ, yⁿ)` (eqs. 6a/6b, gap) plus the
 * optimality residuals of the PDHG fixed point (derived from the prox optimality conditions of
 * the last step, dual-first form):
 *
 * - `primalResidual = ‖(v − xⁿ)/τ + Kᵀyⁿ‖`, a norm of an element of `∂g(xⁿ) + Kᵀyⁿ`
 *   (since `(v − xⁿ)/τ ∈ ∂g(xⁿ)` for `xⁿ = prox_{τg}(v)`); with this update order it equals
 *   `‖xⁿ⁻¹ − xⁿ‖/τ`;
 * - `dualResidual = ‖Kxⁿ − (w − yⁿ)/σ‖`, a norm of an element of `Kxⁿ − ∂f*(yⁿ)`
 *   (since `(w − yⁿ)/σ ∈ ∂f*(yⁿ)`), i.e. `‖K(xⁿ − x̄ⁿ⁻¹) + (yⁿ⁻¹ − yⁿ)/σ‖`.
 *
 * Both vanish exactly at a saddle point (Goldstein–Li–Yuan, "Adaptive primal-dual splitting",
 * 2013/2015, use the same residuals). Diagonal steps divide elementwise. `Infinity` before
 * the first step.
 */
export interface PdhgCertificate extends SaddleCertificate {
  /** Primal optimality residual (see above). */
  readonly primalResidual: number;
  /** Dual optimality residual (see above). */
  readonly dualResidual: number;
}

/**
 * PDHG (Chambolle–Pock 2011) in the dual-first form of piggyback-pdhg.md §2.1:
 * ```
 * yⁿ⁺¹ = prox_{σf*}(yⁿ + σ K x̄ⁿ)
 * xⁿ⁺¹ = prox_{τg}(xⁿ − τ Kᵀ yⁿ⁺¹)
 * x̄ⁿ⁺¹ = xⁿ⁺¹ + ϑ (xⁿ⁺¹ − xⁿ)
 * ```
 * with the step rules of {@link pdhgSteps} (plain, accelerated, linear-rate, diagonally
 * preconditioned). `K x̄ⁿ` is formed as `(1+ϑ) Kxⁿ − ϑ Kxⁿ⁻¹` from the stored `Kxⁿ`, so a step
 * costs one `apply`, one `adjoint` and two prox calls, and `Kxⁿ`, `Kᵀyⁿ` are at hand for the
 * certificates (which then cost one more `apply` and `adjoint`).
 *
 * `init(problem, warm)` copies any of `x, xPrev, y, w, v, tau, sigma, theta, tauLast, sigmaLast,
 * iteration, cost, halt` present in `warm`: pass `{ x, y }` to warm-start a new problem, or a
 * full `serializeState` snapshot to resume a run exactly. `step` allocates nothing.
 */
export class Pdhg implements Solver<SaddleProblem, PdhgState, PdhgCertificate> {
  /** @internal Validated options. */
  readonly options: z.output<typeof pdhgOptionsSchema>;
  private readonly stepOptions: PdhgOptions;

  /** @param options step rule and certificate options (validated with zod). */
  constructor(options: PdhgOptions = {}) {
    this.options = parseOrThrow(pdhgOptionsSchema, options, 'pdhg options');
    const { gap: _gap, ...stepOptions } = options;
    this.stepOptions = stepOptions;
  }

  /** Allocate the state (and compute `Kx`, `Kx_prev`, `Kᵀy`), warm-started from `warm`. */
  init(problem: SaddleProblem, warm?: Partial<PdhgState>): PdhgState {
    const { K, g, fStar } = problem;
    assertSameSize('pdhg', g.shape, 'g', K.domain, 'the domain of K');
    assertSameSize('pdhg', fStar.shape, 'fStar', K.range, 'the range of K');
    if (problem.f) assertSameSize('pdhg', problem.f.shape, 'f', K.range, 'the range of K');
    if (problem.gStar) assertSameSize('pdhg', problem.gStar.shape, 'gStar', K.domain, 'the domain of K');
    const steps = pdhgSteps(problem, this.stepOptions);
    const n = shapeSize(K.domain);
    const m = shapeSize(K.range);

    let tauVec: Vec | null = null;
    let sigmaVec: Vec | null = null;
    let proxDiagG: DiagonalProximable['proxDiagonal'] | null = null;
    let proxDiagFStar: DiagonalProximable['proxDiagonal'] | null = null;
    if (steps.kind === 'preconditioned') {
      proxDiagG = proxDiagonalOf(g) ?? null;
      proxDiagFStar = proxDiagonalOf(fStar) ?? null;
      if (!proxDiagG || !proxDiagFStar) {
        throw new ShapeError(
          `pdhg options: preconditioning needs g.proxDiagonal and fStar.proxDiagonal (missing on ${!proxDiagG ? 'g' : 'fStar'}); ` +
            'implement the prox with diagonal steps or drop preconditioning',
        );
      }
      tauVec = new Float64Array(n);
      sigmaVec = new Float64Array(m);
      for (let j = 0; j < n; j++) tauVec[j] = steps.tau * steps.tauDiag![j]!;
      for (let i = 0; i < m; i++) sigmaVec[i] = steps.sigma * steps.sigmaDiag![i]!;
    }

    const cost = zeroCost();
    const x = new Float64Array(n);
    const xPrev = new Float64Array(n);
    const y = new Float64Array(m);
    const w = new Float64Array(m);
    const v = new Float64Array(n);
    const kx = new Float64Array(m);
    const kxPrev = new Float64Array(m);
    const kty = new Float64Array(n);
    const state: PdhgState = {
      x,
      xPrev,
      y,
      w,
      v,
      tau: steps.tau,
      sigma: steps.sigma,
      theta: steps.kind === 'accelerated' ? 1 : steps.theta,
      tauLast: 0,
      sigmaLast: 0,
      iteration: 0,
      cost,
      halt: null,
      work: {
        problem,
        steps,
        kx,
        kxPrev,
        kty,
        tauVec,
        sigmaVec,
        cert: null,
        maps: {
          dual: (w, sig, out) => fStar.prox(w, sig, out),
          primal: (v, t, out) => g.prox(v, t, out),
          dualDiagonal: proxDiagFStar,
          primalDiagonal: proxDiagG,
        },
        pair: { xOld: x, xNew: xPrev, y, w, v, kx, kxNew: kxPrev, kty },
      },
    };
    if (warm) this.applyWarm(state, warm);

    const { work } = state;
    K.apply(state.x, work.kx);
    if (warm?.xPrev) {
      K.apply(state.xPrev, work.kxPrev);
      cost.apply++;
    } else {
      state.xPrev.set(state.x);
      work.kxPrev.set(work.kx);
    }
    K.adjoint(state.y, work.kty);
    cost.apply++;
    cost.adjoint++;
    return state;
  }

  private applyWarm(state: PdhgState, warm: Partial<PdhgState>): void {
    copyWarm('x', warm.x, state.x);
    copyWarm('xPrev', warm.xPrev, state.xPrev);
    copyWarm('y', warm.y, state.y);
    const hasW = copyWarm('w', warm.w, state.w);
    const hasV = copyWarm('v', warm.v, state.v);
    const steps = state.work.steps;
    const restoresSteps = warm.tau !== undefined || warm.sigma !== undefined;
    if (restoresSteps) {
      const tau = warm.tau ?? state.tau;
      const sigma = warm.sigma ?? state.sigma;
      if (!(tau > 0) || !(sigma > 0)) throw new ShapeError(`warm start tau = ${tau}, sigma = ${sigma}: steps must be > 0`);
      if (steps.kind !== 'preconditioned') {
        // Plain needs τσ‖K‖² < 1; accelerated keeps τ_nσ_n = τ₀σ₀ ≤ 1/‖K‖²; linear has τσ‖K‖² ≤ 1.
        const p = tau * sigma * steps.normK * steps.normK;
        if (steps.kind === 'plain' ? !(p < 1) : p > 1 + 1e-9) {
          throw new ShapeError(
            `warm start tau = ${tau}, sigma = ${sigma}: tau·sigma·‖K‖² = ${p} violates the ${steps.kind} step rule ` +
              '(were they saved for another problem? pass only { x, y } to warm-start a new problem)',
          );
        }
      }
      state.tau = tau;
      state.sigma = sigma;
    }
    if (hasW && hasV) {
      state.tauLast = warm.tauLast ?? 0;
      state.sigmaLast = warm.sigmaLast ?? 0;
    }
    copyWarmScalars(state, warm, ['theta']);
  }

  /** One PDHG iteration (no allocation; see the class comment for the formulas). */
  step(s: PdhgState): void {
    const work = s.work;
    const a = work.pair;
    // Point the update at the current arrays; it writes xⁿ⁺¹ over xⁿ⁻¹ and Kxⁿ⁺¹ over Kxⁿ⁻¹.
    a.xOld = s.x;
    a.xNew = s.xPrev;
    a.kx = work.kx;
    a.kxNew = work.kxPrev;
    const tau = s.tau;
    const sigma = s.sigma;
    const acc = primalDualUpdate(work.problem.K, work.maps, a, tau, sigma, s.theta, null, work.tauVec, work.sigmaVec);
    s.x = a.xNew;
    s.xPrev = a.xOld;
    work.kx = a.kxNew;
    work.kxPrev = a.kx;
    s.tauLast = tau;
    s.sigmaLast = sigma;
    endPdhgStep(s, work.steps, tau, sigma, acc);
  }

  /**
   * Certificate of the current iterate `(xⁿ, yⁿ)`: {@link saddleCertificate} with the stored
   * `Kxⁿ`, `Kᵀyⁿ` (one more `adjoint` for 6a, one `apply` for 6b, charged to `state.cost`) and the
   * fixed-point residuals of {@link PdhgCertificate}.
   */
  certificate(s: PdhgState): PdhgCertificate {
    const work = s.work;
    const problem = work.problem;
    work.cert ??= createSaddleCertificateWorkspace(problem);
    const base = saddleCertificate(problem, s.x, s.y, work.cert, {
      kx: work.kx,
      kty: work.kty,
      cost: s.cost,
      muG: this.options.muG,
      muFStar: this.options.muFStar,
      gap: this.options.gap,
    });
    let primalResidual = Infinity;
    let dualResidual = Infinity;
    if (s.tauLast > 0 && s.sigmaLast > 0) {
      const x = s.x;
      const y = s.y;
      const n = x.length;
      const m = y.length;
      const d = work.cert.d1;
      const r = work.cert.r1;
      const tv = work.tauVec;
      const sv = work.sigmaVec;
      // Preconditioned steps are fixed, so the effective last steps are tauVec, sigmaVec.
      const tl = s.tauLast;
      const sl = s.sigmaLast;
      for (let j = 0; j < n; j++) d[j] = (s.v[j]! - x[j]!) / (tv ? tv[j]! : tl) + work.kty[j]!;
      for (let i = 0; i < m; i++) r[i] = work.kx[i]! - (s.w[i]! - y[i]!) / (sv ? sv[i]! : sl);
      primalResidual = norm2(n, d);
      dualResidual = norm2(m, r);
    }
    return { ...base, primalResidual, dualResidual };
  }
}
