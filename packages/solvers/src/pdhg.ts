/**
 * PDHG (Chambolle–Pock) for `min_x max_y ⟨Kx, y⟩ + g(x) − f*(y)` as a resumable state machine:
 * the engine (step rules, counters, warm starts, certificates) over a kernel that runs the
 * iterations — the generic composition of the problem's operators and functionals, or a fused
 * kernel registered for the problem's description.
 * @module
 */
import {
  ShapeError,
  parseOrThrow,
  shapeSize,
  zeroCost,
  z,
  type Cost,
  type KernelInfo,
  type Loss,
  type SaddleProblem,
  type Solver,
  type SolverState,
  type StopReason,
  type Vec,
} from '@bilevel/core';
import { saddleCertificate, createSaddleCertificateWorkspace, saddleDistances, type SaddleCertificate, type SaddleCertificateWorkspace } from './certificate.js';
import { assertSameSize, copyWarm, copyWarmScalars, norm2, proxDiagonalOf, type DiagonalProximable } from './internal.js';
import { MAX_THREADS, kernelChoiceSchema, kernelInfo, selectKernel, type EngineAlgorithm, type FusedSaddleKernel, type KernelChoice } from './kernels.js';
import { primalDualUpdate, proxSteps, type PrimalDualArrays, type PrimalDualMaps, type PrimalDualSteps } from './primal-dual.js';
import { endPdhgStep, pdhgStepOptionsSchema, pdhgSteps, type PdhgStepOptions, type PdhgSteps } from './steps.js';

/** @internal zod schema of {@link PdhgOptions}. */
export const pdhgOptionsSchema = pdhgStepOptionsSchema.extend({
  gap: z.boolean().default(true),
  backend: kernelChoiceSchema.default('auto'),
  threads: z
    .number()
    .int('threads must be a whole number')
    .min(1, 'threads must be at least 1')
    .max(MAX_THREADS, `threads must be at most ${MAX_THREADS}`)
    .default(1),
});

/** Options of {@link Pdhg}: the step rule ({@link PdhgStepOptions}), certificate and kernel options. */
export interface PdhgOptions extends PdhgStepOptions {
  /** Evaluate the gap and objectives in the certificate (needs `f`, `gStar` values; default true). */
  readonly gap?: boolean;
  /**
   * The kernel: `auto` (default) runs a fused `wasm-f64` kernel when one is registered for the
   * problem's description (not with preconditioning), else the generic composition — never a
   * float32 kernel; `js-f64` always the generic composition; `wasm-f64` or `gpujs-f32` require a
   * registered fused kernel of that backend (gpu.js kernels register through `@bilevel/kernels`).
   */
  readonly backend?: KernelChoice;
  /**
   * Threads a fused kernel splits one solve over (default 1; an integer from 1 to 64): the
   * Huber-TV kernel runs row bands on worker threads with iterates and certificates
   * bit-identical to one thread, on at most one thread per 2¹⁵ pixels and per row (fewer pay
   * nothing: see `huberTvThreads`), and on one thread where worker threads are not available
   * (browsers). The generic composition ignores it. `state.work.fused.threads` says how many run.
   */
  readonly threads?: number;
}

/** The generic composition's derived data: operator images, step vectors, maps and workspace. */
export interface GenericPdhgWork {
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
  /** The halves of the update built from `maps` (and the step vectors). */
  readonly steps: PrimalDualSteps;
  /** The arrays of the update (references pointed at the current ones before each step). */
  readonly pair: PrimalDualArrays;
}

/**
 * Everything derived from the problem that is not part of the serialisable state: the problem,
 * the step rule and the kernel (a fused kernel, or the generic composition's data). Recomputed by
 * `init`.
 */
export interface PdhgWork {
  /** The problem being solved. */
  readonly problem: SaddleProblem;
  /** The step rule in use. */
  readonly steps: PdhgSteps;
  /** Which kernel runs the iterations. */
  readonly kernel: KernelInfo;
  /** The fused kernel, or `null` on the generic composition. */
  readonly fused: FusedSaddleKernel | null;
  /** The generic composition's data, or `null` with a fused kernel. */
  readonly generic: GenericPdhgWork | null;
  /**
   * Workspace of the generic certificate on a fused kernel's iterates (a kernel without its own
   * certificate sweeps), else `null`.
   */
  readonly hostCertificate: SaddleCertificateWorkspace | null;
}

