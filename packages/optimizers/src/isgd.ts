/**
 * Inexact stochastic gradient descent and Adam for bilevel learning (Salehi, Mukherjee,
 * Roberts, Ehrhardt, arXiv 2412.12049, SSVM 2025; Adam per the successor arXiv 2511.06774;
 * docs/math/inexact-sgd.md).
 * @module
 */
import {
  Rng, ValidationError, addCost, nrm2, parseOrThrow, z, zeroCost, type HypergradientOracle,
} from '@bilevel/core';
import {
  baseStateShape, checkDimension, checkTheta, costFields, encodeBaseState, makeCheckpoint, mergeWarm, now,
  openCheckpoint, optionsSnapshot, projectSchema, toProjection,
} from './common.js';
import type { Projection } from './projection.js';
import { constantSchedule, scheduleSchema, scheduleValue, type Schedule } from './schedule.js';
import type { Checkpoint, Optimizer, OptimizerState, StepRecord } from './types.js';

/**
 * How the adjoint/CG tolerance `δ_k` follows the accuracy schedule:
 * - `proportional`: `δ_k = ratio · ε_k` (default, ratio 1 — the ISGD repository's MAID mode
 *   sets both tolerances to `ε`; with `δ ∝ ε` the bound of arXiv 2308.10098 Theorem 2.1 is
 *   `O(ε_k)`, which the convergence theory needs: docs/math/inexact-sgd.md#why-the-accuracy-must-decrease);
 * - `constant`: `δ_k = value` (the authors' ISGD mode keeps the CG tolerance at its default 0.1
 *   and schedules only `ε`; this leaves a bias floor).
 */
export type DeltaRule =
  | { readonly kind: 'proportional'; readonly ratio: number }
  | { readonly kind: 'constant'; readonly value: number };

/** Options of {@link isgd} and {@link iadam}. */
export interface IsgdOptions {
  /** Update rule: plain SGD `θ ← θ − α_k z_k` (default) or Adam on the inexact hypergradients. */
  readonly update?: 'sgd' | 'adam';
  /**
   * Initial step `α₀ > 0` (required; problem-scaled: the authors' code uses `2e-4`, their
   * figures `1e-6 … 1e-4` for FoE denoising of `[0,1]` images).
   */
  readonly stepSize0: number;
  /** Step schedule `α_k = α₀ s(k)` (default constant; `{kind:'poly', exponent: q}` gives `α₀(k+1)^−q`). */
  readonly stepSchedule?: Schedule;
  /** Initial lower-level accuracy `ε₀ > 0` (required; the authors' code uses `10` for unnormalised FoE losses). */
  readonly epsilon0: number;
  /** Accuracy schedule `ε_k = ε₀ s(k)` (default constant; `{kind:'poly', exponent: p}` gives `ε₀(k+1)^−p`). */
  readonly accuracySchedule?: Schedule;
  /** The adjoint tolerance rule (default `{kind: 'proportional', ratio: 1}`, i.e. `δ_k = ε_k`). */
  readonly delta?: DeltaRule;
  /** Minibatch size `b` (required, `1 ≤ b ≤ numSamples`). */
  readonly batchSize: number;
  /**
   * Drop the last incomplete minibatch of each epoch (default `true`, as the authors'
   * `DataLoader(drop_last=True)`); otherwise the last batch is smaller.
   */
  readonly dropLast?: boolean;
  /** Seed of the minibatch sampler (default 0). Each epoch is a fresh seeded permutation. */
  readonly seed?: number;
  /** Adam `β₁` (default 0.9, the PyTorch default the authors' `IAdam` inherits). */
  readonly beta1?: number;
  /** Adam `β₂` (default 0.999, PyTorch default). */
  readonly beta2?: number;
  /** Adam denominator offset (default `1e-8`, PyTorch default). */
  readonly adamEpsilon?: number;
  /** Record `converged` and skip the update when the minibatch `‖z‖ ≤ gradTol` (default 0: never). */
  readonly gradTol?: number;
  /** Projection hook(s) applied after every update (e.g. zero-mean FoE filters, as the authors' code). */
  readonly project?: Projection | readonly Projection[];
}

/** {@link IsgdOptions} with defaults filled in. */
export interface ResolvedIsgdOptions {
  /** Update rule. */ readonly update: 'sgd' | 'adam';
  /** `α₀`. */ readonly stepSize0: number;
  /** Step schedule. */ readonly stepSchedule: Schedule;
  /** `ε₀`. */ readonly epsilon0: number;
  /** Accuracy schedule. */ readonly accuracySchedule: Schedule;
  /** `δ` rule. */ readonly delta: DeltaRule;
  /** `b`. */ readonly batchSize: number;
  /** Drop incomplete batches. */ readonly dropLast: boolean;
  /** Sampler seed. */ readonly seed: number;
  /** Adam `β₁`. */ readonly beta1: number;
  /** Adam `β₂`. */ readonly beta2: number;
  /** Adam offset. */ readonly adamEpsilon: number;
  /** Gradient-norm tolerance. */ readonly gradTol: number;
  /** Projection hook(s). */ readonly project?: Projection | readonly Projection[];
}

