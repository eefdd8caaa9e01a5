/**
 * The implicit hypergradient of a smooth strongly convex lower level with the MAID a-posteriori
 * error bound (Salehi, Mukherjee, Roberts, Ehrhardt, arXiv 2308.10098, Theorem 2.1;
 * docs/math/implicit.md#the-implicit-function-theorem, docs/math/implicit.md#the-inexact-computation,
 * docs/math/implicit.md#maids-bound-theorem-21).
 * @module
 */
import {
  NumericalError,
  addCost,
  anyOf,
  cg,
  maxIterations,
  nrm2,
  parseOrThrow,
  positiveInt,
  powerIteration,
  run,
  shapeSize,
  z,
  zeroCost,
  type HypergradientEstimate,
  type HypergradientOracle,
  type LinearOperator,
  type LossEstimate,
  type SampleWarmState,
  type SmoothBoundConstants,
  type SmoothModel,
  type Tolerances,
  type Vec,
  type WarmState,
} from '@bilevel/core';
import { Fista, smoothTolerance, type SmoothState } from '@bilevel/solvers';
import { applyQuery, meanGradient, meanLoss, type SampleGradient, type SampleLoss } from './batch.js';
import { lossOption } from './options.js';

/** zod schema of the options of {@link ImplicitOracle} (unknown keys are rejected). */
export const implicitOptionsSchema = z.strictObject({
  /** The learnable smooth model (all samples share θ). */
  model: z.custom<SmoothModel>((m) => typeof m === 'object' && m !== null && 'sample' in m, 'must be a SmoothModel'),
  /** The upper-level loss. */
  loss: lossOption,
  /** Check `‖∇h‖/μ ≤ ε` every `m` FISTA iterations (default 5). */
  certificateEvery: positiveInt.default(5),
  /** FISTA iteration cap per solve (default 20000; the bound stays a-posteriori). */
  maxIterations: positiveInt.default(20_000),
  /** CG iteration cap per solve (default 2000, as in the MAID code). */
  maxCgIterations: positiveInt.default(2000),
  /** Power iterations for `‖B‖` when the model gives no constants (default 30). */
  powerIterations: positiveInt.default(30),
});

/** Options of {@link ImplicitOracle}. */
export type ImplicitOptions = z.input<typeof implicitOptionsSchema>;

/**
 * MAID's bound (Theorem 2.1): with `‖x̃ − x̂‖ ≤ ε` and `‖A q − ∇ℓ(x̃)‖ ≤ δ`,
 * `‖z − ∇L‖ ≤ (L_ℓ‖B‖/μ + L_{A⁻¹}‖∇ℓ‖‖B‖ + L_B‖∇ℓ‖/μ) ε + ‖B‖δ/μ + L_B L_ℓ ε²/μ`.
 * Terms `0·∞` count as 0.
 */
export function implicitHypergradientBound(
  c: Pick<SmoothBoundConstants, 'normB' | 'lipB' | 'lipAInv'>,
  mu: number,
  lipLoss: number,
  gradLossNorm: number,
  epsilon: number,
  delta: number,
): number {
  const mul = (a: number, b: number): number => (a === 0 || b === 0 ? 0 : a * b);
  const first = mul(lipLoss * c.normB, 1 / mu) + mul(c.lipAInv, gradLossNorm * c.normB) + mul(c.lipB, gradLossNorm / mu);
  return mul(first, epsilon) + mul(c.normB / mu, delta) + mul((c.lipB * lipLoss) / mu, epsilon * epsilon);
}

/**
 * Implicit-differentiation oracle for a {@link SmoothModel}: per sample, FISTA (warm-started) to
 * `‖∇h(x̃)‖/μ ≤ ε`; CG (warm-started from the previous `q`) on `A q = ∇ℓ(x̃)`, `A = ∇²ₓₓh(x̃)`, to
 * the absolute residual `δ`; `z = −Bᵀq` through the model's mixed derivative; and the MAID bound
 * from the certified `ε` and the *true* CG residual.
 *
 * The bound's constants come from `sample.boundConstants(x̃, ε)` when the model provides them
 * (certified for the built-in regularizers); otherwise `‖B‖` is estimated by power iteration on
 * `BᵀB` (an estimate, ×1.01) and `L_B`, `L_{A⁻¹}` are unknown, so the bound is `Infinity` unless
 * both vanish (the model must then say so through `boundConstants`).
 *
 * A lower level with no certified strong convexity (`h.strongConvexity ≤ 0`: non-convex experts,
 * docs/math/regularizers.md#non-convex-experts) is solved to stationarity `‖∇h(x̃)‖ ≤ ε` and
 * differentiated there — the implicit function theorem holds at a strict local minimiser, where
 * `∇²h ≻ 0` and CG runs — with the bound `Infinity`.
 */
export class ImplicitOracle implements HypergradientOracle {
  private readonly o: z.output<typeof implicitOptionsSchema>;
  private readonly fista = new Fista();
  /** Number of parameters. */
  readonly dimension: number;
  /** Number of training samples. */
  readonly numSamples: number;
  /** Whether the last bound used certified constants. */
  boundCertified = true;

  constructor(options: ImplicitOptions) {
    this.o = parseOrThrow(implicitOptionsSchema, options, 'ImplicitOracle options');
    this.dimension = this.o.model.params.length;
    this.numSamples = this.o.model.numSamples;
  }

