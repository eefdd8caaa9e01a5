/**
 * Sticky assignment of samples to workers: a sample stays with the worker that holds its warm
 * states, and moves (with its warm state) only when that worker is gone or the batch would leave
 * it with more than its share. The trainer keeps a mirror of what each worker holds, so a task
 * carries a warm state only when its worker lacks it.
 * @module
 */
import type { SampleTask } from './task.js';

/** Ownership of samples and the trainer's mirror of the warm tokens and problems each worker holds. */
export class Ownership {
  private readonly owner = new Map<number, string>();
  private readonly held = new Map<string, Map<number, string[]>>();
  private readonly problems = new Map<string, Set<string>>();

  /** @param warmPerSample warm states a worker keeps per sample (as its `SampleRuntime`) */
  constructor(private readonly warmPerSample = 4) {}

  /**
   * Owners for the samples of a batch among the live workers: a sample keeps its owner while
   * that worker is live and holds at most `⌈m/W⌉` samples of this batch; the others go, in batch
   * order, to the live worker with the fewest samples of the batch (ties: the first in `live`).
   */
  assign(batch: readonly number[], live: readonly string[]): string[] {
    if (live.length === 0) throw new Error('Ownership.assign: no live worker');
    const share = Math.ceil(batch.length / live.length);
    const load = new Map(live.map((w) => [w, 0]));
    const out: (string | undefined)[] = batch.map((i) => {
      const w = this.owner.get(i);
      if (w === undefined || !load.has(w) || load.get(w)! >= share) return undefined;
      load.set(w, load.get(w)! + 1);
      return w;
    });
    return batch.map((i, k) => {
      let w = out[k];
      if (w === undefined) {
        w = live.reduce((best, c) => (load.get(c)! < load.get(best)! ? c : best), live[0]!);
        load.set(w, load.get(w)! + 1);
        this.owner.set(i, w);
      }
      return w;
    });
  }

  /** Whether `worker` holds the warm state `token` of `sample` (as far as the trainer knows). */
  holdsWarm(worker: string, sample: number, token: string): boolean {
    return this.held.get(worker)?.get(sample)?.includes(token) ?? false;
  }

  /** `worker` now holds `token` for `sample` (most recent first, as the worker's cache). */
  noteWarm(worker: string, sample: number, token: string): void {
    let m = this.held.get(worker);
    if (!m) this.held.set(worker, (m = new Map()));
    m.set(sample, [token, ...(m.get(sample) ?? []).filter((t) => t !== token)].slice(0, this.warmPerSample));
  }

  /** Whether `worker` has built `problem`. */
  holdsProblem(worker: string, problem: string): boolean {
    return this.problems.get(worker)?.has(problem) ?? false;
  }

  /** `worker` has built `problem`. */
  noteProblem(worker: string, problem: string): void {
    let s = this.problems.get(worker);
    if (!s) this.problems.set(worker, (s = new Set()));
    s.add(problem);
  }

  /** `worker` is gone or restarted: it owns nothing and holds nothing. */
  forget(worker: string): void {
    this.held.delete(worker);
    this.problems.delete(worker);
    for (const [i, w] of [...this.owner]) if (w === worker) this.owner.delete(i);
  }

  /**
   * The task as sent to `worker`: without the warm state when the worker holds it; records that
   * the worker will hold it afterwards.
   */
  prepare(task: SampleTask, worker: string): SampleTask {
    const warm = task.warm;
    if (!warm) return task;
    if (this.holdsWarm(worker, task.sample, warm.token)) {
      const { warm: _w, ...rest } = task;
      return { ...rest, warm: { token: warm.token } };
    }
    this.noteWarm(worker, task.sample, warm.token);
    return task;
  }

  /** Bookkeeping of a finished task: its result warm state stays on `worker`. */
  done(task: SampleTask, worker: string): void {
    this.noteWarm(worker, task.sample, task.id);
  }
}
