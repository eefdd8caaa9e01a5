/**
 * Errors across threads and machines: an error becomes `{ name, message }` where it happens and
 * is thrown again on the trainer with its class, so a diverged solve on a worker reads the same
 * as one inline.
 * @module
 */
import { BilevelError, ConvergenceError, NumericalError, ShapeError, ValidationError, threadErrorData } from '@bilevel/core';

/** An error as data. */
export interface ErrorData {
  /** The error's class name. */
  readonly name: string;
  /** Its message. */
  readonly message: string;
}

const CLASSES: Readonly<Record<string, new (message: string) => BilevelError>> = { NumericalError, ValidationError, ShapeError, ConvergenceError };

/** The data of any thrown value (its name and message; the stack stays where it happened). */
export function errorData(e: unknown): ErrorData {
  const { name, message } = threadErrorData(e);
  return { name, message };
}

/** The error of `data` with its class (`NumericalError`, …; `BilevelError` for others). */
export function errorFromData(data: ErrorData): BilevelError {
  return new (CLASSES[data.name] ?? BilevelError)(data.message);
}
