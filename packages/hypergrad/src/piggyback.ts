/**
 * The piggyback hypergradient of a saddle-form lower level (arXiv 2412.06436): PDHG and the
 * adjoint (piggyback) iteration run together with the same steps and in the same order; stops
 * when the a-posteriori distances `ε_x, ε_y ≤ ε` (Lemma 2) and `δ_X, δ_Y ≤ δ` (Lemma 3); returns
 * the hypergradient with the Theorem 2 error bound. Memory is independent of the iteration count.
 * @module
 */
import {
  NumericalError,
  ValidationError,
  allFinite,
  anyOf,
  isParametricOperator,
  maxIterations,
  zeroCost,
  normUpperBound,
  nrm2,
  parseOrThrow,
  saddleProblem,
  positive,
  positiveInt,
  run,
  shapeSize,
  z,
  type Cost,
  type HypergradientEstimate,
  type KernelInfo,
  type HypergradientOracle,
  type HessianInvertible,
  type LearnableFunctional,
  type LossEstimate,
  type SaddleBackend,
  type SaddleBackendState,
  type DeclarativeSaddleModel,
  type SaddleProblem,
  type SampleWarmState,
  type Tolerances,
  type Vec,
  type WarmState,
} from '@bilevel/core';
import {
  Piggyback,
  adjointCertificate,
  meetsTolerances,
  piggybackTolerance,
  pdhgSteps,
  createSaddleCertificateWorkspace,
  kernelChoiceSchema,
  saddleCertificate,
  type AdjointCertificateWorkspace,
  type PiggybackState,
} from '@bilevel/solvers';
import { applyQuery, meanGradient, meanLoss, type SampleGradient, type SampleLoss } from './batch.js';
import { saddleOracleFields } from './options.js';
import { saddleHypergradientBound, type SaddleBoundConstants } from './saddle-bound.js';

const constantsSchema = z
  .strictObject({
    muG: positive,
    lipGradG: positive,
    lipHessGStar: z.number().nonnegative(),
    muFStar: positive,
    lipGradFStar: positive,
    lipHessF: z.number().nonnegative(),
    lipInvHessPoint: z.number().nonnegative(),
    lipInvHessPair: z.number().nonnegative(),
    lipLoss: z.number().nonnegative(),
    paramVjpBound: positive,
  })
  .partial();

/** zod schema of the options of {@link PiggybackOracle} (unknown keys are rejected). */
export const piggybackOptionsSchema = z.strictObject({
  /** Model, loss and PDHG step rule (default scheme: `linear` when μ_g, μ_f* > 0). */
  ...saddleOracleFields,
  /** Evaluate the certificates every `m` iterations (default 10; they cost extra K, Kᵀ). */
  certificateEvery: positiveInt.default(10),
  /** Iteration cap per solve (the bound stays valid: it is a-posteriori). Default 20000. */
  maxIterations: positiveInt.default(20_000),
  /** Overrides of the Theorem 2 constants (default: from the model's functionals and operator). */
  constants: constantsSchema.default({}),
  /**
   * The kernel of the synchronous solves, any choice the `Piggyback` solver takes
   * (`kernelChoiceSchema` of `@bilevel/solvers`): `auto` (default) a fused `wasm-f64` kernel when
   * one is registered for the sample's problem and loss (Huber-TV, Huber filter banks), else the
   * generic composition; `js-f64` always the generic composition; `wasm-f64` or `gpujs-f32`
   * require a registered fused kernel of that backend (gpu.js kernels register through
   * `GpuJsBackend.register()` of `@bilevel/kernels`; a `ValidationError` of the registry names what
   * is missing). Learnable `f*` parameters always use the generic composition.
   */
  kernel: kernelChoiceSchema.default('auto'),
  /**
   * A compute backend (e.g. from `@bilevel/kernels`) used by {@link PiggybackOracle.evaluateAsync}
   * for samples the model can describe declaratively (`DeclarativeSaddleModel.saddleSpec`);
   * other samples, and the synchronous methods, use the float64 reference.
   */
  backend: z.custom<SaddleBackend>((b) => typeof b === 'object' && b !== null && 'runSaddle' in b, 'must be a SaddleBackend').optional(),
});

