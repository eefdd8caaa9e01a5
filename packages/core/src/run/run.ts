/**
 * The one run loop: step a {@link Machine} until its own terminal condition, a stopping
 * criterion or a callback stops it. Used by the solvers (lower level), the optimizers (upper
 * level) and the app; `runAsync` is the same loop yielding to the event loop between steps.
 * @module
 */
import { z } from 'zod';
import type { Certificate, StopReason } from '../contracts/solver.js';
import { ValidationError } from '../errors.js';
import { parseOrThrow, positiveInt } from '../validate.js';
import { haltOf, type CertifiedMachine, type Machine } from './machine.js';
import { maxIterations, type StoppingCriterion } from './stopping.js';

/** What a callback sees after each step. */
export interface StepEvent<S, R = unknown, C extends Certificate = Certificate> {
  /** Steps done in this `run` call, this one included. */
  readonly iterations: number;
  /** The state after the step. */
  readonly state: S;
  /** The step's record. */
  readonly record: R;
  /** The certificate of this iteration when one was computed (every `certificateEvery`), else `undefined`. */
  readonly certificate: C | undefined;
  /** Milliseconds since this `run` call started. */
  readonly elapsedMs: number;
  /**
   * The terminal condition the machine reported after this step (`'diverged'`, …), else
   * `undefined`; the run stops with it after the callbacks. A checkpoint callback must not save
   * a `'diverged'` state.
   */
  readonly halt: StopReason | undefined;
}

/** Outcome of {@link run} / {@link runAsync}. */
export interface RunResult<S, R = unknown, C = Certificate | undefined> {
  /** The final state (the object that was passed in, advanced). */
  readonly state: S;
  /** Why the run stopped. */
  readonly reason: StopReason;
  /** Certificate of the final state (always current; `undefined` for a machine without certificates). */
  readonly certificate: C;
  /** Steps done in this run. */
  readonly iterations: number;
  /** Wall time of this run in milliseconds. */
  readonly elapsedMs: number;
  /** The record of the last step of this run (`undefined` when no step was taken). */
  readonly record: R | undefined;
}

/**
 * Hooks of a run (a JSON-lines log, a progress bar, checkpoints, a status file). Callbacks run
 * in the order given; a callback returning a promise is awaited by {@link runAsync} and
 * rejected by {@link run}.
 */
export interface RunCallbacks<S, R = unknown, C extends Certificate = Certificate> {
  /**
   * Whether `onStep` reads `event.certificate` (default true: certificates are then computed
   * every `certificateEvery` iterations, as for a stop criterion that reads them).
   */
  readonly usesCertificate?: boolean;
  /** After every step, before the stop criteria; return a `StopReason` to stop the run. */
  onStep?(event: StepEvent<S, R, C>): StopReason | void | Promise<StopReason | void>;
  /** Once, when the run stops (not when a step or callback throws). */
  onStop?(result: RunResult<S, R, C | undefined>): void | Promise<void>;
}

/** Options of {@link run} / {@link runAsync}. */
export interface RunOptions<S, R = unknown, C extends Certificate = Certificate> {
  /** When to stop (default `maxIterations(1000)`). */
  readonly stop?: StoppingCriterion<NoInfer<S>, NoInfer<R>>;
  /**
   * Compute a certificate every `m` iterations (default 10: certificates cost extra operator
   * applications, docs/math/piggyback.md#stopping-and-cost). Computed only when `stop` or a
   * callback reads them.
   */
  readonly certificateEvery?: number;
  /** Hooks after every step and at the stop. */
  readonly callbacks?: RunCallbacks<NoInfer<S>, NoInfer<R>, NoInfer<C>> | readonly RunCallbacks<NoInfer<S>, NoInfer<R>, NoInfer<C>>[];
}

const runOptionsSchema = z.object({
  certificateEvery: positiveInt.default(10),
  stop: z.custom<StoppingCriterion>((v) => typeof v === 'object' && v !== null && typeof (v as StoppingCriterion).check === 'function', 'must be a stopping criterion (maxIterations(n), tolerance(eps), anyOf(…), …)').optional(),
});

/** Every `StopReason` (a callback may return one of these, or nothing). */
const STOP_REASONS: Readonly<Record<StopReason, true>> = {
  converged: true,
  'max-iterations': true,
  'time-limit': true,
  aborted: true,
  budget: true,
  diverged: true,
  breakdown: true,
};

/** The stop a callback's `onStep` requested: `undefined` or a `StopReason`; anything else is a mistake. */
function requestedStop(value: unknown): StopReason | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && Object.hasOwn(STOP_REASONS, value)) return value as StopReason;
  throw new ValidationError(
    `run: a callback's onStep returned ${JSON.stringify(value)}; return a StopReason (${Object.keys(STOP_REASONS).join(', ')}) to stop, or nothing`,
  );
}

/** A point where the loop waits: a callback's result (maybe a promise), or a turn of the event loop. */
type Pause = { readonly kind: 'result'; readonly value: unknown } | { readonly kind: 'tick' };

/** The pause between steps of {@link runAsync} (one object: nothing is allocated per step). */
const TICK: Pause = { kind: 'tick' };

/**
 * The loop of {@link run} and {@link runAsync}, written once for both drivers; `ticks`: pause
 * for the event loop after every step that does not stop the run.
 */