/**
 * State of {@link Pdhg} after `n = iteration` steps. The top-level typed arrays and scalars are
 * the serialisable state (see `serializeState`); `work` is recomputed by `init`.
 *
 * On the generic composition buffers are swapped, not copied: `x` and `xPrev` exchange their
 * arrays every step, so read `state.x` after each step instead of keeping a reference. A fused
 * kernel's arrays are views of its memory.
 *
 * For the piggyback estimator, after a step from `n` to `n+1` (generic composition):
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
  /** Last dual prox input `w = yⁿ⁻¹ + σ K x̄ⁿ⁻¹` (generic composition; `null` with a fused kernel). */
  readonly w: Vec | null;
  /** Last primal prox input `v = xⁿ⁻¹ − τ Kᵀ yⁿ` (generic composition; `null` with a fused kernel). */
  readonly v: Vec | null;
  /** `‖xⁿ − xⁿ⁻¹‖²` of the last step (fused kernels; 0 on the generic composition). */
  primalChange: number;
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
 *   `‖xⁿ⁻¹ − xⁿ‖/τ`, which is what fused kernels report;
 * - `dualResidual = ‖Kxⁿ − (w − yⁿ)/σ‖`, a norm of an element of `Kxⁿ − ∂f*(yⁿ)`
 *   (since `(w − yⁿ)/σ ∈ ∂f*(yⁿ)`), i.e. `‖K(xⁿ − x̄ⁿ⁻¹) + (yⁿ⁻¹ − yⁿ)/σ‖` (generic composition
 *   only: fused kernels keep no `w`, and report `Infinity`).
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
 * PDHG (Chambolle–Pock 2011) in the dual-first form of docs/math/saddle-problem.md#pdhg:
 * ```
 * yⁿ⁺¹ = prox_{σf*}(yⁿ + σ K x̄ⁿ)
 * xⁿ⁺¹ = prox_{τg}(xⁿ − τ Kᵀ yⁿ⁺¹)
 * x̄ⁿ⁺¹ = xⁿ⁺¹ + ϑ (xⁿ⁺¹ − xⁿ)
 * ```
 * with the step rules of {@link pdhgSteps} (plain, accelerated, linear-rate, diagonally
 * preconditioned). On the generic composition `K x̄ⁿ` is formed as `(1+ϑ) Kxⁿ − ϑ Kxⁿ⁻¹` from
 * the stored `Kxⁿ`, so a step costs one `apply`, one `adjoint` and two prox calls
 * ({@link primalDualUpdate}), and `Kxⁿ`, `Kᵀyⁿ` are at hand for the certificates (which then cost
 * one more `apply` and `adjoint`). A fused kernel registered for the problem's description (the
 * WebAssembly Huber-TV kernel, the gpu.js kernels of `@bilevel/kernels`; `backend` option) runs
 * the same iteration over its own memory, counted as the generic one; a kernel without its own
 * certificate sweeps is certified by the generic certificate on its iterates.
 *
 * `init(problem, warm)` copies any of `x, xPrev, y, w, v, tau, sigma, theta, tauLast, sigmaLast,
 * primalChange, iteration, cost, halt` present in `warm`: pass `{ x, y }` to warm-start a new
 * problem, or a full `serializeState` snapshot to resume a run exactly. `step` allocates nothing.
 */
export class Pdhg implements Solver<SaddleProblem, PdhgState, PdhgCertificate> {
  /** @internal Validated options. */
  readonly options: z.output<typeof pdhgOptionsSchema>;
  private readonly stepOptions: PdhgStepOptions;

  /** @param options step rule, certificate and kernel options (validated with zod). */
  constructor(options: PdhgOptions = {}) {
    this.options = parseOrThrow(pdhgOptionsSchema, options, 'pdhg options');
    const { gap: _gap, backend: _backend, threads: _threads, ...stepOptions } = options;
    this.stepOptions = stepOptions;
  }

  /** Allocate the state (and compute `Kx`, `Kx_prev`, `Kᵀy`), warm-started from `warm`. */
  init(problem: SaddleProblem, warm?: Partial<PdhgState>): PdhgState {
    return this.start(problem, warm, 'pdhg', problem);
  }

