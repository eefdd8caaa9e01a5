/**
 * MAID, the Method of Adaptive Inexact Descent (Salehi, Mukherjee, Roberts, Ehrhardt,
 * arXiv 2308.10098, Algorithms 3.1/3.2; docs/math/maid.md), and the MAID-based reconstruction of
 * the adaptive step-size method of arXiv 2412.06436
 * (docs/math/maid.md#the-adaptive-step-of-the-piggyback-paper).
 * @module
 */
import {
  addCost, nrm2, parseOrThrow, z, zeroCost,
  type HypergradientEstimate, type HypergradientOracle, type SampleWarmState,
} from '@bilevel/core';
import {
  baseStateShape, checkDimension, checkTheta, costFields, encodeBaseState, fullBatch, makeCheckpoint, mergeWarm, now,
  openCheckpoint, optionsSnapshot, projectSchema, toProjection, SolveStops,
} from './common.js';
import type { Projection } from './projection.js';
import type { Checkpoint, Optimizer, OptimizerState, StepRecord } from './types.js';

/**
 * Options of {@link maid} (and, with other defaults, of {@link adaptivePiggyback}).
 * Defaults are the MAID authors' (`MohammadSadeghSalehi/MAID`, `MAID.py` and its experiment
 * scripts); the third-party deepinv `MAIDConfig` values are listed for comparison only.
 */
export interface MaidOptions {
  /** Initial lower-level accuracy `ε₀` (default `0.1`: authors' constructor and scripts; deepinv: problem-specific). */
  readonly epsilon0?: number;
  /** Initial adjoint/CG accuracy `δ₀` (default `0.1`: authors). */
  readonly delta0?: number;
  /** Initial step `α₀` (default `0.01`: authors' TV/FoE/quadratic scripts; their constructor default is `0.1`). */
  readonly stepSize0?: number;
  /** Descent margin `η ∈ (0,1)` of the test `ω ≤ (1−η)‖z‖` (default `1e-4`: authors; deepinv `0.5`). */
  readonly eta?: number;
  /** Armijo fraction `λ ∈ (0, η)` (default `η²`: authors' convex-loss form; deepinv `0.1`). */
  readonly lambda?: number;
  /** Step shrink `ρ ∈ (0,1)` per rejected trial (default `0.5`: authors' scripts and deepinv; authors' constructor `0.9`). */
  readonly rho?: number;
  /** Step growth `ρ̄ > 1` after an accepted step (default `10/9`: authors, hard-coded; deepinv `1.2`). */
  readonly rhoBar?: number;
  /** Accuracy shrink `ν ∈ (0,1)` (default `0.5`: authors' `tau`, and deepinv). */
  readonly nu?: number;
  /** Accuracy growth `ν̄ > 1` after an accepted step (default `1.05`: authors' `nu`; `1.25` in their `Quadratic.py`; deepinv `1.1`). */
  readonly nuBar?: number;
  /** Backtracking budget `maxBT`: the `j`-th retry (`j = 0, 1, …`) tries `maxBT + j` points (default `10`: authors; deepinv `20`). */
  readonly maxBacktracks?: number;
  /** Line-search rounds per outer iteration, each after `ε, δ ← νε, νδ` (default `3`: authors' `max_bt_loop`). */
  readonly maxRetries?: number;
  /**
   * Cap on consecutive accuracy refinements by the descent test within one round (default `50`;
   * ours — the authors loop without a cap). When hit, the line search runs with the uncertified
   * direction; an accepted step is still a certified decrease of the exact loss.
   */
  readonly maxRefinements?: number;
  /**
   * Floor of `ε` (default `1e-12`; ours — the authors have none). Near a stationary point the
   * descent test keeps shrinking `ε`; the floor keeps the requested tolerances positive and
   * representable. A step that fails with `ε` and `δ` at their floors is recorded as `stalled`
   * (and `run` stops with reason `'breakdown'`).
   */
  readonly minEpsilon?: number;
  /** Floor of `δ` (default `1e-12`; ours, as `minEpsilon`). */
  readonly minDelta?: number;
  /**
   * Fixed-accuracy baseline (authors' `fixed_eps`): no descent test, no changes of `ε, δ`, one
   * line-search round of `maxBacktracks` trials (default `false`).
   */
  readonly fixedAccuracy?: boolean;
  /**
   * Accuracy of the trial solves: `'current'` = `ε_k` (authors' code, default) or `'grown'` =
   * `ν̄ ε_k` (the paper-style test `U↑(x̃⁺, ε_{k+1})`, docs/math/maid.md#the-algorithm-as-implemented).
   */
  readonly trialAccuracy?: 'current' | 'grown';
  /** Stop (record `converged`, no line search) when `‖z‖ ≤ gradTol` after the descent test (default 0: never). */
  readonly gradTol?: number;
  /** Projection hook(s) applied to every trial point (so an accepted point is feasible). */
  readonly project?: Projection | readonly Projection[];
}

