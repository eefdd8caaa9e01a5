/**
 * The default line writer of the app (stdout).
 * @module
 */

/** Write one line to stdout. */
export function stdoutLine(line: string): void {
  process.stdout.write(`${line}\n`);
}