/** Options of {@link PiggybackOracle}. */
export type PiggybackOptions = z.input<typeof piggybackOptionsSchema>;

/** The primal-dual iterates the assembly reads, with `Kx` (needed only for learnable `f*` parameters). */
interface Iterates {
  readonly x: Vec;
  readonly y: Vec;
  readonly xPrev: Vec;
  readonly kx?: Vec;
}

/** The adjoint iterates the assembly and the bound read, with `KX` and a scratch array for `∇ℓ`. */
interface AdjointIterates {
  readonly X: Vec;
  readonly XPrev: Vec;
  readonly Y: Vec;
  readonly KX?: Vec;
  readonly gl: Vec;
}

/** Adjoint buffers of one solve on a compute backend (the certificate's scratch included). */
interface BackendAdjoint extends AdjointIterates, AdjointCertificateWorkspace {
  readonly KX: Vec;
  readonly KXPrev: Vec;
  readonly ktY: Vec;
}

/**
 * Piggyback hypergradient oracle for a `SaddleModel` (`@bilevel/core`).
 *
 * Per sample and per iteration (dual-first; docs/math/piggyback.md#the-piggyback-recursion):
 * ```
 * w = y + σK x̄,          y⁺ = prox_{σf*}(w),   Y⁺ = J_{σf*}(w)[Y + σ K X̄]
 * v = x − τKᵀy⁺,         x⁺ = prox_{τg}(v),    X⁺ = J_{τg}(v)[X − τ(KᵀY⁺ + ∇ℓ(x))]
 * x̄⁺ = x⁺ + ϑ(x⁺ − x),   X̄⁺ = X⁺ + ϑ(X⁺ − X)
 * ```
 * and the hypergradient (derived from the fixed-point equations; the `K` part is
 * `z = yXᵀ + Yxᵀ` of docs/math/piggyback.md#the-adjoint-system-and-the-hypergradient, mapped
 * to θ by `paramVjp`):
 * ```
 * ∇_θL = ∂_θ⟨K_θX, y⟩ + ∂_θ⟨K_θx, Y⟩ + ∂_θ⟨prox_{σf*_θ}(y + σKx), Y/σ + KX⟩
 * ```
 * The last term is present only when `f*` has learnable parameters.
 *
 * **Bound.** Theorem 2 (eq. 16, constants 17a–17d, plus the cross term) covers the parameters of
 * `K`; its assumptions are strong convexity of `g`, `f*` and Lipschitz Hessians. For Huber-type
 * `f` (an indicator in `f*`) `L_{∇²f}` is infinite; the constant then defaults to 0, which
 * assumes the active set is identified (docs/math/error-bound.md#huber-type-dual-terms), and the result's
 * `boundAssumesActiveSet` says so. With learnable `f*` parameters the bound does not cover them
 * and is reported as `Infinity`.
 */
export class PiggybackOracle implements HypergradientOracle {
  private readonly o: z.output<typeof piggybackOptionsSchema>;
  /** Joint PDHG + adjoint solves. */
  private readonly joint: Piggyback;
  /** PDHG solves for the loss only. */
  private readonly primal: Piggyback;
  private readonly pK: number;
  private readonly pF: number;
  /** Number of parameters `dim θ = dim θ_K + dim θ_{f*}`. */
  readonly dimension: number;
  /** Number of training samples. */
  readonly numSamples: number;
  /** Whether the last bound used `L_{∇²f} = 0` for a non-smooth `f*` (active set assumed identified). */
  boundAssumesActiveSet = false;
  /** The kernel of the last synchronous solve (a fused kernel or the generic composition), `undefined` before any. */
  lastKernel: KernelInfo | undefined = undefined;