/** {@link MaidOptions} with every default filled in. */
export interface ResolvedMaidOptions {
  /** `ε₀`. */ readonly epsilon0: number;
  /** `δ₀`. */ readonly delta0: number;
  /** `α₀`. */ readonly stepSize0: number;
  /** `η`. */ readonly eta: number;
  /** `λ`. */ readonly lambda: number;
  /** `ρ`. */ readonly rho: number;
  /** `ρ̄`. */ readonly rhoBar: number;
  /** `ν`. */ readonly nu: number;
  /** `ν̄`. */ readonly nuBar: number;
  /** `maxBT`. */ readonly maxBacktracks: number;
  /** Line-search rounds per iteration. */ readonly maxRetries: number;
  /** Refinement cap per round. */ readonly maxRefinements: number;
  /** Floor of `ε`. */ readonly minEpsilon: number;
  /** Floor of `δ`. */ readonly minDelta: number;
  /** Fixed-accuracy baseline. */ readonly fixedAccuracy: boolean;
  /** Trial-solve accuracy. */ readonly trialAccuracy: 'current' | 'grown';
  /** Gradient-norm tolerance. */ readonly gradTol: number;
  /** Projection hook(s). */ readonly project?: Projection | readonly Projection[];
}

/** State of {@link maid} / {@link adaptivePiggyback}. */
export interface MaidState extends OptimizerState {
  /** `'maid'` or `'adaptive-piggyback'`. */
  readonly method: 'maid' | 'adaptive-piggyback';
  /** Current lower-level accuracy `ε_k`. */
  epsilon: number;
  /** Current adjoint accuracy `δ_k`. */
  delta: number;
  /** Current initial step `α_k` of the next line search. */
  stepSize: number;
}

interface MaidDefaults {
  readonly stepSize0: number;
  readonly rho: number;
}

function maidSchema(d: MaidDefaults) {
  return z
    .strictObject({
      epsilon0: z.number().finite().positive('must be > 0').default(0.1),
      delta0: z.number().finite().positive('must be > 0').default(0.1),
      stepSize0: z.number().finite().positive('must be > 0 (a positive initial step)').default(d.stepSize0),
      eta: z.number().gt(0, 'must be in (0, 1)').lt(1, 'must be in (0, 1)').default(1e-4),
      lambda: z.number().finite().positive('must be in (0, eta)').optional(),
      rho: z.number().gt(0, 'shrink factor must be in (0, 1)').lt(1, 'shrink factor must be in (0, 1)').default(d.rho),
      rhoBar: z.number().finite().gt(1, 'growth factor must be > 1').default(10 / 9),
      nu: z.number().gt(0, 'shrink factor must be in (0, 1)').lt(1, 'shrink factor must be in (0, 1)').default(0.5),
      nuBar: z.number().finite().gt(1, 'growth factor must be > 1').default(1.05),
      maxBacktracks: z.number().int('must be an integer').positive('must be ≥ 1').default(10),
      maxRetries: z.number().int('must be an integer').positive('must be ≥ 1').default(3),
      maxRefinements: z.number().int('must be an integer').nonnegative('must be ≥ 0').default(50),
      minEpsilon: z.number().finite().positive('must be > 0').default(1e-12),
      minDelta: z.number().finite().positive('must be > 0').default(1e-12),
      fixedAccuracy: z.boolean().default(false),
      trialAccuracy: z.enum(['current', 'grown']).default('current'),
      gradTol: z.number().finite().nonnegative('must be ≥ 0').default(0),
      project: projectSchema,
    })
    .superRefine((v, ctx) => {
      const lambda = v.lambda ?? v.eta * v.eta;
      if (!(lambda < v.eta)) {
        ctx.addIssue({ code: 'custom', path: ['lambda'], message: `must be < eta (= ${v.eta}); the Armijo fraction needs 0 < lambda < eta` });
      }
      if (v.minEpsilon > v.epsilon0) ctx.addIssue({ code: 'custom', path: ['minEpsilon'], message: `must be ≤ epsilon0 (= ${v.epsilon0})` });
      if (v.minDelta > v.delta0) ctx.addIssue({ code: 'custom', path: ['minDelta'], message: `must be ≤ delta0 (= ${v.delta0})` });
    });
}