/** State of {@link isgd} / {@link iadam}. */
export interface IsgdState extends OptimizerState {
  /** `'isgd'` or `'iadam'`. */
  readonly method: 'isgd' | 'iadam';
  /** Seeded minibatch sampler (its `state()` is checkpointed). */
  rng: Rng;
  /** Sample order of the current epoch (empty before the first step). */
  permutation: number[];
  /** Position of the next minibatch in `permutation`. */
  position: number;
  /** Current epoch (0-based). */
  epoch: number;
  /** Adam first moment `m` (length 0 for SGD). */
  readonly m: Float64Array;
  /** Adam second moment `v` (length 0 for SGD). */
  readonly v: Float64Array;
}

const positiveNum = (msg: string) => z.number().finite().positive(msg);
const schema = z.strictObject({
  update: z.enum(['sgd', 'adam']).default('sgd'),
  stepSize0: positiveNum('must be > 0 (a positive step size)'),
  stepSchedule: scheduleSchema.default(constantSchedule),
  epsilon0: positiveNum('must be > 0'),
  accuracySchedule: scheduleSchema.default(constantSchedule),
  delta: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('proportional'), ratio: positiveNum('must be > 0') }),
      z.strictObject({ kind: z.literal('constant'), value: positiveNum('must be > 0') }),
    ])
    .default({ kind: 'proportional', ratio: 1 }),
  batchSize: z.number().int('must be an integer').positive('must be ≥ 1'),
  dropLast: z.boolean().default(true),
  seed: z.number().int('must be an integer').default(0),
  beta1: z.number().gte(0, 'must be in [0, 1)').lt(1, 'must be in [0, 1)').default(0.9),
  beta2: z.number().gte(0, 'must be in [0, 1)').lt(1, 'must be in [0, 1)').default(0.999),
  adamEpsilon: positiveNum('must be > 0').default(1e-8),
  gradTol: z.number().finite().nonnegative('must be ≥ 0').default(0),
  project: projectSchema,
});

const rngStateSchema = z.strictObject({ words: z.array(z.number()), spareNormal: z.number().nullable() });
const stateSchema = z.strictObject({
  ...baseStateShape,
  rng: rngStateSchema,
  permutation: z.array(z.number().int().nonnegative()),
  position: z.number().int().nonnegative(),
  epoch: z.number().int().nonnegative(),
  m: z.instanceof(Float64Array),
  v: z.instanceof(Float64Array),
});