  /**
   * @internal `init` for `algorithm`: the piggyback solver starts PDHG with the kernel of its
   * joint iteration, selected by the description of `described` (the problem with its loss).
   */
  start(
    problem: SaddleProblem,
    warm: Partial<PdhgState> | undefined,
    algorithm: EngineAlgorithm,
    described: SaddleProblem & { readonly loss?: Loss; readonly target?: Vec },
  ): PdhgState {
    const { K, g, fStar } = problem;
    assertSameSize('pdhg', g.shape, 'g', K.domain, 'the domain of K');
    assertSameSize('pdhg', fStar.shape, 'fStar', K.range, 'the range of K');
    if (problem.f) assertSameSize('pdhg', problem.f.shape, 'f', K.range, 'the range of K');
    if (problem.gStar) assertSameSize('pdhg', problem.gStar.shape, 'gStar', K.domain, 'the domain of K');
    const steps = pdhgSteps(problem, this.stepOptions);
    const choice = steps.kind === 'preconditioned' ? 'js-f64' : this.options.backend;
    const fused = selectKernel(algorithm, described, choice, { threads: this.options.threads });
    const state = fused ? this.fusedState(problem, steps, fused) : this.genericState(problem, steps);
    if (warm) this.applyWarm(state, warm);
    const cost = state.cost;
    const generic = state.work.generic;
    if (generic) {
      K.apply(state.x, generic.kx);
      if (warm?.xPrev) K.apply(state.xPrev, generic.kxPrev);
      else {
        state.xPrev.set(state.x);
        generic.kxPrev.set(generic.kx);
      }
      K.adjoint(state.y, generic.kty);
    } else if (!warm?.xPrev) {
      state.xPrev.set(state.x);
    }
    // Fused kernels count the work the generic composition does here: K x (and K x_prev), Kᵀ y.
    cost.apply += warm?.xPrev ? 2 : 1;
    cost.adjoint++;
    return state;
  }

  private genericState(problem: SaddleProblem, steps: PdhgSteps): PdhgState {
    const { K, g, fStar } = problem;
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
    const x = new Float64Array(n);
    const xPrev = new Float64Array(n);
    const y = new Float64Array(m);
    const w = new Float64Array(m);
    const v = new Float64Array(n);
    const kx = new Float64Array(m);
    const kxPrev = new Float64Array(m);
    const kty = new Float64Array(n);
    const maps: PrimalDualMaps = {
      dual: (wi, sig, out) => fStar.prox(wi, sig, out),
      primal: (vj, t, out) => g.prox(vj, t, out),
      dualDiagonal: proxDiagFStar,
      primalDiagonal: proxDiagG,
    };
    const generic: GenericPdhgWork = {
      kx,
      kxPrev,
      kty,
      tauVec,
      sigmaVec,
      cert: null,
      maps,
      steps: proxSteps(maps, tauVec, sigmaVec),
      pair: { xOld: x, xNew: xPrev, y, w, v, kx, kxNew: kxPrev, kty },
    };
    return this.newState(x, xPrev, y, w, v, steps, { problem, steps, kernel: kernelInfo(null), fused: null, generic, hostCertificate: null });
  }

  private fusedState(problem: SaddleProblem, steps: PdhgSteps, fused: FusedSaddleKernel): PdhgState {
    const hostCertificate = fused.certificate ? null : createSaddleCertificateWorkspace(problem);
    return this.newState(fused.x, fused.xPrev, fused.y, null, null, steps, { problem, steps, kernel: kernelInfo(fused), fused, generic: null, hostCertificate });
  }

  private newState(x: Vec, xPrev: Vec, y: Vec, w: Vec | null, v: Vec | null, steps: PdhgSteps, work: PdhgWork): PdhgState {
    return {
      x,
      xPrev,
      y,
      w,
      v,
      primalChange: 0,
      tau: steps.tau,
      sigma: steps.sigma,
      theta: steps.kind === 'accelerated' ? 1 : steps.theta,
      tauLast: 0,
      sigmaLast: 0,
      iteration: 0,
      cost: zeroCost(),
      halt: null,
      work,
    };
  }

  private applyWarm(state: PdhgState, warm: Partial<PdhgState>): void {
    copyWarm('x', warm.x, state.x);
    copyWarm('xPrev', warm.xPrev, state.xPrev);
    copyWarm('y', warm.y, state.y);
    // w, v belong to the generic composition; a fused kernel's residual needs primalChange.
    const hasResidual = state.w && state.v ? copyWarm('w', warm.w, state.w) && copyWarm('v', warm.v, state.v) : warm.primalChange !== undefined;
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
    if (hasResidual) {
      state.tauLast = warm.tauLast ?? 0;
      state.sigmaLast = warm.sigmaLast ?? 0;
      if (!state.w) state.primalChange = warm.primalChange ?? 0;
    }
    copyWarmScalars(state, warm, ['theta']);
  }

