/**
 * The run loop and its parts.
 * @module
 */
export type { Machine, CertifiedMachine, HaltableState } from './machine.js';
export {
  maxIterations,
  untilIteration,
  tolerance,
  wallTime,
  abortSignal,
  budget,
  maxTotalIterations,
  when,
  anyOf,
  allOf,
  type StopContext,
  type StoppingCriterion,
} from './stopping.js';
export { run, runAsync, type RunOptions, type RunResult, type RunCallbacks, type StepEvent } from './run.js';
export { checkpointEvery, type CheckpointEveryOptions } from './checkpoint.js';