const stateSchema = z.strictObject({
  ...baseStateShape,
  epsilon: z.number().positive(),
  delta: z.number().positive(),
  stepSize: z.number().positive(),
});

function makeMaid(method: 'maid' | 'adaptive-piggyback', options: MaidOptions, defaults: MaidDefaults, what: string): Optimizer<MaidState, ResolvedMaidOptions> {
  const p = parseOrThrow(maidSchema(defaults), options, what);
  const o: ResolvedMaidOptions = { ...p, lambda: p.lambda ?? p.eta * p.eta };
  const project = toProjection(o.project);
  const snapshot = optionsSnapshot(method, o);
  let batch: number[] = [];
  let trial = new Float64Array(0);

  /** `ε, δ ← max(νε, ε_min), max(νδ, δ_min)`; false when both were already at their floors. */
  const shrink = (s: MaidState): boolean => {
    if (s.epsilon <= o.minEpsilon && s.delta <= o.minDelta) return false;
    s.epsilon = Math.max(o.nu * s.epsilon, o.minEpsilon);
    s.delta = Math.max(o.nu * s.delta, o.minDelta);
    return true;
  };

  const step = (oracle: HypergradientOracle, s: MaidState): StepRecord => {
    const t0 = now();
    const n = s.theta.length;
    checkDimension(s.theta, oracle.dimension, what);
    if (batch.length !== oracle.numSamples) batch = fullBatch(oracle.numSamples);
    if (trial.length !== n) trial = new Float64Array(n);
    const k = s.iteration;
    const theta = s.theta;
    let warm: ReadonlyMap<number, SampleWarmState> = s.warm;
    let est: HypergradientEstimate | undefined;
    let zNorm = 0;
    let epsReq = s.epsilon;
    let deltaReq = s.delta;
    let refinements = 0;
    let retries = 0;
    let backtracks = 0;
    let accepted = false;
    let converged = false;
    let descentCertified = true;
    let stalled = false;
    let alpha = s.stepSize;
    let trialLoss: number | undefined;
    let trialLossUpper: number | undefined;
    let acceptLower: number | undefined;
    const rounds = o.fixedAccuracy ? 1 : o.maxRetries;
    const stops = new SolveStops();

    for (let j = 0; j < rounds; j++) {
      // Algorithm 3.2: inexact hypergradient, tightened until it is a certified descent direction.
      for (let r = 0; ; r++) {
        epsReq = s.epsilon;
        deltaReq = s.delta;
        est = oracle.evaluate(theta, batch, { epsilon: epsReq, delta: deltaReq }, warm);
        addCost(s.cost, est.cost);
        stops.add(est);
        warm = mergeWarm(warm, est.warm);
        zNorm = nrm2(n, est.gradient);
        if (o.fixedAccuracy) break;
        descentCertified = est.bound <= (1 - o.eta) * zNorm;
        if (descentCertified || r >= o.maxRefinements || !shrink(s)) break;
        refinements++;
      }
      if (zNorm <= o.gradTol) {
        converged = true;
        break;
      }
      // Backtracking on inexact values with the oracle's certified bracket (Lemma 3.5 / Remark 3.6).
      const z0 = est!.gradient;
      const lower = est!.lossLower;
      acceptLower = lower;
      alpha = s.stepSize;
      const trials = o.maxBacktracks + (o.fixedAccuracy ? 0 : j);
      const epsTrial = o.trialAccuracy === 'grown' && !o.fixedAccuracy ? o.nuBar * s.epsilon : s.epsilon;
      for (let i = 0; i < trials; i++) {
        for (let q = 0; q < n; q++) trial[q] = theta[q]! - alpha * z0[q]!;
        let decrease: number;
        if (project) {
          project(trial);
          let d2 = 0;
          for (let q = 0; q < n; q++) d2 += (trial[q]! - theta[q]!) ** 2;
          decrease = (o.lambda / alpha) * d2;
        } else {
          decrease = o.lambda * alpha * zNorm * zNorm;
        }
        const le = oracle.loss(trial, batch, epsTrial, warm);
        addCost(s.cost, le.cost);
        stops.add(le);
        trialLoss = le.loss;
        trialLossUpper = le.lossUpper;
        if (le.lossUpper - lower + decrease <= 0) {
          accepted = true;
          theta.set(trial);
          warm = mergeWarm(warm, le.warm);
          break;
        }
        backtracks++;
        if (i < trials - 1) alpha *= o.rho;
      }
      if (accepted) {
        s.stepSize = o.rhoBar * alpha;
        if (!o.fixedAccuracy) {
          s.epsilon *= o.nuBar;
          s.delta *= o.nuBar;
        }
        break;
      }
      retries++;
      // Fixed accuracy, or ε, δ already at their floors: nothing left to tighten, so further
      // rounds (and iterations) would repeat the same trials.
      if (o.fixedAccuracy || !shrink(s)) {
        stalled = true;
        break;
      }
    }
    s.warm = warm as Map<number, SampleWarmState>;
    s.iteration = k + 1;
    const dt = now() - t0;
    s.elapsed += dt;
    const e = est!;
    const rec: StepRecord = {
      method, iteration: k, epoch: 0, batchSize: batch.length,
      loss: e.loss, lossLower: e.lossLower, lossUpper: e.lossUpper, gradNorm: zNorm, bound: e.bound,
      epsilon: epsReq, delta: deltaReq, certifiedEpsilon: e.epsilon, certifiedDelta: e.delta,
      stepSize: alpha, backtracks, refinements, retries, accepted, descentCertified, converged, stalled,
      ...(trialLoss !== undefined ? { trialLoss, trialLossUpper: trialLossUpper! } : {}),
      ...(acceptLower !== undefined ? { acceptLower } : {}),
      ...stops.fields(), ...costFields(s.cost), wallTime: s.elapsed, stepTime: dt,
    };
    return rec;
  };

  return {
    method,
    options: o,
    init(theta0) {
      return {
        method, theta: checkTheta(theta0, what), iteration: 0, cost: zeroCost(), warm: new Map(), elapsed: 0,
        epsilon: o.epsilon0, delta: o.delta0, stepSize: o.stepSize0,
      };
    },
    step,
    checkpoint(s): Checkpoint {
      return makeCheckpoint(method, snapshot, { ...encodeBaseState(s), epsilon: s.epsilon, delta: s.delta, stepSize: s.stepSize });
    },
    restore(c) {
      const st = parseOrThrow(stateSchema, openCheckpoint(c, method, snapshot), `${what}: checkpoint state`);
      return { method, ...st };
    },
  };
}

