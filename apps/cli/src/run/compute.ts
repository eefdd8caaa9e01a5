/**
 * Where the time of training went besides the mathematics: per iteration, the workers of the
 * parallel engine, their utilisation, the queue wait and the bytes sent, for the progress line
 * and the log; for the whole run, the split of the oracle's wall time into solve, transfer and
 * wait, for `run.json` and the report. These numbers depend on the machine and the engine; the
 * rest of a log row does not (identical for every engine and worker count).
 * @module
 */
import type { ParallelTotals } from '@bilevel/parallel';
import type { ComputeHandle } from '../wiring/types.js';

/** One iteration's use of the engine (a log-row field; depends on the wall clock, like `wallTime`). */
export interface ComputeStep {
  /** `inline`, `threads` or `redis`. */
  readonly engine: string;
  /** Workers that ran tasks in this iteration. */
  readonly workers: number;
  /** Busy (solve) time over the oracle's wall time, per worker (ids in `run.json`), in this iteration. */
  readonly utilisation: readonly number[];
  /** Mean time from sending a task to a worker starting it (ms). */
  readonly queueMs: number;
  /** Bytes sent to and received from the workers in this iteration. */
  readonly bytes: number;
}

/** The whole run's use of the engine (in `run.json`; the report's "Compute" section). */
export interface ComputeSummary {
  /** `inline`, `threads` or `redis`. */
  readonly engine: string;
  /** Workers that ran tasks. */
  readonly workers: number;
  /** Per-sample tasks done (and sent again after a lost worker). */
  readonly tasks: number;
  /** Tasks sent again. */
  readonly resent: number;
  /** Wall time inside oracle calls (s), and its split. */
  readonly seconds: { readonly total: number; readonly solve: number; readonly transfer: number; readonly wait: number };
  /** Mean queue wait of a task (ms). */
  readonly queueMs: number;
  /** Bytes sent and received per upper-level iteration. */
  readonly bytesPerIteration: number;
  /** Per worker: tasks, busy seconds, utilisation. */
  readonly perWorker: Readonly<Record<string, { readonly tasks: number; readonly busySeconds: number; readonly utilisation: number }>>;
}

/** Differences of the engine's totals between iterations. */
export class ComputeMeter {
  private last: ParallelTotals;

  /** @param handle the training problem's engine */
  constructor(private readonly handle: ComputeHandle) {
    this.last = handle.stats();
  }

  /** The engine's use since the previous call. */
  step(): ComputeStep {
    const now = this.handle.stats();
    const before = this.last;
    this.last = now;
    const wall = now.wallMs - before.wallMs;
    const ids = Object.keys(now.perWorker).filter((id) => now.perWorker[id]!.tasks > (before.perWorker[id]?.tasks ?? 0));
    const tasks = now.tasks - before.tasks;
    const queue = now.queueMs * now.tasks - before.queueMs * before.tasks;
    return {
      engine: now.engine,
      workers: ids.length,
      utilisation: ids.map((id) => (wall > 0 ? round((now.perWorker[id]!.busyMs - (before.perWorker[id]?.busyMs ?? 0)) / wall, 3) : 0)),
      queueMs: tasks > 0 ? round(queue / tasks, 2) : 0,
      bytes: now.bytesOut + now.bytesIn - before.bytesOut - before.bytesIn,
    };
  }

  /** The run's totals (this session), for `iterations` upper-level iterations. */
  summary(iterations: number): ComputeSummary {
    const t = this.handle.stats();
    return {
      engine: t.engine,
      workers: t.workers,
      tasks: t.tasks,
      resent: t.resent,
      seconds: { total: round(t.wallMs / 1000, 3), solve: round(t.solveMs / 1000, 3), transfer: round(t.transferMs / 1000, 3), wait: round(t.waitMs / 1000, 3) },
      queueMs: round(t.queueMs, 2),
      bytesPerIteration: iterations > 0 ? Math.round((t.bytesOut + t.bytesIn) / iterations) : 0,
      perWorker: Object.fromEntries(Object.entries(t.perWorker).map(([id, w]) => [id, { tasks: w.tasks, busySeconds: round(w.busyMs / 1000, 3), utilisation: round(w.utilisation, 3) }])),
    };
  }
}

/** The progress-line note of an iteration, e.g. `2 workers 97%/95% queue 1.2 ms`. */
export function computeNote(s: ComputeStep): string {
  if (s.engine === 'inline') return '';
  const util = s.utilisation.map((u) => `${Math.round(100 * u)}%`).join('/');
  return `${s.workers} worker${s.workers === 1 ? '' : 's'} ${util} queue ${s.queueMs.toFixed(1)} ms`;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
