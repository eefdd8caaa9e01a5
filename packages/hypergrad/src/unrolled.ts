/**
 * Unrolled (reverse-mode) hypergradients through stored PDHG iterates: the baseline that
 * piggyback and implicit differentiation are compared against. Memory grows linearly with the
 * number of iterations (reported as `lastStoredBytes`).
 * @module
 */
import {
  NumericalError,
  ValidationError,
  isParametricOperator,
  nrm2,
  parseOrThrow,
  positiveInt,
  saddleProblem,
  shapeSize,
  z,
  type HypergradientEstimate,
  type HypergradientOracle,
  type LearnableFunctional,
  type LossEstimate,
  type SaddleProblem,
  type SampleWarmState,
  type Tolerances,
  type WarmState,
} from '@bilevel/core';
import { Pdhg, createSaddleCertificateWorkspace, saddleCertificate, type PdhgState } from '@bilevel/solvers';
import { applyQuery, meanGradient, meanLoss, type SampleGradient } from './batch.js';
import { saddleOracleFields } from './options.js';

/** zod schema of the options of {@link UnrolledOracle} (unknown keys are rejected). */
export const unrolledOptionsSchema = z.strictObject({
  /** Model, loss and PDHG step rule (constant steps). */
  ...saddleOracleFields,
  /** Check the lower-level certificate every `m` iterations (default 10). */
  certificateEvery: positiveInt.default(10),
  /** Iterations to unroll at most (default 5000). */
  maxIterations: positiveInt.default(5000),
  /** Unroll exactly this many iterations, ignoring ε (for memory/time comparisons). */
  iterations: positiveInt.optional(),
});

/** Options of {@link UnrolledOracle}. */
export type UnrolledOptions = z.input<typeof unrolledOptionsSchema>;

/** The tape of one forward PDHG pass: per iteration `x̄ᵏ`, `wᵏ`, `yᵏ⁺¹`, `vᵏ` (and `ϑ`). */
interface Tape {
  readonly xbar: Float64Array[];
  readonly w: Float64Array[];
  readonly y: Float64Array[];
  readonly v: Float64Array[];
  readonly theta: number[];
}

/**
 * Unrolled differentiation of `N` PDHG iterations: the exact gradient of `θ ↦ ℓ(x^N(θ))` (with
 * the warm start held fixed), by reverse mode through the stored iterates:
 * ```
 * a_v = J_{τg}(vᵏ) a_{x^{k+1}};          a_{xᵏ} += a_v;  a_{y^{k+1}} −= τK a_v;   θ: −τ ∂⟨K a_v, y^{k+1}⟩
 * a_w = J_{σf*}(wᵏ) a_{y^{k+1}};         a_{yᵏ} += a_w;  a_x̄ = σKᵀa_w;            θ: σ ∂⟨K x̄ᵏ, a_w⟩ (+ ∂_θ⟨prox_{σf*_θ}(wᵏ), a_{y^{k+1}}⟩)
 * a_{xᵏ} += (1+ϑ) a_x̄;  a_{x^{k−1}} −= ϑ a_x̄
 * ```
 * Stores `2(dim x + dim y)` doubles per iteration (`lastStoredBytes`). The iterations run until
 * the lower-level certificate `max(ε_x, ε_y) ≤ ε` (or `iterations` when given). There is no
 * a-posteriori bound for unrolling: `bound` is `Infinity`.
 */
export class UnrolledOracle implements HypergradientOracle {
  private readonly o: z.output<typeof unrolledOptionsSchema>;
  private readonly pdhg: Pdhg;
  private readonly pK: number;
  /** Number of parameters. */
  readonly dimension: number;
  /** Number of training samples. */
  readonly numSamples: number;
  /** Bytes of iterates stored by the last solve (the tape). */
  lastStoredBytes = 0;

  constructor(options: UnrolledOptions) {
    this.o = parseOrThrow(unrolledOptionsSchema, options, 'UnrolledOracle options');
    // The tape records PDHG's prox inputs w, v: the generic composition keeps them.
    this.pdhg = new Pdhg({ ...this.o.steps, backend: 'js-f64' });
    this.pK = isParametricOperator(this.o.model.K) ? this.o.model.K.params.length : 0;
    this.dimension = this.o.model.params.length;
    this.numSamples = this.o.model.numSamples;
  }

  /** Loss only (forward pass without a tape). */
  loss(theta: Float64Array, batch: readonly number[], epsilon: number, warm?: WarmState): LossEstimate {
    applyQuery(this, this.o.model, theta, batch, { epsilon });
    const samples = batch.map((i) => this.solve(i, epsilon, warm?.get(i), false));
    return meanLoss(samples, batch, this.o.loss, shapeSize(this.o.model.K.domain), warm);
  }

  /** Loss and unrolled hypergradient (`bound = Infinity`). */
  evaluate(theta: Float64Array, batch: readonly number[], tol: Tolerances, warm?: WarmState): HypergradientEstimate {
    applyQuery(this, this.o.model, theta, batch, tol);
    const samples = batch.map((i) => this.solve(i, tol.epsilon, warm?.get(i), true) as SampleGradient);
    return meanGradient(samples, batch, this.o.loss, shapeSize(this.o.model.K.domain), warm);
  }