/**
 * MAID (arXiv 2308.10098, Alg. 3.1 with the inexact gradient of Alg. 3.2;
 * docs/math/maid.md#the-algorithm-as-implemented). One `step` is one outer iteration `k`, on the full batch:
 *
 * 1. **Inexact gradient** (Alg. 3.2): `z, ω ← oracle.evaluate(θ_k, ε_k, δ_k)` warm-started;
 *    while `ω > (1−η)‖z‖`: `ε_k, δ_k ← νε_k, νδ_k` and re-evaluate, warm-started from the
 *    previous solve. Then `⟨∇f, z⟩ ≥ η‖z‖²` (Lemma 3.8).
 * 2. **Backtracking on inexact values** (Lemma 3.5): trial `θ⁺ = P(θ_k − αz)` for
 *    `α = α_k, ρα_k, …` (`maxBT + j` trials in round `j`), each solved warm-started from the
 *    accepted state; accept when `U↑(θ⁺) − U↓(θ_k) + λα‖z‖² ≤ 0` with `U↑` the oracle's
 *    `lossUpper` at θ⁺ and `U↓` its `lossLower` at θ_k, used as given: the oracle returns the
 *    tightest valid bracket (the convex form `ℓ(x̃) − ‖∇ℓ(x̃)‖ε` for a convex loss). Since
 *    `U↑ ≥ f(θ⁺)` and `U↓ ≤ f(θ_k)`, every accepted step decreases the **exact** loss by at
 *    least `λα‖z‖²` (with projections: `(λ/α)‖θ⁺ − θ_k‖²`).
 * 3. **Success**: `α_{k+1} = ρ̄α`, `ε, δ ← ν̄ε, ν̄δ`, warm starts ← the trial's.
 *    **Failure** of a round: `ε, δ ← νε, νδ`, recompute the gradient and retry (at most
 *    `maxRetries` rounds); if every round fails, θ is unchanged (`accepted: false`).
 *
 * A rejected trial never touches the accepted warm state. Defaults are the authors'
 * (see {@link MaidOptions}); `fixedAccuracy: true` gives their fixed-accuracy baseline.
 */
