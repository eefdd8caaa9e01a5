/**
 * `bilevel worker --redis URL`: solve training samples for every trainer that uses the same Redis
 * server (and key prefix), one worker per solver thread, until SIGINT or SIGTERM; then finish the
 * current tasks, remove the heartbeats and exit. A status line every 30 s says how many tasks
 * were done.
 * @module
 */
import { startRedisWorker } from '@bilevel/parallel';

/** Options of {@link runWorker}. */
export interface RunWorkerOptions {
  /** The Redis server. */
  readonly url: string;
  /** Solver threads. */
  readonly threads: number;
  /** Key prefix shared with the trainers. */
  readonly prefix?: string;
  /** Where lines go. */
  readonly write: (line: string) => void;
  /** Stops the worker when aborted (default: SIGINT and SIGTERM). */
  readonly signal?: AbortSignal;
}

/** Run workers until stopped; resolves when they have shut down. */
export async function runWorker(o: RunWorkerOptions): Promise<void> {
  const handle = await startRedisWorker({ url: o.url, threads: o.threads, ...(o.prefix ? { prefix: o.prefix } : {}), log: o.write });
  o.write(`ready: ${handle.ids.length} worker(s) ${handle.ids.join(', ')}; stop with Ctrl-C`);
  const timer = setInterval(() => o.write(`${handle.done()} tasks done`), 30_000);
  await new Promise<void>((resolve) => {
    if (o.signal) {
      o.signal.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  clearInterval(timer);
  o.write(`stopping after ${handle.done()} tasks …`);
  await handle.close();
}
