/**
 * The unit of parallel work — one sample's lower-level solve (and adjoint) at θ — and its outcome,
 * as plain data with typed arrays, so the same objects cross a `postMessage`, a binary frame in
 * Redis or nothing at all (inline).
 * @module
 */
import type { SampleWarmState } from '@bilevel/core';
import type { SampleGradientEstimate, SampleLossEstimate } from '@bilevel/hypergrad';
import { digest } from './frame.js';

/** Version of the task protocol; bump it when a task's meaning or a result's arithmetic changes. */
export const PROTOCOL_VERSION = 1;

/**
 * The version a worker must run to take a task: protocol and package version. Workers refuse tasks
 * of another version (their results could differ in the last bit).
 */
export const COMPUTE_VERSION = `bilevel-parallel/${PROTOCOL_VERSION}`;

/** The warm start a task names: a token (the id of the task that produced it, or a digest) and, when the worker may lack it, the state. */
export interface TaskWarm {
  /** Token of the warm state. */
  readonly token: string;
  /** The state itself (omitted when the worker is known to hold `token`). */
  readonly state?: SampleWarmState;
}

/** One sample's work at θ. */
export interface SampleTask {
  /**
   * Content id: the digest of version, problem, mode, θ, sample, tolerances and warm token, so a
   * task sent twice (a retry, a resumed trainer) is the same task with the same result.
   */
  readonly id: string;
  /** The version of the code that must run it ({@link COMPUTE_VERSION}). */
  readonly version: string;
  /** Problem id (digest of the problem's frame). */
  readonly problem: string;
  /** `loss`: lower-level solve only; `evaluate`: with the adjoint and the hypergradient. */
  readonly mode: 'loss' | 'evaluate';
  /** θ. */
  readonly theta: Float64Array;
  /** Digest of θ's bits (the worker refuses a task whose θ does not match it). */
  readonly thetaDigest: string;
  /** Sample index. */
  readonly sample: number;
  /** Lower-level tolerance `ε`. */
  readonly epsilon: number;
  /** Adjoint tolerance `δ` (0 for `loss`). */
  readonly delta: number;
  /** Warm start (absent: cold start). */
  readonly warm?: TaskWarm;
}

/** Where a task's time went, measured on the worker (milliseconds; clock of the worker). */
export interface TaskTiming {
  /** The lower-level (and adjoint) solve. */
  readonly solveMs: number;
  /** Decoding the task and encoding the result on the worker. */
  readonly codecMs: number;
  /** When the worker started the task (`Date.now()` of the worker). */
  readonly startedAt: number;
}

/** The outcome of a task on a worker. */
export type SampleOutcome =
  | {
      readonly status: 'done';
      readonly id: string;
      readonly worker: string;
      /** The sample's estimate (a {@link SampleGradientEstimate} for `evaluate`). */
      readonly estimate: SampleLossEstimate | SampleGradientEstimate;
      readonly timing: TaskTiming;
    }
  | {
      /** The worker does not hold the problem or the warm state the task names: send them. */
      readonly status: 'missing-problem' | 'missing-warm';
      readonly id: string;
      readonly worker: string;
    }
  | {
      /** The worker will not run the task (another version, a θ that does not match its digest). */
      readonly status: 'refused';
      readonly id: string;
      readonly worker: string;
      readonly reason: string;
    }
  | {
      /** The solve threw (e.g. a `NumericalError`: the lower level diverged). */
      readonly status: 'error';
      readonly id: string;
      readonly worker: string;
      readonly error: { readonly name: string; readonly message: string };
    };

/** The content id of a task (see {@link SampleTask.id}). */
export function taskId(t: Omit<SampleTask, 'id' | 'warm' | 'thetaDigest'> & { readonly thetaDigest: string; readonly warmToken: string | undefined }): string {
  return digest(t.version, t.problem, t.mode, t.thetaDigest, t.sample, t.epsilon, t.delta, t.warmToken ?? 'cold').slice(0, 40);
}
