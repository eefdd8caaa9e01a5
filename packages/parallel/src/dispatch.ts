/**
 * The trainer's side of a parallel evaluation, common to every engine: assign the batch's
 * samples to live workers (sticky, {@link Ownership}), send each task with what its worker lacks,
 * resend when a worker was lost, lacked a problem or a warm state, or refused, and collect the
 * outcomes in batch order with the time and bytes they took. The engines only move messages
 * ({@link Transport}).
 * @module
 */
import { BilevelError, ConvergenceError } from '@bilevel/core';
import type { SampleGradientEstimate, SampleLossEstimate } from '@bilevel/hypergrad';
import { errorFromData, type ErrorData } from './errors.js';
import { Ownership } from './schedule.js';
import type { SampleOutcome, SampleTask } from './task.js';

/** What a worker is sent: the task and, when it lacks it, the problem's id and frame. */
export interface WorkMessage {
  /** The problem (absent when the worker holds it). */
  readonly problem?: { readonly id: string; readonly frame: Uint8Array };
  /** The task (its warm state absent when the worker holds it). */
  readonly task: SampleTask;
}

/** A task's round trip as a transport saw it. */
export interface Delivery {
  /** The worker's outcome. */
  readonly outcome: SampleOutcome;
  /** Bytes sent for the task (payload: frame or typed-array bytes). */
  readonly bytesOut: number;
  /** Bytes received with the outcome. */
  readonly bytesIn: number;
  /** `Date.now()` when the task was sent. */
  readonly sentAt: number;
  /** Trainer-side encoding and decoding time (ms). */
  readonly codecMs: number;
}

/** The worker a task was sent to is gone (it died, was killed, or its thread crashed): resend elsewhere. */
export class WorkerLostError extends BilevelError {
  override readonly name: string = 'WorkerLostError';
}

/** How an engine moves messages. */
export interface Transport {
  /** The live workers that may take tasks now (waits until there is one). */
  live(): Promise<string[]>;
  /** Send a message to a worker; resolves with its outcome, rejects with {@link WorkerLostError} when the worker is gone. */
  send(worker: string, message: WorkMessage): Promise<Delivery>;
  /** A worker refused work for good (another version): never send it tasks again. */
  exclude(worker: string, reason: string): void;
  /** Release connections and threads. */
  close(): Promise<void>;
}

/** Time and bytes of one task. */
export interface TaskReport {
  /** Worker that ran it. */
  readonly worker: string;
  /** Solve time on the worker (ms). */
  readonly solveMs: number;
  /** Encoding/decoding time on the worker and the trainer (ms). */
  readonly codecMs: number;
  /** From sending to the worker starting it (ms; across machines, as good as their clocks agree). */
  readonly queueMs: number;
}

/** The outcomes of one evaluation, in batch order, with what it cost. */
export interface DispatchResult {
  /** Per-sample estimates in batch order. */
  readonly estimates: (SampleLossEstimate | SampleGradientEstimate)[];
  /** Per task (in batch order) the successful attempt's report. */
  readonly tasks: TaskReport[];
  /** Bytes sent (all attempts). */
  readonly bytesOut: number;
  /** Bytes received (all attempts). */
  readonly bytesIn: number;
  /** Tasks sent again (lost worker, missing problem or warm state, refusal). */
  readonly resent: number;
  /** Wall time of the evaluation on the trainer (ms). */
  readonly wallMs: number;
}

/** Options of {@link Dispatcher}. */
export interface DispatcherOptions {
  /** Attempts per task before giving up (default 50). */
  readonly maxAttempts?: number;
  /** Warm states a worker keeps per sample (default 4, as `SampleRuntime`). */
  readonly warmPerSample?: number;
  /** Called with a line when something noteworthy happens (a worker lost, a refusal). */
  readonly log?: (line: string) => void;
}

/** Schedules the tasks of each evaluation on a {@link Transport}. */
export class Dispatcher {
  private readonly ownership: Ownership;
  private readonly maxAttempts: number;
  private readonly inflight = new Map<string, number>();

