/**
 * Errors of worker threads as they reach the thread that waits for them. An error does not cross
 * threads with its class, so a worker posts it as data ({@link ThreadErrorData}) and the waiting
 * thread throws one {@link BilevelError} that says what failed and what to do, with the worker's
 * error as its `cause` ({@link threadFailure}).
 * @module
 */
import { BilevelError } from './errors.js';

/** A worker thread's error as data (what the worker posts to the thread that waits for it). */
export interface ThreadErrorData {
  /** The error's name, e.g. `TypeError`. */
  readonly name: string;
  /** Its message. */
  readonly message: string;
  /** Its stack in the worker thread, when there is one. */
  readonly stack?: string;
}

/** The data of any thrown value, as a worker posts it (a non-error becomes `Error` with its string). */
export function threadErrorData(e: unknown): ThreadErrorData {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  return { name: e.name, message: e.message, ...(e.stack === undefined ? {} : { stack: e.stack }) };
}

/**
 * The waiting thread's error for a worker thread that failed: `"<who>: <what>: <name>: <message>;
 * <remedy>"` with the worker's error (name, message, its stack in the worker) as `cause`, or,
 * when the worker reported nothing (it ended before it could: Node prints that error where it
 * happened), `"<who>: <what> (see the error above); <remedy>"`.
 * @param who the component that ran the thread, e.g. `parallel engine`
 * @param what what happened, e.g. `a worker thread failed`
 * @param remedy what to do, e.g. `use threads 1`
 * @param failure the worker's error, when it reported one
 */
export function threadFailure(who: string, what: string, remedy: string, failure?: ThreadErrorData): BilevelError {
  if (!failure) return new BilevelError(`${who}: ${what} (see the error above); ${remedy}`);
  const cause = Object.assign(new Error(failure.message), { name: failure.name, ...(failure.stack === undefined ? {} : { stack: failure.stack }) });
  return new BilevelError(`${who}: ${what}: ${failure.name}: ${failure.message}; ${remedy}`, { cause });
}