  constructor(options: PiggybackOptions) {
    this.o = parseOrThrow(piggybackOptionsSchema, options, 'PiggybackOracle options');
    const { model, steps } = this.o;
    if (steps.scheme !== undefined && steps.scheme !== 'plain' && steps.scheme !== 'linear' && steps.scheme !== 'auto') {
      throw new ValidationError(`PiggybackOracle options: steps.scheme '${steps.scheme}' is not supported; use 'plain' or 'linear' (constant steps)`);
    }
    this.pK = isParametricOperator(model.K) ? model.K.params.length : 0;
    this.dimension = model.params.length;
    this.pF = this.dimension - this.pK;
    // the assembly of learnable f* parameters reads K X and K x, which the generic composition keeps
    const backend = this.pF > 0 ? 'js-f64' : this.o.kernel;
    this.joint = new Piggyback({ ...steps, backend });
    this.primal = new Piggyback({ ...steps, backend, adjoint: false });
    const fs = model.fStar as Partial<LearnableFunctional>;
    if (this.pF !== 0 && this.pF !== (fs.params?.length ?? -1)) {
      throw new ValidationError(
        `PiggybackOracle: model.params has ${this.dimension} entries, K has ${this.pK} and fStar ${fs.params?.length ?? 0}; ` +
          'a SaddleModel lays out θ = [K.params] or [K.params, fStar.params]',
      );
    }
    if (this.pF > 0 && !fs.proxParamVjp) throw new ValidationError('PiggybackOracle: learnable fStar must implement proxParamVjp');
    this.numSamples = model.numSamples;
  }

  /** Loss only: PDHG to `max(ε_x, ε_y) ≤ ε`, warm-started (no adjoint). */
  loss(theta: Float64Array, batch: readonly number[], epsilon: number, warm?: WarmState): LossEstimate {
    applyQuery(this, this.o.model, theta, batch, { epsilon });
    const samples = batch.map((i) => this.solve(i, { epsilon, delta: Infinity }, warm?.get(i), false));
    return meanLoss(samples, batch, this.o.loss, this.n, warm);
  }

  /** Loss, piggyback hypergradient and Theorem 2 bound, warm-started per sample. */
  evaluate(theta: Float64Array, batch: readonly number[], tol: Tolerances, warm?: WarmState): HypergradientEstimate {
    applyQuery(this, this.o.model, theta, batch, tol);
    const samples = batch.map((i) => this.solve(i, tol, warm?.get(i), true) as SampleGradient);
    return meanGradient(samples, batch, this.o.loss, this.n, warm);
  }

  /**
   * {@link PiggybackOracle.evaluate} on the `backend` option: samples whose model gives a
   * declarative `saddleSpec` run PDHG + piggyback on the backend in chunks of
   * `certificateEvery` iterations (same steps, from `pdhgSteps`), with the certificates, the
   * hypergradient and the bound evaluated in float64 on the host between chunks; other samples
   * (or no backend) use the float64 reference. With a float32 backend the certificates measure
   * the float32 iterates, so tolerances below float32 resolution may not be reached before
   * `maxIterations`.
   */
  async evaluateAsync(theta: Float64Array, batch: readonly number[], tol: Tolerances, warm?: WarmState): Promise<HypergradientEstimate> {
    applyQuery(this, this.o.model, theta, batch, tol);
    const samples: SampleGradient[] = [];
    for (const i of batch) samples.push(await this.solveOnBackend(i, tol, warm?.get(i)));
    return meanGradient(samples, batch, this.o.loss, this.n, warm);
  }