  /**
   * @param transport the engine's message transport
   * @param options retries, cache mirror size, log
   */
  constructor(
    readonly transport: Transport,
    private readonly options: DispatcherOptions = {},
  ) {
    this.ownership = new Ownership(options.warmPerSample ?? 4);
    this.maxAttempts = options.maxAttempts ?? 50;
  }

  /**
   * Run `tasks` (one per sample of the batch, in batch order) and return their estimates in the
   * same order. A solve that threw on its worker is rethrown here — the first in batch order,
   * with its class (`NumericalError`, …) — after every task has settled.
   */
  async run(problem: { readonly id: string; readonly frame: Uint8Array }, tasks: readonly SampleTask[]): Promise<DispatchResult> {
    const t0 = performance.now();
    const live = await this.transport.live();
    const owners = this.ownership.assign(
      tasks.map((t) => t.sample),
      live,
    );
    let bytesOut = 0;
    let bytesIn = 0;
    let resent = 0;
    const reports: TaskReport[] = new Array<TaskReport>(tasks.length);
    const estimates: (SampleLossEstimate | SampleGradientEstimate)[] = new Array(tasks.length);
    const errors: (ErrorData | undefined)[] = new Array(tasks.length);
    const attempt = async (k: number): Promise<void> => {
      const task = tasks[k]!;
      let worker = owners[k]!;
      for (let a = 0; ; a++) {
        if (a >= this.maxAttempts) throw new ConvergenceError(`parallel: sample ${task.sample} was not computed after ${a} attempts (workers lost or refusing); check the workers' logs`);
        if (a > 0) {
          resent++;
          worker = await this.pick(task.sample);
        }
        const message: WorkMessage = {
          task: this.ownership.prepare(task, worker),
          ...(this.ownership.holdsProblem(worker, problem.id) ? {} : { problem }),
        };
        this.ownership.noteProblem(worker, problem.id);
        this.inflight.set(worker, (this.inflight.get(worker) ?? 0) + 1);
        let d: Delivery;
        try {
          d = await this.transport.send(worker, message);
        } catch (e) {
          if (!(e instanceof WorkerLostError)) throw e;
          this.options.log?.(`worker ${worker} lost (${e.message}); sample ${task.sample} goes to another worker`);
          this.ownership.forget(worker);
          continue;
        } finally {
          this.inflight.set(worker, this.inflight.get(worker)! - 1);
        }
        bytesOut += d.bytesOut;
        bytesIn += d.bytesIn;
        const o = d.outcome;
        if (o.id !== task.id) {
          this.options.log?.(`worker ${o.worker}: refused a result for task ${o.id.slice(0, 12)}… when ${task.id.slice(0, 12)}… was asked (stale)`);
          continue;
        }
        switch (o.status) {
          case 'done':
            this.ownership.done(task, worker);
            estimates[k] = o.estimate;
            reports[k] = { worker, solveMs: o.timing.solveMs, codecMs: o.timing.codecMs + d.codecMs, queueMs: Math.max(0, o.timing.startedAt - d.sentAt) };
            return;
          case 'missing-problem':
          case 'missing-warm':
            this.ownership.forget(worker);
            continue;
          case 'refused':
            this.options.log?.(`worker ${worker} refused sample ${task.sample}: ${o.reason}`);
            this.ownership.forget(worker);
            this.transport.exclude(worker, o.reason);
            continue;
          case 'error':
            errors[k] = o.error;
            return;
        }
      }
    };
    await Promise.all(tasks.map((_, k) => attempt(k)));
    const failed = errors.findIndex((e) => e !== undefined);
    if (failed >= 0) throw errorFromData(errors[failed]!);
    return { estimates, tasks: reports, bytesOut, bytesIn, resent, wallMs: performance.now() - t0 };
  }

  /** A live worker for a sample that must move: its owner if still live, else the one with the fewest tasks in flight. */
  private async pick(sample: number): Promise<string> {
    const live = await this.transport.live();
    const inflight = (w: string): number => this.inflight.get(w) ?? 0;
    const best = live.reduce((b, w) => (inflight(w) < inflight(b) ? w : b), live[0]!);
    return this.ownership.assign([sample], [best])[0]!;
  }

  /** Release the engine. */
  close(): Promise<void> {
    return this.transport.close();
  }
}