export function maid(options: MaidOptions = {}): Optimizer<MaidState, ResolvedMaidOptions> {
  return makeMaid('maid', options, { stepSize0: 0.01, rho: 0.5 }, 'maid options');
}

/**
 * The adaptive step-size method of arXiv 2412.06436 (Bogensperger, Ehrhardt, Pock, Salehi,
 * Wong) for the piggyback oracle — **a reconstruction**: the paper's abstract says it
 * "propose[s] an adaptive method for choosing a suitable step-size" but its exact form is not
 * reproduced here; this is the MAID-based reconstruction of
 * docs/math/maid.md#the-adaptive-step-of-the-piggyback-paper, built from MAID's published
 * structure, Salehi's `MAID.py` and deepinv's `maid.py`.
 *
 * It is {@link maid} with these differences:
 * - the certificate is the piggyback bound (eq. (16) + cross term,
 *   docs/math/error-bound.md#the-reported-bound),
 *   supplied by the oracle; refinements continue PDHG and piggyback from their current iterates
 *   (the warm-started re-evaluation);
 * - `U↓` is the convex-loss form `ℓ(x̃) − ‖∇ℓ(x̃)‖ε` of the authors' code whenever the loss is
 *   convex — the oracle's `lossLower` (bracket `'convex'`), as for {@link maid};
 * - defaults are those of Salehi's `MAID.py` constructor (docs/math/maid.md#defaults):
 *   `α₀ = 0.1`, `ρ = 0.9`; the rest as MAID (`ε₀ = δ₀ = 0.1`, `η = 1e-4`, `λ = η²`, `ρ̄ = 10/9`,
 *   `ν = 0.5`, `ν̄ = 1.05`, 3 rounds of `10 + j` trials). The paper's own defaults are not known.
 */
export function adaptivePiggyback(options: MaidOptions = {}): Optimizer<MaidState, ResolvedMaidOptions> {
  return makeMaid('adaptive-piggyback', options, { stepSize0: 0.1, rho: 0.9 }, 'adaptivePiggyback options');
}
