/**
 * The parallel hypergradient oracle: the `HypergradientOracle` of a {@link SampleProblem} whose
 * per-sample work runs on an engine (`inline`, `threads`, `redis`) and whose batch means are
 * reduced here, in batch order, by the reducers of `@bilevel/hypergrad` — the arithmetic of a
 * batch evaluation — so θ trajectories, logs and checkpoints are bit-identical for every engine
 * and every number of workers.
 * @module
 */
import {
  ValidationError,
  parseOrThrow,
  z,
  type HypergradientEstimate,
  type HypergradientOracle,
  type LossBracket,
  type LossEstimate,
  type SampleWarmState,
  type Tolerances,
  type WarmState,
} from '@bilevel/core';
import { reduceGradient, reduceLoss, validateQuery, validateTolerances, type SampleGradientEstimate } from '@bilevel/hypergrad';
import type { DispatchResult } from './dispatch.js';
import { BridgedEngine, InlineEngine, defaultWorkers, type SampleEngine } from './engine.js';
import { digest } from './frame.js';
import { encodeProblem, parseSampleProblem, problemId, type SampleProblem } from './problem.js';
import { redisOptionsSchema, type RedisOptions } from './redis-options.js';
import { ParallelStats } from './stats.js';
import { COMPUTE_VERSION, taskId, type SampleTask } from './task.js';

/** Where per-sample work runs, validated (defaults filled in). */
export interface ResolvedComputeOptions {
  /** `inline` (this thread), `threads` (worker threads, piscina) or `redis` (BullMQ workers anywhere). */
  readonly engine: 'inline' | 'threads' | 'redis';
  /** Worker threads of the `threads` engine (default: one per core). */
  readonly workers?: number;
  /** Connection of the `redis` engine. */
  readonly redis?: RedisOptions;
}

/** Where per-sample work runs (see {@link ResolvedComputeOptions}; `engine` defaults to `threads`). */
export type ComputeOptions = Omit<ResolvedComputeOptions, 'engine'> & { readonly engine?: ResolvedComputeOptions['engine'] };

/** zod schema of {@link ComputeOptions} (unknown keys are rejected). */
export const computeOptionsSchema: z.ZodType<ResolvedComputeOptions, ComputeOptions> = z.strictObject({
  /** `inline` (this thread), `threads` (worker threads, piscina) or `redis` (BullMQ workers anywhere). */
  engine: z.enum(['inline', 'threads', 'redis']).default('threads'),
  /** Worker threads of the `threads` engine (default: one per core, at most one per sample). */
  workers: z.number().int().positive().optional(),
  /** Connection and timing of the `redis` engine. */
  redis: redisOptionsSchema.optional(),
});

/** Options of {@link ParallelOracle} besides the engine. */
export interface ParallelOracleOptions {
  /** Receives the engine's log lines (workers lost, refusals). */
  readonly log?: (line: string) => void;
  /** The version tasks ask for (default {@link COMPUTE_VERSION}; tests of refusals). */
  readonly version?: string;
}

/**
 * `HypergradientOracle` over a {@link SampleProblem} with per-sample work on an engine:
 * `evaluate(θ, batch, tol, warm)` sends one task per sample (`oracle.evaluate(θ, [i], tol,
 * warm_i)` on the worker's own oracle, rebuilt once from the problem's data) and returns
 * `reduceGradient` of the per-sample estimates in batch order — the numbers of the batch
 * evaluation of the same oracle, bit for bit. Warm states are named by tokens (the id of the
 * task that produced them, or their digest), so a worker that holds one is sent only its token.
 * Call {@link ParallelOracle.close} at the end (threads and connections).
 */
export class ParallelOracle implements HypergradientOracle {
  /** Number of parameters. */
  readonly dimension: number;
  /** Number of training samples. */
  readonly numSamples: number;
  /** The engine. */
  readonly engine: SampleEngine;
  /** Cumulative time, bytes and per-worker use. */
  readonly stats: ParallelStats;
  private readonly problem: string;
  private readonly bracket: LossBracket;
  private readonly version: string;
  private readonly tokens = new WeakMap<SampleWarmState, string>();