function makeIsgd(method: 'isgd' | 'iadam', options: IsgdOptions, what: string): Optimizer<IsgdState, ResolvedIsgdOptions> {
  const o: ResolvedIsgdOptions = parseOrThrow(schema, options, what);
  const project = toProjection(o.project);
  const snapshot = optionsSnapshot(method, o);
  const adam = o.update === 'adam';

  const nextBatch = (s: IsgdState, numSamples: number): number[] => {
    const b = o.batchSize;
    if (b > numSamples) throw new ValidationError(`${what}: batchSize: ${b} exceeds the oracle's numSamples ${numSamples}`);
    if (s.permutation.length !== 0 && s.permutation.length !== numSamples) {
      throw new ValidationError(`${what}: the oracle has ${numSamples} samples but the state's epoch permutation has ${s.permutation.length}`);
    }
    const need = o.dropLast ? b : 1;
    if (s.permutation.length === 0 || s.position + need > numSamples) {
      if (s.permutation.length !== 0) s.epoch++;
      s.permutation = s.rng.permutation(numSamples);
      s.position = 0;
    }
    const end = Math.min(s.position + b, numSamples);
    const batch = s.permutation.slice(s.position, end);
    s.position = end;
    return batch;
  };

  return {
    method,
    options: o,
    init(theta0) {
      const theta = checkTheta(theta0, what);
      const nm = adam ? theta.length : 0;
      return {
        method, theta, iteration: 0, cost: zeroCost(), warm: new Map(), elapsed: 0,
        rng: Rng.seeded(o.seed), permutation: [], position: 0, epoch: 0,
        m: new Float64Array(nm), v: new Float64Array(nm),
      };
    },
    step(oracle: HypergradientOracle, s): StepRecord {
      const t0 = now();
      const n = s.theta.length;
      checkDimension(s.theta, oracle.dimension, what);
      const k = s.iteration;
      const alpha = scheduleValue(o.stepSize0, o.stepSchedule, k);
      const epsilon = scheduleValue(o.epsilon0, o.accuracySchedule, k);
      const delta = o.delta.kind === 'proportional' ? o.delta.ratio * epsilon : o.delta.value;
      const batch = nextBatch(s, oracle.numSamples);
      const epoch = s.epoch;
      const est = oracle.evaluate(s.theta, batch, { epsilon, delta }, s.warm);
      addCost(s.cost, est.cost);
      s.warm = mergeWarm(s.warm, est.warm);
      const g = est.gradient;
      const zNorm = nrm2(n, g);
      const converged = zNorm <= o.gradTol;
      const th = s.theta;
      if (!converged) {
        if (adam) {
          const { beta1: b1, beta2: b2, adamEpsilon: eps } = o;
          const t = k + 1;
          const c1 = 1 - Math.pow(b1, t);
          const c2 = 1 - Math.pow(b2, t);
          const m = s.m;
          const v = s.v;
          for (let i = 0; i < n; i++) {
            const gi = g[i]!;
            m[i] = b1 * m[i]! + (1 - b1) * gi;
            v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
            th[i] = th[i]! - (alpha * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
          }
        } else {
          for (let i = 0; i < n; i++) th[i] = th[i]! - alpha * g[i]!;
        }
        project?.(th);
      }
      s.iteration = k + 1;
      const dt = now() - t0;
      s.elapsed += dt;
      return {
        method, iteration: k, epoch, batchSize: batch.length,
        loss: est.loss, lossLower: est.lossLower, lossUpper: est.lossUpper, gradNorm: zNorm, bound: est.bound,
        epsilon, delta, certifiedEpsilon: est.epsilon, certifiedDelta: est.delta,
        stepSize: alpha, backtracks: 0, refinements: 0, retries: 0, accepted: !converged, descentCertified: true, stalled: false, converged,
        solveStop: est.stop, cappedSolves: est.capped, ...costFields(s.cost), wallTime: s.elapsed, stepTime: dt,
      };
    },
    checkpoint(s): Checkpoint {
      return makeCheckpoint(method, snapshot, {
        ...encodeBaseState(s), rng: s.rng.state(), permutation: s.permutation, position: s.position, epoch: s.epoch, m: s.m, v: s.v,
      });
    },
    restore(c) {
      const st = parseOrThrow(stateSchema, openCheckpoint(c, method, snapshot), `${what}: checkpoint state`);
      const nm = adam ? st.theta.length : 0;
      if (st.m.length !== nm || st.v.length !== nm) throw new ValidationError(`${what}: checkpoint moments have length ${st.m.length}, expected ${nm}`);
      return { method, ...st, rng: Rng.fromState(st.rng) };
    },
  };
}

/**
 * Inexact stochastic gradient descent (ISGD, arXiv 2412.12049; the authors' `train.py`):
 * at iteration `k`, draw the next minibatch `S_k` (sampling without replacement; a fresh seeded
 * permutation each epoch), evaluate the inexact hypergradient
 * `z_k = (1/|S_k|) Σ_{i∈S_k} z_i(θ_k)` at accuracy `ε_k = ε₀ s_ε(k)`, `δ_k` (see {@link DeltaRule}),
 * warm-started per sample from the last solve of that sample, and update
 * `θ_{k+1} = P(θ_k − α_k z_k)` with `α_k = α₀ s_α(k)` (see {@link Schedule}).
 *
 * Theory (docs/math/inexact-sgd.md#why-the-accuracy-must-decrease, biased-SGD analysis): with a
 * uniformly bounded error `‖e‖ ≤ ω̄(ε) = O(ε)` (δ ∝ ε), a constant step leaves a floor
 * `∝ ω̄(ε)²`; `Σα_k = ∞`, `Σα_k² < ∞`, `Σα_k ω̄(ε_k)² < ∞` give `liminf E‖∇f(θ_k)‖ → 0`, and
 * `α_k ∼ k^−1/2`, `ε_k ∼ k^−1/4` give `E‖∇f‖ = Õ(k^−1/4)`. Decreasing steps remove the
 * instability of too-large constant steps (the paper's Fig. "ISGD DS").
 */
export function isgd(options: IsgdOptions): Optimizer<IsgdState, ResolvedIsgdOptions> {
  return makeIsgd(options.update === 'adam' ? 'iadam' : 'isgd', options, 'isgd options');
}

/**
 * Adam on inexact stochastic hypergradients (`IAdam` of the authors' ISGD code; arXiv
 * 2511.06774: "Adam-type preconditioning further boosts performance"): ISGD's sampling,
 * schedules and warm starts, with the update (Kingma & Ba 2015, bias-corrected)
 * `m ← β₁m + (1−β₁)z`, `v ← β₂v + (1−β₂)z²`,
 * `θ ← P(θ − α_k (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ϵ))`, `t = k + 1`.
 */
export function iadam(options: Omit<IsgdOptions, 'update'>): Optimizer<IsgdState, ResolvedIsgdOptions> {
  return makeIsgd('iadam', { ...options, update: 'adam' }, 'iadam options');
}