  /** One PDHG iteration (no allocation; see the class comment for the formulas). */
  step(s: PdhgState): void {
    const work = s.work;
    const tau = s.tau;
    const sigma = s.sigma;
    let change: number;
    const fused = work.fused;
    if (fused) {
      change = fused.step(tau, sigma, s.theta);
      s.primalChange = change;
      s.x = fused.x;
      s.xPrev = fused.xPrev;
    } else {
      const gw = work.generic!;
      const a = gw.pair;
      // Point the update at the current arrays; it writes xⁿ⁺¹ over xⁿ⁻¹ and Kxⁿ⁺¹ over Kxⁿ⁻¹.
      a.xOld = s.x;
      a.xNew = s.xPrev;
      a.kx = gw.kx;
      a.kxNew = gw.kxPrev;
      change = primalDualUpdate(work.problem.K, gw.steps, a, tau, sigma, s.theta, null);
      s.x = a.xNew;
      s.xPrev = a.xOld;
      gw.kx = a.kxNew;
      gw.kxPrev = a.kx;
    }
    s.tauLast = tau;
    s.sigmaLast = sigma;
    endPdhgStep(s, work.steps, tau, sigma, change);
  }

  /**
   * Give a fused kernel's memory back for reuse by later `init`s (nothing to do on the generic
   * composition): the state's arrays must not be used afterwards.
   */
  release(s: PdhgState): void {
    s.work.fused?.release();
  }

  /**
   * Certificate of the current iterate `(xⁿ, yⁿ)`: {@link saddleCertificate} with the stored
   * `Kxⁿ`, `Kᵀyⁿ` (one more `adjoint` for 6a, one `apply` for 6b, charged to `state.cost`), or the
   * fused kernel's certificate sweeps (without them: {@link saddleCertificate} on its iterates,
   * computing `Kxⁿ`, `Kᵀyⁿ`), and the fixed-point residuals of {@link PdhgCertificate}.
   */
  certificate(s: PdhgState): PdhgCertificate {
    const work = s.work;
    const { muG, muFStar, gap } = this.options;
    if (work.fused) {
      const primalResidual = s.tauLast > 0 ? Math.sqrt(s.primalChange) / s.tauLast : Infinity;
      const host = work.hostCertificate;
      if (host) return { ...saddleCertificate(work.problem, s.x, s.y, host, { cost: s.cost, muG, muFStar, gap }), primalResidual, dualResidual: Infinity };
      const c = work.fused.certificate!(s.cost, gap).saddle;
      const base = saddleDistances({ ...c, muG: muG ?? c.muG, muFStar: muFStar ?? c.muFStar });
      return { ...base, primalResidual, dualResidual: Infinity };
    }
    const gw = work.generic!;
    const problem = work.problem;
    gw.cert ??= createSaddleCertificateWorkspace(problem);
    const base = saddleCertificate(problem, s.x, s.y, gw.cert, { kx: gw.kx, kty: gw.kty, cost: s.cost, muG, muFStar, gap });
    let primalResidual = Infinity;
    let dualResidual = Infinity;
    if (s.tauLast > 0 && s.sigmaLast > 0) {
      const x = s.x;
      const y = s.y;
      const w = s.w!;
      const v = s.v!;
      const n = x.length;
      const m = y.length;
      const d = gw.cert.d1;
      const r = gw.cert.r1;
      const tv = gw.tauVec;
      const sv = gw.sigmaVec;
      // Preconditioned steps are fixed, so the effective last steps are tauVec, sigmaVec.
      const tl = s.tauLast;
      const sl = s.sigmaLast;
      for (let j = 0; j < n; j++) d[j] = (v[j]! - x[j]!) / (tv ? tv[j]! : tl) + gw.kty[j]!;
      for (let i = 0; i < m; i++) r[i] = gw.kx[i]! - (w[i]! - y[i]!) / (sv ? sv[i]! : sl);
      primalResidual = norm2(n, d);
      dualResidual = norm2(m, r);
    }
    return { ...base, primalResidual, dualResidual };
  }
}
