/**
 * Periodic checkpoints as a {@link RunCallbacks} of the run loop.
 * @module
 */
import { z } from 'zod';
import type { Certificate } from '../contracts/solver.js';
import { parseOrThrow } from '../validate.js';
import type { RunCallbacks } from './run.js';

/** Options of {@link checkpointEvery}. */
export interface CheckpointEveryOptions {
  /** Also save when the run stops (budget, abort, convergence; never divergence), unless just saved (default true). */
  readonly onStop?: boolean;
}

const schema = z.object({
  every: z.number().int('must be an integer').positive('must be ≥ 1'),
  save: z.custom<(state: unknown) => unknown>((v) => typeof v === 'function', 'must be a function (state) => void'),
  onStop: z.boolean().optional(),
});

/**
 * Save the state after every step that brings `state.iteration` (the state's own counter, so the
 * period continues across resumed sessions) to a multiple of `every`, and when the run stops.
 * A step after which the machine reports `'diverged'` is never saved (divergence is decided
 * before the checkpoint, so a non-finite state never replaces a good checkpoint); neither is a
 * run that stopped before its first step. `save` may return a promise (awaited by `runAsync`).
 */
export function checkpointEvery<S extends { readonly iteration: number }>(
  every: number,
  save: (state: S) => void | Promise<void>,
  options: CheckpointEveryOptions = {},
): RunCallbacks<S, unknown, Certificate> {
  parseOrThrow(schema, { every, save, ...options }, 'checkpointEvery(every, save, options)');
  const onStop = options.onStop ?? true;
  let savedState: S | undefined;
  let savedIteration = -1;
  const saveNow = (state: S): void | Promise<void> => {
    savedState = state;
    savedIteration = state.iteration;
    return save(state);
  };
  return {
    usesCertificate: false,
    onStep: (e) => (e.halt !== 'diverged' && e.state.iteration % every === 0 ? saveNow(e.state) : undefined),
    onStop: (r) => {
      const justSaved = savedState === r.state && savedIteration === r.state.iteration;
      return onStop && r.reason !== 'diverged' && r.iterations > 0 && !justSaved ? saveNow(r.state) : undefined;
    },
  };
}