  private async solveOnBackend(i: number, tol: Tolerances, warm: SampleWarmState | undefined): Promise<SampleGradient> {
    const backend = this.o.backend;
    const spec = backend ? (this.o.model as Partial<DeclarativeSaddleModel>).saddleSpec?.(i) : undefined;
    if (!backend || !spec) return this.solve(i, tol, warm, true) as SampleGradient;
    const { problem, target } = this.problem(i);
    const steps = pdhgSteps(problem, this.o.steps);
    if (steps.kind !== 'plain' && steps.kind !== 'linear') {
      throw new ValidationError(`PiggybackOracle: PDHG chose the '${steps.kind}' scheme; piggyback needs constant steps (plain or linear)`);
    }
    const n = shapeSize(problem.K.domain);
    const m = shapeSize(problem.K.range);
    const cost = zeroCost();
    const adj = this.initAdjoint(problem, n, m, warm, cost);
    const kx = new Float64Array(m);
    const kty = new Float64Array(n);
    const cert = createSaddleCertificateWorkspace(problem);
    const chunk = this.o.certificateEvery;
    let state: Partial<SaddleBackendState> = warm?.x ? { ...warm } : {};
    let it = 0;
    for (;;) {
      const iterations = Math.min(chunk, this.o.maxIterations - it);
      const r = await backend.runSaddle(spec, { tau: steps.tau, sigma: steps.sigma, theta: steps.theta, normK: steps.normK }, { iterations, piggyback: true, warm: state });
      state = r;
      it += iterations;
      cost.iterations += iterations;
      cost.adjointIterations += iterations;
      cost.apply += 2 * iterations;
      cost.adjoint += 2 * iterations;
      cost.prox += 2 * iterations;
      cost.proxJvp += 2 * iterations;
      problem.K.apply(r.x, kx);
      problem.K.adjoint(r.y, kty);
      this.loadAdjoint(problem, adj, r, cost);
      const view: Iterates = { x: r.x, y: r.y, xPrev: r.xPrev, kx };
      const certificate = saddleCertificate(problem, r.x, r.y, cert, { kx, kty, cost, gap: false });
      const deltas = adjointCertificate({ ...problem, loss: this.o.loss, target }, { ...view, kx, kty, X: adj.X, Y: adj.Y, KX: adj.KX }, adj, cost);
      const done = certificate.epsX <= tol.epsilon && certificate.epsY <= tol.epsilon && deltas.deltaX <= tol.delta && deltas.deltaY <= tol.delta;
      if (!allFinite(n, r.x)) throw new NumericalError(`PiggybackOracle: the ${backend.mode} backend diverged on sample ${i}`);
      if (done || it >= this.o.maxIterations) return this.finish(i, problem, target, view, adj, certificate, deltas, cost, warm, steps.sigma, done) as SampleGradient;
    }
  }

  private get n(): number {
    return shapeSize(this.o.model.K.domain);
  }

  private problem(i: number): { problem: SaddleProblem; target: Vec; x0?: Vec } {
    const { model } = this.o;
    const s = model.sample(i);
    return { problem: saddleProblem(model, s), target: s.target, ...(s.x0 ? { x0: s.x0 } : {}) };
  }

  /**
   * One sample: the {@link Piggyback} solver (or PDHG alone for the loss) driven by the run loop
   * until its certificate meets `tol` (checked every `certificateEvery` iterations) or the cap.
   */
  private solve(i: number, tol: Tolerances, warm: SampleWarmState | undefined, withAdjoint: boolean): SampleLoss | SampleGradient {
    const { problem, target, x0 } = this.problem(i);
    const { certificateEvery, maxIterations: cap, loss } = this.o;
    const start: Partial<PiggybackState> = warm?.x
      ? { x: warm.x, ...(warm.xPrev ? { xPrev: warm.xPrev } : {}), ...(warm.y ? { y: warm.y } : {}) }
      : x0
        ? { x: x0 }
        : {};
    const solver = withAdjoint ? this.joint : this.primal;
    const state = solver.init({ ...problem, loss, target }, withAdjoint && warm ? { ...start, X: warm.X, XPrev: warm.XPrev, Y: warm.Y } : start);
    this.lastKernel = state.work.kernel;
    const r = run(solver, state, { stop: anyOf(piggybackTolerance(tol), maxIterations(cap)), certificateEvery });
    if (r.reason === 'diverged') throw new NumericalError(`PiggybackOracle: PDHG diverged on sample ${i} (NaN/Inf in the iterates)`);
    const c = r.certificate;
    const gw = state.work.generic;
    const it: Iterates = { x: state.x, y: state.y, xPrev: state.xPrev, ...(gw ? { kx: gw.kx } : {}) };
    const a = state.work.adjoint;
    const adj = withAdjoint ? { X: state.X, XPrev: state.XPrev, Y: state.Y, ...(a ? { KX: a.kx } : {}), gl: a ? a.gl : new Float64Array(state.x.length) } : null;
    const result = this.finish(i, problem, target, it, adj, c, c, state.cost, warm, state.work.steps.sigma, meetsTolerances(c, tol));
    // finish copied what the result keeps (warm state, gradient, bound): the kernel's memory can go back
    solver.release(state);
    return result;
  }