  private solve(i: number, epsilon: number, warm: SampleWarmState | undefined, differentiate: boolean) {
    const { model, loss } = this.o;
    const s = model.sample(i);
    const problem = saddleProblem(model, s);
    const start = warm?.x ? { x: warm.x, ...(warm.y ? { y: warm.y } : {}) } : s.x0 ? { x: s.x0 } : {};
    const state = this.pdhg.init(problem, start);
    const kind = state.work.steps.kind;
    const gw = state.work.generic!;
    if (kind !== 'plain' && kind !== 'linear') throw new ValidationError(`UnrolledOracle: needs constant PDHG steps, got '${kind}'`);
    const tape: Tape = { xbar: [], w: [], y: [], v: [], theta: [] };
    const n = state.x.length;
    const m = state.y.length;
    const ws = createSaddleCertificateWorkspace(problem);
    const fixed = this.o.iterations;
    const cap = fixed ?? this.o.maxIterations;
    let cert = saddleCertificate(problem, state.x, state.y, ws, { kx: gw.kx, kty: gw.kty, gap: false, cost: state.cost });
    let k = 0;
    while (k < cap && (fixed !== undefined || cert.distance > epsilon)) {
      if (differentiate) {
        const th = state.theta;
        const xbar = new Float64Array(n);
        for (let j = 0; j < n; j++) xbar[j] = state.x[j]! + th * (state.x[j]! - state.xPrev[j]!);
        tape.xbar.push(xbar);
        tape.theta.push(th);
      }
      this.pdhg.step(state);
      if (state.halt) throw new NumericalError(`UnrolledOracle: PDHG diverged on sample ${i}`);
      if (differentiate) {
        tape.w.push(Float64Array.from(state.w!));
        tape.y.push(Float64Array.from(state.y));
        tape.v.push(Float64Array.from(state.v!));
      }
      k++;
      if (fixed === undefined && k % this.o.certificateEvery === 0) {
        cert = saddleCertificate(problem, state.x, state.y, ws, { kx: gw.kx, kty: gw.kty, gap: false, cost: state.cost });
      }
    }
    cert = saddleCertificate(problem, state.x, state.y, ws, { kx: gw.kx, kty: gw.kty, gap: false, cost: state.cost });
    const gl = loss.gradient(state.x, s.target, new Float64Array(n));
    const base = {
      loss: loss.value(state.x, s.target),
      gradLossNorm: nrm2(n, gl),
      epsilon: cert.distance,
      // A fixed iteration count stops by design at its count; otherwise at the tolerance or the cap.
      stop: fixed === undefined && cert.distance <= epsilon ? ('converged' as const) : ('max-iterations' as const),
      cost: state.cost,
      warm: { x: Float64Array.from(state.x), y: Float64Array.from(state.y) },
    };
    if (!differentiate) return base;
    this.lastStoredBytes = 8 * k * 2 * (n + m);
    const gradient = this.reverse(problem, tape, state, gl, m, n);
    state.cost.adjointIterations += k;
    return { ...base, gradient, bound: Infinity, delta: 0 };
  }

  private reverse(problem: SaddleProblem, tape: Tape, state: PdhgState, gl: Float64Array, m: number, n: number): Float64Array {
    const { K, g, fStar } = problem;
    const tau = state.work.steps.tau;
    const sigma = state.work.steps.sigma;
    const grad = new Float64Array(this.dimension);
    const gK = grad.subarray(0, this.pK);
    const gF = grad.subarray(this.pK);
    const learnF = this.dimension > this.pK; // θ = [K.params, fStar.params] (see PiggybackOracle)
    const parametric = isParametricOperator(K) && this.pK > 0;
    let ax = Float64Array.from(gl); // a_{x^{k+1}}
    let axPrev = new Float64Array(n); // contribution to a_{x^k} from x̄^{k+1}
    const ay = new Float64Array(m); // a_{y^{k+1}}
    const av = new Float64Array(n);
    const aw = new Float64Array(m);
    const tmpM = new Float64Array(m);
    const tmpN = new Float64Array(n);
    for (let k = tape.w.length - 1; k >= 0; k--) {
      g.proxJvp(tape.v[k]!, tau, ax, av);
      // a_{x^k} starts from a_v (v^k = x^k − τKᵀy^{k+1}) plus the extrapolation term carried over.
      const axk = axPrev;
      for (let j = 0; j < n; j++) axk[j] = axk[j]! + av[j]!;
      K.apply(av, tmpM);
      for (let i = 0; i < m; i++) ay[i] = ay[i]! - tau * tmpM[i]!;
      if (parametric) K.paramVjp(av, tape.y[k]!, gK, -tau);
      fStar.proxJvp(tape.w[k]!, sigma, ay, aw);
      if (learnF) (fStar as unknown as LearnableFunctional).proxParamVjp!(tape.w[k]!, sigma, ay, gF, 1);
      if (parametric) K.paramVjp(tape.xbar[k]!, aw, gK, sigma);
      ay.set(aw); // a_{y^k} = a_w
      K.adjoint(aw, tmpN);
      const th = tape.theta[k]!;
      const next = ax; // reuse: becomes a_{x^{k-1}} accumulator
      for (let j = 0; j < n; j++) {
        const axbar = sigma * tmpN[j]!;
        axk[j] = axk[j]! + (1 + th) * axbar;
        next[j] = -th * axbar;
      }
      ax = axk;
      axPrev = next;
    }
    return grad;
  }
}
