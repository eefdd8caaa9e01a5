/**
 * Where the time of parallel evaluations went, and what crossed the wire: per worker its tasks
 * and busy time, and for the trainer's wall time inside oracle calls the split into solve (the
 * busiest worker's solve time: the critical path), transfer (encoding and decoding on that
 * worker and the trainer) and wait (the rest: queueing, messaging latency, imbalance).
 * @module
 */
import type { DispatchResult } from './dispatch.js';

/** Cumulative totals of a {@link ParallelStats}. */
export interface ParallelTotals {
  /** Engine name. */
  readonly engine: string;
  /** Workers that ran at least one task. */
  readonly workers: number;
  /** Oracle calls. */
  readonly calls: number;
  /** Tasks (per-sample solves) done. */
  readonly tasks: number;
  /** Tasks sent again (lost worker, missing state, refusal). */
  readonly resent: number;
  /** Wall time inside oracle calls on the trainer (ms). */
  readonly wallMs: number;
  /** Critical-path solve time (ms). */
  readonly solveMs: number;
  /** Encoding and decoding on the critical path (ms). */
  readonly transferMs: number;
  /** The rest of the wall time (ms). */
  readonly waitMs: number;
  /** Mean time from sending a task to its worker starting it (ms). */
  readonly queueMs: number;
  /** Bytes sent to workers. */
  readonly bytesOut: number;
  /** Bytes received from workers. */
  readonly bytesIn: number;
  /** Per worker: tasks, busy (solve) time and utilisation `busy / wall`. */
  readonly perWorker: Readonly<Record<string, { readonly tasks: number; readonly busyMs: number; readonly utilisation: number }>>;
}

/** Accumulates the reports of the evaluations of one oracle. */
export class ParallelStats {
  private calls = 0;
  private tasks = 0;
  private resent = 0;
  private wallMs = 0;
  private solveMs = 0;
  private transferMs = 0;
  private queueMs = 0;
  private bytesOut = 0;
  private bytesIn = 0;
  private readonly workers = new Map<string, { tasks: number; busyMs: number }>();

  /** @param engine engine name */
  constructor(readonly engine: string) {}

  /** Count one evaluation. */
  add(r: DispatchResult): void {
    this.calls++;
    this.tasks += r.tasks.length;
    this.resent += r.resent;
    this.wallMs += r.wallMs;
    this.bytesOut += r.bytesOut;
    this.bytesIn += r.bytesIn;
    const busy = new Map<string, { solve: number; codec: number }>();
    for (const t of r.tasks) {
      const b = busy.get(t.worker) ?? { solve: 0, codec: 0 };
      b.solve += t.solveMs;
      b.codec += t.codecMs;
      busy.set(t.worker, b);
      const w = this.workers.get(t.worker) ?? { tasks: 0, busyMs: 0 };
      w.tasks++;
      w.busyMs += t.solveMs;
      this.workers.set(t.worker, w);
      this.queueMs += t.queueMs;
    }
    let critical = { solve: 0, codec: 0 };
    for (const b of busy.values()) if (b.solve + b.codec > critical.solve + critical.codec) critical = b;
    this.solveMs += Math.min(critical.solve, r.wallMs);
    this.transferMs += Math.min(critical.codec, Math.max(0, r.wallMs - critical.solve));
  }

  /** The totals so far. */
  totals(): ParallelTotals {
    const perWorker: Record<string, { tasks: number; busyMs: number; utilisation: number }> = {};
    for (const [id, w] of [...this.workers].sort(([a], [b]) => a.localeCompare(b))) {
      perWorker[id] = { ...w, utilisation: this.wallMs > 0 ? w.busyMs / this.wallMs : 0 };
    }
    return {
      engine: this.engine,
      workers: this.workers.size,
      calls: this.calls,
      tasks: this.tasks,
      resent: this.resent,
      wallMs: this.wallMs,
      solveMs: this.solveMs,
      transferMs: this.transferMs,
      waitMs: Math.max(0, this.wallMs - this.solveMs - this.transferMs),
      queueMs: this.tasks > 0 ? this.queueMs / this.tasks : 0,
      bytesOut: this.bytesOut,
      bytesIn: this.bytesIn,
      perWorker,
    };
  }
}