  /** Loss, warm state and (with the adjoint) hypergradient and bound of a finished solve. */
  private finish(
    i: number,
    problem: SaddleProblem,
    target: Vec,
    it: Iterates,
    adj: AdjointIterates | null,
    certificate: { epsX: number; epsY: number },
    deltas: { deltaX: number; deltaY: number },
    cost: Cost,
    warm: SampleWarmState | undefined,
    sigma: number,
    converged: boolean,
  ): SampleLoss | SampleGradient {
    const { loss } = this.o;
    const n = it.x.length;
    const gl = adj ? adj.gl : new Float64Array(n);
    loss.gradient(it.x, target, gl);
    const sampleLoss = loss.value(it.x, target);
    if (!Number.isFinite(sampleLoss)) throw new NumericalError(`PiggybackOracle: loss of sample ${i} is ${sampleLoss}`);
    const base = {
      loss: sampleLoss,
      gradLossNorm: nrm2(n, gl),
      epsilon: Math.max(certificate.epsX, certificate.epsY),
      stop: converged ? ('converged' as const) : ('max-iterations' as const),
      cost,
      warm: {
        x: it.x.slice(),
        xPrev: it.xPrev.slice(),
        y: it.y.slice(),
        ...(adj ? { X: adj.X.slice(), XPrev: adj.XPrev.slice(), Y: adj.Y.slice() } : pickAdjoint(warm)),
      },
    };
    if (!adj) return base;
    const gradient = this.assemble(problem, it, adj, sigma);
    const bound = this.bound(problem, it, adj, target, certificate.epsX, certificate.epsY, deltas);
    return { ...base, gradient, bound, delta: Math.max(deltas.deltaX, deltas.deltaY) };
  }

  /** The adjoint buffers of a solve on a compute backend, loaded from `warm`. */
  private initAdjoint(problem: SaddleProblem, n: number, m: number, warm: SampleWarmState | undefined, cost: Cost): BackendAdjoint {
    const a: BackendAdjoint = {
      X: new Float64Array(n),
      XPrev: new Float64Array(n),
      Y: new Float64Array(m),
      KX: new Float64Array(m),
      KXPrev: new Float64Array(m),
      ktY: new Float64Array(n),
      gl: new Float64Array(n),
      dom: new Float64Array(n),
      d1: new Float64Array(n),
      d2: new Float64Array(n),
      ran: new Float64Array(m),
      r1: new Float64Array(m),
      r2: new Float64Array(m),
    };
    this.loadAdjoint(problem, a, warm, cost);
    return a;
  }

  /** Copy `X`, `XPrev`, `Y` from `from` (zero when absent) and recompute `KX`, `KXPrev`, `KᵀY`. */
  private loadAdjoint(problem: SaddleProblem, a: BackendAdjoint, from: Partial<Record<'X' | 'XPrev' | 'Y', Vec>> | undefined, cost: Cost): void {
    const n = a.X.length;
    const m = a.Y.length;
    if (from?.X && from.X.length === n) a.X.set(from.X);
    else a.X.fill(0);
    if (from?.Y && from.Y.length === m) a.Y.set(from.Y);
    else a.Y.fill(0);
    a.XPrev.set(from?.XPrev && from.XPrev.length === n ? from.XPrev : a.X);
    problem.K.apply(a.X, a.KX);
    problem.K.apply(a.XPrev, a.KXPrev);
    problem.K.adjoint(a.Y, a.ktY);
    cost.apply += 2;
    cost.adjoint++;
  }

