/**
 * Warm starts and exact resumption of a solver state (`Solver.init(problem, warm)`).
 * @module
 */
import type { SolverState } from './contracts/solver.js';
import type { HaltableState } from './run/machine.js';
import { ShapeError } from './errors.js';
import type { Vec } from './vec.js';

/**
 * Copy a warm-start vector into `into`, checking its length; returns whether it was given.
 * Never keeps a reference to the caller's array.
 */
export function copyWarm(name: string, from: unknown, into: Vec): boolean {
  if (from === undefined || from === null) return false;
  if (!(from instanceof Float64Array)) throw new ShapeError(`warm start ${name}: expected a Float64Array`);
  if (from.length !== into.length) {
    throw new ShapeError(`warm start ${name}: expected length ${into.length}, got ${from.length}`);
  }
  into.set(from);
  return true;
}

/**
 * Copy the scalar fields `keys` of a warm start that are given, and its bookkeeping
 * (`iteration`, `cost`, `halt`), into `state` (a resumed run continues its counters).
 */
export function copyWarmScalars<S extends SolverState & HaltableState>(state: S, warm: Partial<S>, keys: readonly (keyof S & string)[] = []): void {
  for (const k of keys) {
    const v = warm[k];
    if (v !== undefined) state[k] = v as S[typeof k];
  }
  if (warm.iteration !== undefined) state.iteration = warm.iteration;
  if (warm.cost) Object.assign(state.cost, warm.cost);
  if (warm.halt !== undefined) state.halt = warm.halt;
}
