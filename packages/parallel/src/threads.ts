/**
 * The `threads` engine: worker threads on this machine through piscina, one single-thread pool per
 * worker so that a sample's tasks go to the thread holding its warm states (piscina restarts a
 * crashed thread; its samples then move, with their warm states, like those of a lost worker).
 * @module
 */
import { performance } from 'node:perf_hooks';
import { Piscina } from 'piscina';
import { workerEntry } from '@bilevel/core';
import { WorkerLostError, type Delivery, type Transport, type WorkMessage } from './dispatch.js';
import { payloadBytes } from './frame.js';
import type { SampleOutcome } from './task.js';

/** Options of {@link ThreadsTransport}. */
export interface ThreadsOptions {
  /** Worker threads (≥ 1). */
  readonly workers: number;
  /** The version the threads run (default: this package's). */
  readonly version?: string;
}

/**
 * A pool of one long-lived thread whose tasks run the default export of the worker module `name`
 * (relative to `base`, by default this package's `src`/`dist`), loaded as an ES module — from the
 * sources through `ts-entry.mjs` of `@bilevel/core` (see `workerEntry` there).
 */
export function threadPool(name: string, workerData: Record<string, unknown>, base: string | URL = import.meta.url): Piscina {
  const entry = workerEntry(name, base);
  return new Piscina({
    filename: entry.url.href,
    minThreads: 1,
    maxThreads: 1,
    idleTimeout: 2 ** 31 - 1,
    execArgv: entry.execArgv,
    workerData: { ...entry.workerData, ...workerData },
  });
}

/** Worker threads of this process as a {@link Transport}. */
export class ThreadsTransport implements Transport {
  private readonly pools = new Map<string, Piscina>();

  /** @param options number of threads */
  constructor(options: ThreadsOptions) {
    for (let w = 0; w < options.workers; w++) {
      const worker = `thread-${w}`;
      this.pools.set(worker, threadPool('thread-worker', { worker, ...(options.version !== undefined ? { version: options.version } : {}) }));
    }
  }

  /** Every thread (they are restarted when they crash). */
  live(): Promise<string[]> {
    return Promise.resolve([...this.pools.keys()]);
  }

  /** Run the message on the worker's thread. */
  async send(worker: string, message: WorkMessage): Promise<Delivery> {
    const pool = this.pools.get(worker);
    if (!pool) throw new WorkerLostError(`no thread ${worker}`);
    const sentAt = Date.now();
    let outcome: SampleOutcome;
    try {
      outcome = (await pool.run(message)) as SampleOutcome;
    } catch (e) {
      throw new WorkerLostError(`thread ${worker} failed: ${(e as Error).message}`);
    }
    const t0 = performance.now();
    const bytesIn = payloadBytes(outcome);
    return { outcome, bytesOut: payloadBytes(message), bytesIn, sentAt, codecMs: performance.now() - t0 };
  }

  /** Threads run this package's version: nothing to exclude. */
  exclude(): void {}

  /** Stop the threads. */
  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.destroy()));
    this.pools.clear();
  }
}