function* loop<S, R, C extends Certificate>(
  machine: Machine<S, R, C>,
  state: S,
  options: RunOptions<S, R, C>,
  ticks: boolean,
): Generator<Pause, RunResult<S, R, C | undefined>, unknown> {
  const { certificateEvery: m } = parseOrThrow(runOptionsSchema, { certificateEvery: options.certificateEvery, stop: options.stop }, 'run options');
  const stop = options.stop ?? (maxIterations(1000) as StoppingCriterion<S, R>);
  const callbacks = options.callbacks === undefined ? [] : Array.isArray(options.callbacks) ? options.callbacks : [options.callbacks as RunCallbacks<S, R, C>];
  const certify = machine.certificate ? (s: S): C => machine.certificate!(s) : undefined;
  if (!certify && stop.usesCertificate) {
    throw new ValidationError(`run: the stop criterion (${stop.description}) reads certificates, but this machine has none`);
  }
  const stepCallbacks = callbacks.filter((c) => c.onStep !== undefined);
  const wantCertificates = certify !== undefined && (stop.usesCertificate || stepCallbacks.some((c) => c.usesCertificate !== false));
  const t0 = performance.now();
  let k = 0;
  let record: R | undefined;
  let last: C | undefined;
  let lastAt = -1;
  let reason: StopReason;
  for (;;) {
    let fresh: C | undefined;
    if (wantCertificates && k % m === 0) {
      fresh = certify!(state);
      last = fresh;
      lastAt = k;
    }
    const halt = haltOf(machine, state, record);
    if (k > 0) {
      let requested: StopReason | undefined;
      if (stepCallbacks.length > 0) {
        const event: StepEvent<S, R, C> = { iterations: k, state, record: record as R, certificate: fresh, elapsedMs: performance.now() - t0, halt };
        for (const c of stepCallbacks) {
          const r = requestedStop(yield { kind: 'result', value: c.onStep!(event) });
          requested ??= r; // every callback sees every step; the first request wins
        }
      }
      if (halt) {
        reason = halt;
        break;
      }
      if (requested) {
        reason = requested;
        break;
      }
      if (ticks) yield TICK;
    } else if (halt) {
      reason = halt;
      break;
    }
    const r = stop.check({ iterations: k, state, elapsedMs: performance.now() - t0, certificate: fresh, record });
    if (r) {
      reason = r;
      break;
    }
    record = machine.step(state);
    k++;
  }
  const certificate = certify ? (lastAt === k && last !== undefined ? last : certify(state)) : undefined;
  const result: RunResult<S, R, C | undefined> = { state, reason, certificate, iterations: k, elapsedMs: performance.now() - t0, record };
  for (const c of callbacks) if (c.onStop) yield { kind: 'result', value: c.onStop(result) };
  return result;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';

/**
 * Advance `state` with `machine.step` until the machine halts (its `halted`, or the state's
 * `halt`: `'diverged'`, `'breakdown'`, `'converged'`), a callback returns a `StopReason`, or
 * `options.stop` fires:
 * ```
 * k = 0
 * loop:  if certificates wanted and k mod m = 0: c = certificate(state)
 *        h = halted(state, record) ?? state.halt
 *        if k > 0: r = onStep({ k, state, record, c, h }) of each callback, in order
 *                  if h: stop with h;  if r: stop with r;  (runAsync: yield to the event loop)
 *        else if h: stop with h
 *        if stop.check({ k, state, elapsed, c, record }): stop
 *        record = step(state); k++
 * final certificate (computed unless current); onStop(result) of each callback
 * ```
 * A certificate is checked at `k = 0`, so an already converged warm start takes no step; the
 * machine's own terminal condition wins over a callback's and a criterion's reason.
 * Synchronous: a callback that returns a promise throws a `TypeError` (use {@link runAsync}).
 */
export function run<S, R, C extends Certificate>(machine: CertifiedMachine<S, R, C>, state: S, options?: RunOptions<S, R, C>): RunResult<S, R, C>;
/** {@link run} of a machine without certificates (`result.certificate` is `undefined`). */
export function run<S, R>(machine: Machine<S, R>, state: S, options?: RunOptions<S, R>): RunResult<S, R, undefined>;
export function run<S, R, C extends Certificate>(machine: Machine<S, R, C>, state: S, options: RunOptions<S, R, C> = {}): RunResult<S, R, C | undefined> {
  const it = loop(machine, state, options, false);
  let next = it.next();
  while (!next.done) {
    const p = next.value;
    if (p.kind === 'result' && isThenable(p.value)) {
      throw new TypeError('run: a callback returned a promise; use runAsync for asynchronous callbacks (e.g. checkpoint saves)');
    }
    next = it.next(p.kind === 'result' ? p.value : undefined);
  }
  return next.value;
}

/**
 * {@link run} for long runs in an event loop: identical trajectory, but it yields to the event
 * loop after every step (so a Ctrl-C handler can abort an `abortSignal` criterion, seen before
 * the next step) and awaits callbacks that return promises (asynchronous checkpoint saves).
 * A step or callback that throws rejects the promise (no `onStop`).
 */
export function runAsync<S, R, C extends Certificate>(machine: CertifiedMachine<S, R, C>, state: S, options?: RunOptions<S, R, C>): Promise<RunResult<S, R, C>>;
/** {@link runAsync} of a machine without certificates (`result.certificate` is `undefined`). */
export function runAsync<S, R>(machine: Machine<S, R>, state: S, options?: RunOptions<S, R>): Promise<RunResult<S, R, undefined>>;
export async function runAsync<S, R, C extends Certificate>(
  machine: Machine<S, R, C>,
  state: S,
  options: RunOptions<S, R, C> = {},
): Promise<RunResult<S, R, C | undefined>> {
  const it = loop(machine, state, options, true);
  let next = it.next();
  while (!next.done) {
    const p = next.value;
    next = it.next(p.kind === 'result' ? await p.value : await yieldToEventLoop());
  }
  return next.value;
}

function yieldToEventLoop(): Promise<undefined> {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  return new Promise((resolve) => (g.setImmediate ? g.setImmediate(() => resolve(undefined)) : setTimeout(() => resolve(undefined), 0)));
}
