/**
 * How a running `bilevel train` is stopped: the first Ctrl-C (SIGINT), SIGTERM or closed output
 * pipe aborts the signal given to the training loop, which stops after the current iteration and
 * writes a checkpoint (one upper-level iteration: well under a second for small experiments); a
 * second signal quits at once, and the run's exit hook still marks `run.json` interrupted.
 * @module
 */
import type { CliIo } from './output.js';

/** Why a run was asked to stop: a signal (Ctrl-C, SIGTERM) or a closed output pipe. */
export type InterruptCause = 'signal' | 'pipe';

/** The stop requests of one command. */
export interface Interrupts {
  /** Aborted on the first request. */
  readonly signal: AbortSignal;
  /** Why (undefined while none came). */
  reason(): InterruptCause | undefined;
  /** Remove the signal and pipe listeners. */
  dispose(): void;
}

/**
 * Listen for SIGINT, SIGTERM and a closed stdout/stderr (`io.onClosed`) until `dispose()`.
 * @param io where the notices go (stderr; nothing when it is the closed stream)
 * @param quitCode exit code of the second signal (130)
 */
export function watchInterrupts(io: CliIo, quitCode: number): Interrupts {
  const controller = new AbortController();
  let reason: InterruptCause | undefined;
  // notices go to stderr only (stdout may carry --json); a closed stderr drops them quietly
  const notice = (line: string): void => io.err(line);
  const quitNow = (): never => {
    notice('second interrupt: quitting now; the run is marked interrupted at its last checkpoint (continue with --resume)');
    process.exit(quitCode);
  };
  const onSignal = (): void => {
    if (controller.signal.aborted) quitNow();
    reason = 'signal';
    controller.abort();
    notice('\ninterrupt: stopping after the current iteration and writing a checkpoint (Ctrl-C again to quit at once)');
  };
  const offClosed = io.onClosed?.((stream) => {
    if (controller.signal.aborted) return;
    reason = 'pipe';
    controller.abort();
    notice(`${stream} was closed by its reader: stopping after the current iteration and writing a checkpoint (continue with --resume)`);
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    reason: () => reason,
    dispose: () => {
      // After a signal the process is winding down: a late second signal must still quit with
      // `quitCode`, not be killed by the default action (no exit code, no notice). The late
      // handlers go on before the others come off: a signal with no listener at all, even for an
      // instant, would get the default action, since removing the last listener restores it.
      if (reason === 'signal') {
        process.once('SIGINT', quitNow);
        process.once('SIGTERM', quitNow);
      }
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      offClosed?.();
    },
  };
}
