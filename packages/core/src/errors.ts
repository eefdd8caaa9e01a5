/**
 * Typed errors. Every error says what was wrong and, where possible, how to fix it.
 * @module
 */

/** Base class of every error thrown by bilevel packages. */
export class BilevelError extends Error {
  override readonly name: string = 'BilevelError';
}

/** Invalid user input: options, configs, step sizes or data rejected at a public boundary. */
export class ValidationError extends BilevelError {
  override readonly name: string = 'ValidationError';
  /**
   * @param message what was wrong and how to fix it
   * @param issues one line per violated constraint, each naming the offending option path
   */
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Array lengths or tensor shapes that do not match an operator's domain or range. */
export class ShapeError extends ValidationError {
  override readonly name: string = 'ShapeError';
}

/** A NaN or infinity appeared in a computation (e.g. a diverging iteration). */
export class NumericalError extends BilevelError {
  override readonly name: string = 'NumericalError';
}

/** An iterative method failed to reach its tolerance within its budget when that was required. */
export class ConvergenceError extends BilevelError {
  override readonly name: string = 'ConvergenceError';
}

/**
 * A file or folder could not be read, written or created. The message names the path, says
 * what the file system reported in words (with the error code) and how to fix it; see
 * `fileSystemError`.
 */
export class FileSystemError extends BilevelError {
  override readonly name: string = 'FileSystemError';
  /**
   * @param message what failed, the path, the cause and a fix
   * @param path the file or folder concerned
   * @param code the system error code (`ENOENT`, `EACCES`, …), when there is one
   */
  constructor(
    message: string,
    readonly path: string,
    readonly code?: string,
  ) {
    super(message);
  }
}