  /** Loss only: FISTA to `‖∇h‖/μ ≤ ε`, warm-started. */
  loss(theta: Float64Array, batch: readonly number[], epsilon: number, warm?: WarmState): LossEstimate {
    applyQuery(this, this.o.model, theta, batch, { epsilon });
    const samples = batch.map((i) => this.solveLower(i, epsilon, warm?.get(i)).result);
    return meanLoss(samples, batch, this.o.loss, this.n(batch[0]!), warm);
  }

  /** Loss, implicit hypergradient and MAID bound. */
  evaluate(theta: Float64Array, batch: readonly number[], tol: Tolerances, warm?: WarmState): HypergradientEstimate {
    applyQuery(this, this.o.model, theta, batch, tol);
    const samples = batch.map((i) => this.solveSample(i, tol, warm?.get(i)));
    return meanGradient(samples, batch, this.o.loss, this.n(batch[0]!), warm);
  }

  private n(i: number): number {
    return shapeSize(this.o.model.sample(i).h.shape);
  }

  private solveLower(i: number, epsilon: number, warm: SampleWarmState | undefined): { result: SampleLoss; state: SmoothState; gl: Vec } {
    const sample = this.o.model.sample(i);
    const h = sample.h;
    const start = warm?.x ?? sample.x0;
    const state = this.fista.init({ h }, start ? { x: start } : undefined);
    const r = run(this.fista, state, {
      stop: anyOf(smoothTolerance(h, epsilon), maxIterations(this.o.maxIterations)),
      certificateEvery: this.o.certificateEvery,
    });
    if (r.reason === 'diverged' || r.reason === 'breakdown') {
      throw new NumericalError(`ImplicitOracle: the lower-level solve of sample ${i} stopped with '${r.reason}' (θ may be out of range)`);
    }
    const x = state.x;
    const gl = this.o.loss.gradient(x, sample.target, new Float64Array(x.length));
    const loss = this.o.loss.value(x, sample.target);
    if (!Number.isFinite(loss)) throw new NumericalError(`ImplicitOracle: loss of sample ${i} is ${loss}`);
    const warmOut: Record<string, Float64Array> = { x: Float64Array.from(x) };
    if (warm?.q) warmOut.q = Float64Array.from(warm.q);
    return {
      result: { loss, gradLossNorm: nrm2(x.length, gl), epsilon: r.certificate.distance, stop: r.reason, cost: state.cost, warm: warmOut },
      state,
      gl,
    };
  }

  private solveSample(i: number, tol: Tolerances, warm: SampleWarmState | undefined): SampleGradient {
    const { result, state, gl } = this.solveLower(i, tol.epsilon, warm);
    const sample = this.o.model.sample(i);
    const h = sample.h;
    const x = state.x;
    const n = x.length;
    const cost = zeroCost();
    addCost(cost, result.cost);
    const hv = (v: Vec, out: Vec): Vec => h.hvp(x, v, out);
    const mu = h.strongConvexity;
    const sol = cg(hv, gl, {
      atol: tol.delta,
      rtol: 0,
      maxIterations: this.o.maxCgIterations,
      ...(mu > 0 ? { mu } : {}),
      ...(warm?.q && warm.q.length === n ? { x0: warm.q } : {}),
    });
    cost.hvp += sol.cost.apply;
    cost.cgIterations += sol.iterations;
    const gradient = new Float64Array(this.dimension);
    h.mixedVjp(x, sol.x, gradient, -1);
    // Without strong convexity (a non-convex lower level) nothing bounds the error: x̃ is only stationary.
    let bound = Infinity;
    if (mu > 0) {
      const constants = this.constants(sample, x, result.epsilon, cost);
      bound = implicitHypergradientBound(constants, mu, this.o.loss.lipschitz(n), result.gradLossNorm, result.epsilon, sol.residual);
    } else this.boundCertified = false;
    return {
      ...result,
      // The lower level's reason first; then the adjoint CG's (its cap or a breakdown).
      stop: result.stop === 'converged' ? sol.reason : result.stop,
      cost,
      warm: { x: Float64Array.from(x), q: Float64Array.from(sol.x) },
      gradient,
      bound,
      delta: sol.residual,
    };
  }

  private constants(sample: ReturnType<SmoothModel['sample']>, x: Vec, radius: number, cost: ReturnType<typeof zeroCost>): SmoothBoundConstants {
    if (sample.boundConstants) {
      const c = sample.boundConstants(x, radius);
      this.boundCertified = c.certified;
      return c;
    }
    this.boundCertified = false;
    return { normB: 1.01 * this.estimateNormB(sample.h, x, cost), lipB: Infinity, lipAInv: Infinity, certified: false };
  }

  /**
   * `‖B‖` by the seeded power iteration of core on `BᵀB` (`B·dθ` = mixedJvp, `Bᵀq` = mixedVjp),
   * at most `powerIterations` rounds; an estimate from below. Each product is counted as an `hvp`.
   */
  private estimateNormB(h: ReturnType<SmoothModel['sample']>['h'], x: Vec, cost: ReturnType<typeof zeroCost>): number {
    const B: LinearOperator = {
      domain: [this.dimension],
      range: [x.length],
      apply: (dTheta, out) => {
        cost.hvp++;
        return h.mixedJvp(x, dTheta, out);
      },
      adjoint: (q, out) => {
        cost.hvp++;
        h.mixedVjp(x, q, out.fill(0), 1);
        return out;
      },
    };
    return powerIteration(B, { maxIter: this.o.powerIterations }).value;
  }
}