  /**
   * @param problem the training problem as data
   * @param compute the engine (default `threads` with one worker per core)
   * @param options log, version
   */
  constructor(problem: SampleProblem, compute: ComputeOptions = {}, options: ParallelOracleOptions = {}) {
    const p = parseSampleProblem(problem);
    const c = parseOrThrow(computeOptionsSchema, compute, 'compute');
    this.dimension = p.model.theta.length;
    this.numSamples = p.samples.length;
    this.bracket = 'convex';
    this.version = options.version ?? COMPUTE_VERSION;
    const frame = encodeProblem(p);
    this.problem = problemId(frame);
    if (c.engine === 'redis' && !c.redis) throw new ValidationError('compute: the redis engine needs redis: { url: "redis://host:port" }');
    this.engine =
      c.engine === 'inline'
        ? new InlineEngine()
        : c.engine === 'threads'
          ? new BridgedEngine({ engine: 'threads', workers: c.workers ?? Math.min(defaultWorkers(), this.numSamples) }, options.log)
          : new BridgedEngine({ engine: 'redis', ...c.redis! }, options.log);
    this.stats = new ParallelStats(c.engine);
    try {
      this.engine.load(this.problem, frame, p);
    } catch (e) {
      this.engine.close();
      throw e;
    }
  }

  /** Loss only (lower-level solves), warm-started per sample. */
  loss(theta: Float64Array, batch: readonly number[], epsilon: number, warm?: WarmState): LossEstimate {
    validateQuery(theta, batch, this.dimension, this.numSamples);
    validateTolerances({ epsilon });
    const r = this.dispatch('loss', theta, batch, { epsilon, delta: 0 }, warm);
    return reduceLoss(r.estimates, batch, this.bracket, warm);
  }

  /** Loss, hypergradient and bound, warm-started per sample. */
  evaluate(theta: Float64Array, batch: readonly number[], tol: Tolerances, warm?: WarmState): HypergradientEstimate {
    validateQuery(theta, batch, this.dimension, this.numSamples);
    validateTolerances(tol);
    const r = this.dispatch('evaluate', theta, batch, tol, warm);
    return reduceGradient(r.estimates as SampleGradientEstimate[], batch, this.bracket, warm);
  }

  /** Stop the engine's workers and connections. */
  close(): void {
    this.engine.close();
  }

  private dispatch(mode: 'loss' | 'evaluate', theta: Float64Array, batch: readonly number[], tol: Tolerances, warm: WarmState | undefined): DispatchResult {
    const thetaDigest = digest(theta);
    const tasks: SampleTask[] = batch.map((sample) => {
      const state = warm?.get(sample);
      const token = state ? this.tokenOf(state) : undefined;
      const base = { version: this.version, problem: this.problem, mode, theta: Float64Array.from(theta), thetaDigest, sample, epsilon: tol.epsilon, delta: mode === 'loss' ? 0 : tol.delta };
      return { ...base, id: taskId({ ...base, warmToken: token }), ...(state ? { warm: { token: token!, state } } : {}) };
    });
    const r = this.engine.run(this.problem, tasks);
    r.estimates.forEach((e, k) => this.tokens.set(e.warm, tasks[k]!.id));
    this.stats.add(r);
    return r;
  }

  /** The token of a warm state: the task that produced it, else the digest of its arrays (e.g. read from a checkpoint). */
  private tokenOf(state: SampleWarmState): string {
    let t = this.tokens.get(state);
    if (t === undefined) {
      const keys = Object.keys(state).sort();
      t = digest('warm', ...keys.flatMap((k) => [k, state[k]!])).slice(0, 40);
      this.tokens.set(state, t);
    }
    return t;
  }
}
