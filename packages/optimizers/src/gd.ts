/**
 * Inexact gradient descent with a fixed step and fixed tolerances: the baseline the adaptive
 * methods are compared with (the "fixed accuracy" curves of arXiv 2308.10098;
 * docs/math/maid.md#the-algorithm-as-implemented).
 * @module
 */
import { addCost, nrm2, parseOrThrow, z, zeroCost, type HypergradientOracle } from '@bilevel/core';
import {
  baseStateShape, checkDimension, checkTheta, costFields, encodeBaseState, fullBatch, makeCheckpoint, mergeWarm, now,
  openCheckpoint, optionsSnapshot, projectSchema, toProjection,
} from './common.js';
import type { Projection } from './projection.js';
import type { Checkpoint, Optimizer, OptimizerState, StepRecord } from './types.js';

/** Options of {@link gradientDescent}. */
export interface GradientDescentOptions {
  /** Fixed step `α > 0` (required: there is no problem-independent default). */
  readonly stepSize: number;
  /** Fixed lower-level tolerance `ε` (default `1e-3`, one of the fixed accuracies of the MAID experiments). */
  readonly epsilon?: number;
  /** Fixed adjoint/CG tolerance `δ` (default: equal to `epsilon`). */
  readonly delta?: number;
  /** Stop (record `converged`, θ unchanged) when `‖z‖ ≤ gradTol` (default 0: never). */
  readonly gradTol?: number;
  /** Projection hook(s) applied after each update. */
  readonly project?: Projection | readonly Projection[];
}

/** {@link GradientDescentOptions} with defaults filled in. */
export interface ResolvedGradientDescentOptions {
  /** Fixed step `α`. */
  readonly stepSize: number;
  /** Fixed lower-level tolerance `ε`. */
  readonly epsilon: number;
  /** Fixed adjoint tolerance `δ`. */
  readonly delta: number;
  /** Gradient-norm tolerance. */
  readonly gradTol: number;
  /** Projection hook(s). */
  readonly project?: Projection | readonly Projection[];
}

/** State of {@link gradientDescent}. */
export interface GradientDescentState extends OptimizerState {
  /** Always `'gd'`. */
  readonly method: 'gd';
}

const schema = z.strictObject({
  stepSize: z.number().finite().positive('must be > 0 (a positive step size)'),
  epsilon: z.number().finite().positive('must be > 0').default(1e-3),
  delta: z.number().finite().positive('must be > 0').optional(),
  gradTol: z.number().finite().nonnegative('must be ≥ 0').default(0),
  project: projectSchema,
});

/**
 * Inexact gradient descent `θ_{k+1} = P(θ_k − α z_k)`, where `z_k` is the oracle's
 * hypergradient on the full batch at fixed tolerances `(ε, δ)` and `P` the projection hooks.
 * No certificate is used: with a step above `2/L_f` it diverges, with loose tolerances it
 * stalls at the bias floor `O(ω(ε, δ))` — which is what MAID fixes.
 */
export function gradientDescent(options: GradientDescentOptions): Optimizer<GradientDescentState, ResolvedGradientDescentOptions> {
  const parsed = parseOrThrow(schema, options, 'gradientDescent options');
  const opts: ResolvedGradientDescentOptions = { ...parsed, delta: parsed.delta ?? parsed.epsilon };
  const project = toProjection(opts.project);
  const snapshot = optionsSnapshot('gd', opts);
  let batchCache: number[] = [];
  const stateSchema = z.strictObject(baseStateShape);

  return {
    method: 'gd',
    options: opts,
    init(theta0) {
      return { method: 'gd', theta: checkTheta(theta0, 'gradientDescent'), iteration: 0, cost: zeroCost(), warm: new Map(), elapsed: 0 };
    },
    step(oracle: HypergradientOracle, s) {
      const t0 = now();
      checkDimension(s.theta, oracle.dimension, 'gradientDescent');
      if (batchCache.length !== oracle.numSamples) batchCache = fullBatch(oracle.numSamples);
      const k = s.iteration;
      const est = oracle.evaluate(s.theta, batchCache, { epsilon: opts.epsilon, delta: opts.delta }, s.warm);
      addCost(s.cost, est.cost);
      s.warm = mergeWarm(s.warm, est.warm);
      const n = s.theta.length;
      const zNorm = nrm2(n, est.gradient);
      const converged = zNorm <= opts.gradTol;
      if (!converged) {
        const th = s.theta;
        const g = est.gradient;
        for (let i = 0; i < n; i++) th[i] = th[i]! - opts.stepSize * g[i]!;
        project?.(th);
      }
      s.iteration = k + 1;
      const dt = now() - t0;
      s.elapsed += dt;
      const rec: StepRecord = {
        method: 'gd', iteration: k, epoch: 0, batchSize: batchCache.length,
        loss: est.loss, lossLower: est.lossLower, lossUpper: est.lossUpper, gradNorm: zNorm, bound: est.bound,
        epsilon: opts.epsilon, delta: opts.delta, certifiedEpsilon: est.epsilon, certifiedDelta: est.delta,
        stepSize: opts.stepSize, backtracks: 0, refinements: 0, retries: 0, accepted: !converged, descentCertified: true, stalled: false,
        converged, solveStop: est.stop, cappedSolves: est.capped, ...costFields(s.cost), wallTime: s.elapsed, stepTime: dt,
      };
      return rec;
    },
    checkpoint(s): Checkpoint {
      return makeCheckpoint('gd', snapshot, encodeBaseState(s));
    },
    restore(c) {
      const st = parseOrThrow(stateSchema, openCheckpoint(c, 'gd', snapshot), 'gradientDescent checkpoint state');
      return { method: 'gd', ...st };
    },
  };
}