  /** `∇_θL` at the current iterates (see the class comment). */
  private assemble(problem: SaddleProblem, s: Iterates, a: AdjointIterates, sigma: number): Float64Array {
    const grad = new Float64Array(this.dimension);
    const K = problem.K;
    if (this.pK > 0 && isParametricOperator(K)) {
      const gK = grad.subarray(0, this.pK);
      K.paramVjp(a.X, s.y, gK, 1);
      K.paramVjp(s.x, a.Y, gK, 1);
    }
    if (this.pF > 0) {
      const m = a.Y.length;
      const w = new Float64Array(m);
      const b = new Float64Array(m);
      const kx = s.kx!;
      for (let i = 0; i < m; i++) {
        w[i] = s.y[i]! + sigma * kx[i]!;
        b[i] = a.Y[i]! / sigma + a.KX![i]!;
      }
      (problem.fStar as unknown as LearnableFunctional).proxParamVjp!(w, sigma, b, grad.subarray(this.pK), 1);
    }
    return grad;
  }

  /** The Theorem 2 constants of this sample (overrides first, then the model's properties). */
  constants(problem: SaddleProblem): SaddleBoundConstants {
    const c = this.o.constants;
    const g = problem.g as Partial<{ lipschitz: number; strongConvexity: number }>;
    const gStar = problem.gStar as Partial<{ hessianLipschitz: number }> | undefined;
    const fs = problem.fStar as Partial<{ lipschitz: number; strongConvexity: number }>;
    const f = problem.f as Partial<{ hessianLipschitz: number }> | undefined;
    const K = problem.K;
    const fStarSmooth = typeof (problem.fStar as Partial<{ gradient: unknown }>).gradient === 'function';
    const inverseLip = (problem.fStar as Partial<HessianInvertible>).inverseHessianLipschitz;
    const lipHessF = c.lipHessF ?? f?.hessianLipschitz ?? (fStarSmooth ? Infinity : 0);
    const lipInvHessPoint = c.lipInvHessPoint ?? (c.lipHessF === undefined ? inverseLip?.point : undefined);
    this.boundAssumesActiveSet = c.lipHessF === undefined && c.lipInvHessPoint === undefined && f?.hessianLipschitz === undefined && !fStarSmooth;
    return {
      muG: c.muG ?? g.strongConvexity ?? 0,
      lipGradG: c.lipGradG ?? g.lipschitz ?? Infinity,
      lipHessGStar: c.lipHessGStar ?? gStar?.hessianLipschitz ?? Infinity,
      muFStar: c.muFStar ?? fs.strongConvexity ?? 0,
      lipGradFStar: c.lipGradFStar ?? fs.lipschitz ?? fs.strongConvexity ?? Infinity,
      lipHessF,
      ...(lipInvHessPoint !== undefined ? { lipInvHessPoint } : {}),
      lipInvHessPair: c.lipInvHessPair ?? inverseLip?.pair ?? 0,
      lipLoss: c.lipLoss ?? this.o.loss.lipschitz(shapeSize(K.domain)),
      normK: normUpperBound(K, this.o.steps.normSafety).value,
      paramVjpBound: c.paramVjpBound ?? (isParametricOperator(K) && K.paramVjpBound ? K.paramVjpBound() : Infinity),
    };
  }

  private bound(
    problem: SaddleProblem,
    s: Iterates,
    a: AdjointIterates,
    target: Vec,
    epsX: number,
    epsY: number,
    d: { deltaX: number; deltaY: number },
  ): number {
    if (this.pF > 0) return Infinity;
    const n = a.X.length;
    const m = a.Y.length;
    this.o.loss.gradient(s.x, target, a.gl);
    return saddleHypergradientBound(this.constants(problem), {
      epsX,
      epsY,
      deltaX: d.deltaX,
      deltaY: d.deltaY,
      normX: nrm2(n, s.x),
      normY: nrm2(m, s.y),
      normAdjX: nrm2(n, a.X),
      normAdjY: nrm2(m, a.Y),
      gradLossNorm: nrm2(n, a.gl),
    }).bound;
  }
}

function pickAdjoint(warm: SampleWarmState | undefined): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const k of ['X', 'XPrev', 'Y'] as const) if (warm?.[k]) out[k] = warm[k].slice();
  return out;
}
