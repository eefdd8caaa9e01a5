/**
 * The engines behind the parallel oracle, as the trainer calls them (synchronously): `inline`
 * runs each task on a {@link SampleRuntime} of this thread; `threads` and `redis` run a
 * {@link Dispatcher} on an engine thread reached through a `SyncBridge`.
 * @module
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { SyncBridge } from './bridge.js';
import type { DispatchResult } from './dispatch.js';
import { errorFromData } from './errors.js';
import type { SampleProblem } from './problem.js';
import type { RedisOptions } from './redis-options.js';
import { SampleRuntime } from './runtime.js';
import type { SampleTask } from './task.js';

/** What the engine thread builds. */
export type EngineSpec =
  | {
      /** Worker threads of this process (piscina). */
      readonly engine: 'threads';
      /** Number of threads. */
      readonly workers: number;
      /** Version the threads run (tests of refusals). */
      readonly version?: string;
    }
  | ({
      /** Workers anywhere, through BullMQ queues on a Redis server. */
      readonly engine: 'redis';
    } & RedisOptions);

/** A synchronous engine: runs the tasks of one evaluation and returns their estimates in batch order. */
export interface SampleEngine {
  /** Engine name. */
  readonly name: 'inline' | 'threads' | 'redis';
  /** Hand the engine a problem (once). */
  load(id: string, frame: Uint8Array, problem: SampleProblem): void;
  /** Run the tasks of one evaluation. */
  run(problem: string, tasks: readonly SampleTask[]): DispatchResult;
  /** Release threads and connections. */
  close(): void;
}

/** Every task on this thread, one after another: the reference the other engines must match bit for bit. */
export class InlineEngine implements SampleEngine {
  readonly name = 'inline';
  private readonly runtime = new SampleRuntime('inline');

  /** Build the problem from its data (no frame decoding needed on this thread). */
  load(id: string, _frame: Uint8Array, problem: SampleProblem): void {
    this.runtime.addProblem(id, problem);
  }

  /** Run the tasks in batch order; the first error (in batch order) is thrown. */
  run(_problem: string, tasks: readonly SampleTask[]): DispatchResult {
    const t0 = performance.now();
    const estimates: DispatchResult['estimates'] = [];
    const reports: DispatchResult['tasks'] = [];
    for (const task of tasks) {
      const o = this.runtime.run(task);
      if (o.status === 'error') throw errorFromData(o.error);
      if (o.status !== 'done') throw new Error(`inline engine: unexpected outcome ${o.status}`);
      estimates.push(o.estimate);
      reports.push({ worker: o.worker, solveMs: o.timing.solveMs, codecMs: 0, queueMs: 0 });
    }
    return { estimates, tasks: reports, bytesOut: 0, bytesIn: 0, resent: 0, wallMs: performance.now() - t0 };
  }

  /** Nothing to release. */
  close(): void {}
}

/** An engine on its own thread (threads, redis), called synchronously through a `SyncBridge` (`Atomics.wait`). */
export class BridgedEngine implements SampleEngine {
  private readonly bridge: SyncBridge;

  /**
   * @param spec the engine to build on the engine thread
   * @param log receives the engine's log lines
   */
  constructor(
    private readonly spec: EngineSpec,
    log?: (line: string) => void,
  ) {
    this.bridge = new SyncBridge(spec, log);
  }

  /** Engine name. */
  get name(): 'threads' | 'redis' {
    return this.spec.engine;
  }

  /** Send the problem's frame to the engine thread (once). */
  load(id: string, frame: Uint8Array): void {
    this.bridge.call({ kind: 'problem', id, frame });
  }

  /** Run the tasks on the engine's workers. */
  run(problem: string, tasks: readonly SampleTask[]): DispatchResult {
    return this.bridge.call<DispatchResult>({ kind: 'run', problem, tasks });
  }

  /** Stop the engine's workers and thread. */
  close(): void {
    this.bridge.close();
  }
}

/** One worker thread per core, at least one. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}
