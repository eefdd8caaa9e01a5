/**
 * The line writers of the app on the process streams. A reader that goes away (`bilevel train
 * … | head -2`: EPIPE) is not an error of the app: the stream is marked closed, later lines to it
 * are dropped, and listeners are told (training then stops cleanly with a checkpoint).
 * @module
 */

/** Where the CLI writes (defaults: process stdout/stderr). */
export interface CliIo {
  /** Normal output (one call per line, without the newline). */
  readonly out: (line: string) => void;
  /** Errors and warnings. */
  readonly err: (line: string) => void;
  /**
   * Register a listener called once when stdout or stderr is closed by its reader (EPIPE);
   * returns the function that removes it. Absent for in-memory writers, which never close.
   */
  readonly onClosed?: (listener: (stream: OutputStream) => void) => () => void;
}

/** The two output streams of a process. */
export type OutputStream = 'stdout' | 'stderr';

let shared: CliIo | undefined;

/**
 * The {@link CliIo} on `process.stdout` / `process.stderr` (one per process). Any error of a
 * stream (EPIPE when the reader has gone) closes it quietly: no stack trace, no more writes.
 */
export function processIo(): CliIo {
  if (shared) return shared;
  const closed = new Set<OutputStream>();
  const listeners = new Set<(stream: OutputStream) => void>();
  const streams = { stdout: process.stdout, stderr: process.stderr } as const;
  for (const name of ['stdout', 'stderr'] as const) {
    streams[name].on('error', () => {
      if (closed.has(name)) return;
      closed.add(name);
      for (const l of [...listeners]) l(name);
    });
  }
  const writer = (name: OutputStream) => (line: string) => {
    if (!closed.has(name)) streams[name].write(`${line}\n`);
  };
  shared = {
    out: writer('stdout'),
    err: writer('stderr'),
    onClosed: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  return shared;
}

/** Write one line to stdout (through {@link processIo}, so a closed pipe is quiet). */
export function stdoutLine(line: string): void {
  processIo().out(line);
}
