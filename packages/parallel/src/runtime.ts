/**
 * What a worker runs: problems rebuilt once from their frames, the warm states of the samples it
 * owns, and one task at a time on its own oracle (`oracle.evaluate(θ, [i], tol, warm_i)`). The
 * same class serves the inline engine, each worker thread and each Redis worker.
 * @module
 */
import { performance } from 'node:perf_hooks';
import { ValidationError, type SampleWarmState } from '@bilevel/core';
import { sampleGradientEstimate, sampleLossEstimate } from '@bilevel/hypergrad';
import { errorData } from './errors.js';
import { decodeFrame, digest } from './frame.js';
import { buildProblem, parseSampleProblem, problemId, type BuiltProblem, type SampleProblem } from './problem.js';
import { COMPUTE_VERSION, type SampleOutcome, type SampleTask } from './task.js';

/** Options of {@link SampleRuntime}. */
export interface SampleRuntimeOptions {
  /** The version this worker runs (default {@link COMPUTE_VERSION}). */
  readonly version?: string;
  /** Warm states kept per sample, most recent first (default 4). */
  readonly warmPerSample?: number;
  /** Problems kept (default 2). */
  readonly problems?: number;
}

/** A worker's state: rebuilt problems and the warm states of its samples. */
export class SampleRuntime {
  private readonly problems = new Map<string, BuiltProblem>();
  private readonly warm = new Map<string, { token: string; state: SampleWarmState }[]>();
  private readonly version: string;
  private readonly warmPerSample: number;
  private readonly maxProblems: number;
  /** Problems rebuilt so far (a problem is rebuilt once per worker). */
  builds = 0;

  /**
   * @param worker this worker's id (reported in outcomes)
   * @param options version and cache sizes
   */
  constructor(
    readonly worker: string,
    options: SampleRuntimeOptions = {},
  ) {
    this.version = options.version ?? COMPUTE_VERSION;
    this.warmPerSample = options.warmPerSample ?? 4;
    this.maxProblems = options.problems ?? 2;
  }

  /** Whether the problem `id` is built here. */
  hasProblem(id: string): boolean {
    return this.problems.has(id);
  }

  /**
   * Build a problem from its frame (or its data) once; the id must be the digest of the frame.
   * Older problems beyond the cache size are dropped with their warm states.
   */
  addProblem(id: string, problem: Uint8Array | SampleProblem): void {
    if (this.problems.has(id)) return;
    const data = problem instanceof Uint8Array ? parseSampleProblem(decodeFrame(problem)) : problem;
    if (problem instanceof Uint8Array && problemId(problem) !== id) {
      throw new ValidationError(`worker ${this.worker}: the problem frame does not match its id ${id.slice(0, 12)}… (damaged in transit)`);
    }
    this.problems.set(id, buildProblem(data));
    this.builds++;
    while (this.problems.size > this.maxProblems) {
      const old = this.problems.keys().next().value!;
      this.problems.delete(old);
      for (const k of [...this.warm.keys()]) if (k.startsWith(`${old}:`)) this.warm.delete(k);
    }
  }

  /** Forget every warm state (e.g. to test that ownership moves send them again). */
  dropWarm(): void {
    this.warm.clear();
  }

  /** Run one task (synchronously); errors of the solve are returned as an `error` outcome. */
  run(task: SampleTask): SampleOutcome {
    const base = { id: task.id, worker: this.worker };
    if (task.version !== this.version) {
      return { ...base, status: 'refused', reason: `worker ${this.worker} runs ${this.version}, the task needs ${task.version}; run the same bilevel version on the trainer and the workers` };
    }
    if (digest(task.theta) !== task.thetaDigest) {
      return { ...base, status: 'refused', reason: `worker ${this.worker}: θ does not match its digest (a stale or damaged θ)` };
    }
    const built = this.problems.get(task.problem);
    if (!built) return { ...base, status: 'missing-problem' };
    const key = `${task.problem}:${task.sample}`;
    let warm: SampleWarmState | undefined;
    if (task.warm) {
      if (task.warm.state) this.keepWarm(key, task.warm.token, task.warm.state);
      warm = this.warm.get(key)?.find((w) => w.token === task.warm!.token)?.state;
      if (!warm) return { ...base, status: 'missing-warm' };
    }
    const startedAt = Date.now();
    const t0 = performance.now();
    try {
      const i = task.sample;
      const warmMap = warm ? new Map([[i, warm]]) : undefined;
      const estimate =
        task.mode === 'evaluate'
          ? sampleGradientEstimate(built.oracle.evaluate(task.theta, [i], { epsilon: task.epsilon, delta: task.delta }, warmMap), i)
          : sampleLossEstimate(built.oracle.loss(task.theta, [i], task.epsilon, warmMap), i);
      const solveMs = performance.now() - t0;
      this.keepWarm(key, task.id, estimate.warm);
      return { ...base, status: 'done', estimate, timing: { solveMs, codecMs: 0, startedAt } };
    } catch (e) {
      return { ...base, status: 'error', error: errorData(e) };
    }
  }

  private keepWarm(key: string, token: string, state: SampleWarmState): void {
    const list = this.warm.get(key) ?? [];
    const next = [{ token, state }, ...list.filter((w) => w.token !== token)].slice(0, this.warmPerSample);
    this.warm.set(key, next);
  }
}
