/**
 * Internals shared by the optimizers: warm-start merging, option snapshots, state codecs.
 * Not exported from the package.
 * @module
 */
import {
  ValidationError, addCost, costKeys, parseOrThrow, totalIterations, z, zeroCost,
  type Cost, type LossEstimate, type SampleWarmState, type StopReason, type WarmState,
} from '@bilevel/core';
import { decodeJson, encodeJson, type JsonValue } from './codec.js';
import type { Projection } from './projection.js';
import {
  CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type Checkpoint, type MethodName, type OptimizerState,
} from './types.js';

/** A projection hook or a list of them (applied in order). */
export const projectSchema = z
  .union([
    z.custom<Projection>((v) => typeof v === 'function', 'must be a function (theta) => void'),
    z.array(z.custom<Projection>((v) => typeof v === 'function', 'must be a function (theta) => void')),
  ])
  .optional();

/** The single projection of an options' `project` entry, or `undefined`. */
export function toProjection(p: Projection | readonly Projection[] | undefined): Projection | undefined {
  if (p === undefined) return undefined;
  if (typeof p === 'function') return p;
  if (p.length === 0) return undefined;
  const ps = [...p];
  return (theta) => {
    for (const q of ps) q(theta);
  };
}

/** Monotonic wall clock in milliseconds (never part of the trajectory). */
export function now(): number {
  return globalThis.performance.now();
}

/** `base` with the entries of `update` replacing those of the same samples (a new map; inputs untouched). */
export function mergeWarm(base: ReadonlyMap<number, SampleWarmState>, update: WarmState): Map<number, SampleWarmState> {
  const out = new Map(base);
  for (const [k, v] of update) out.set(k, v);
  return out;
}

/** A copy of a cost. */
export function cloneCost(c: Readonly<Cost>): Cost {
  return addCost(zeroCost(), c);
}

/** `[0, 1, …, n−1]`. */
export function fullBatch(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Check that θ₀ is a finite Float64Array (of the oracle's dimension once known). */
export function checkTheta(theta0: unknown, what: string): Float64Array {
  if (!(theta0 instanceof Float64Array)) throw new ValidationError(`${what}: theta0 must be a Float64Array`);
  for (let i = 0; i < theta0.length; i++) {
    if (!Number.isFinite(theta0[i]!)) throw new ValidationError(`${what}: theta0 entry ${i} is ${theta0[i]} (must be finite)`);
  }
  return theta0.slice();
}

/** Throw unless the oracle's dimension matches θ. */
export function checkDimension(theta: Float64Array, dimension: number, what: string): void {
  if (theta.length !== dimension) {
    throw new ValidationError(`${what}: theta has length ${theta.length} but the oracle's dimension is ${dimension}`);
  }
}

/** The JSON snapshot of validated options: everything but the `project` hooks. */
export function optionsSnapshot(method: MethodName, options: object): { [key: string]: JsonValue } {
  const { project: _p, ...rest } = options as Record<string, unknown>;
  return { method, ...(encodeJson(rest) as { [key: string]: JsonValue }) };
}

const costSchema = z.strictObject(Object.fromEntries(costKeys.map((k) => [k, z.number()])) as Record<(typeof costKeys)[number], z.ZodNumber>);
const warmSchema = z.map(z.number().int().nonnegative(), z.record(z.string(), z.instanceof(Float64Array)));

/** Encoded fields of {@link OptimizerState} (the per-method fields are added by each optimizer). */
export function encodeBaseState(s: OptimizerState): Record<string, unknown> {
  return { theta: s.theta, iteration: s.iteration, cost: s.cost, warm: s.warm, elapsed: s.elapsed };
}

/** Schema of the decoded base fields. */
export const baseStateShape = {
  theta: z.instanceof(Float64Array),
  iteration: z.number().int().nonnegative(),
  cost: costSchema,
  warm: warmSchema,
  elapsed: z.number().nonnegative(),
};

/** Build a checkpoint object. */
export function makeCheckpoint(method: MethodName, options: { [key: string]: JsonValue }, state: Record<string, unknown>): Checkpoint {
  return { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, method, options, state: encodeJson(state) };
}

const checkpointSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  version: z.literal(CHECKPOINT_VERSION),
  method: z.string(),
  options: z.record(z.string(), z.unknown()),
  state: z.unknown(),
});

/**
 * Validate a checkpoint's envelope and that it was written by `method` with the same options;
 * return the decoded state object (still to be checked against the method's state schema).
 */
export function openCheckpoint(checkpoint: unknown, method: MethodName, options: { [key: string]: JsonValue }): unknown {
  const c = parseOrThrow(checkpointSchema, checkpoint, 'checkpoint');
  if (c.method !== method) throw new ValidationError(`checkpoint: written by '${c.method}', cannot restore into '${method}'`);
  const diffs: string[] = [];
  const keys = new Set([...Object.keys(c.options), ...Object.keys(options)]);
  for (const k of keys) {
    if (JSON.stringify(c.options[k]) !== JSON.stringify(options[k])) {
      diffs.push(`${k}: checkpoint has ${JSON.stringify(c.options[k])}, optimizer has ${JSON.stringify(options[k])}`);
    }
  }
  if (diffs.length) {
    throw new ValidationError(
      `checkpoint: options differ from the optimizer's (create the optimizer with the checkpoint's options, e.g. via restoreOptimizer):\n  ${diffs.join('\n  ')}`,
      diffs,
    );
  }
  return decodeJson(c.state);
}

/**
 * Stop reasons of the oracle calls of one upper-level step: the first reason other than
 * `'converged'` and the number of per-sample solves that hit their iteration cap (so a capped
 * solve is never silent in the step records).
 */
export class SolveStops {
  /** First reason other than `'converged'` (else `'converged'`). */
  solveStop: StopReason = 'converged';
  /** Per-sample solves stopped by their iteration cap, over every call of the step. */
  cappedSolves = 0;

  /** Count the estimate of one oracle call. */
  add(e: Pick<LossEstimate, 'stop' | 'capped'>): void {
    if (this.solveStop === 'converged') this.solveStop = e.stop;
    this.cappedSolves += e.capped;
  }

  /** The step-record fields. */
  fields(): { solveStop: StopReason; cappedSolves: number } {
    return { solveStop: this.solveStop, cappedSolves: this.cappedSolves };
  }
}

/** Cumulative fields common to every record. */
export function costFields(cost: Cost): { cost: Cost; totalIterations: number } {
  return { cost: cloneCost(cost), totalIterations: totalIterations(cost) };
}
