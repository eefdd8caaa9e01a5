/**
 * Checkpoints of solver states: every solver keeps its serialisable state in top-level typed
 * arrays and scalars (plus `cost`), and its derived data (problem, operator images, workspaces)
 * under `work`, which `init` recomputes.
 * @module
 */
import { ValidationError, costKeys, type Cost, type Solver, type SolverState, type Certificate } from '@bilevel/core';

/** A serialised solver state: copies of the typed arrays, the scalars and the cost counters. */
export type StateSnapshot = Record<string, Float64Array | number | string | boolean | null | Cost>;

/**
 * Copy the serialisable part of a state: every top-level `Float64Array` (copied), number,
 * string, boolean and `null`, and `cost` (copied). `work` and any other object are skipped.
 * Restore with `solver.init(problem, snapshot)` (or {@link restoreState}): the resumed run then
 * produces the same iterates as an uninterrupted one.
 */
export function serializeState(state: SolverState): StateSnapshot {
  const out: StateSnapshot = {};
  for (const [k, v] of Object.entries(state)) {
    if (v instanceof Float64Array) out[k] = v.slice();
    else if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v === null) out[k] = v;
    else if (k === 'cost') out[k] = { ...(v as Cost) };
  }
  return out;
}

/** `solver.init(problem, snapshot)`: rebuild a state from a {@link serializeState} snapshot. */
export function restoreState<P, S extends SolverState, C extends Certificate>(
  solver: Solver<P, S, C>,
  problem: P,
  snapshot: StateSnapshot,
): S {
  return solver.init(problem, snapshot as unknown as Partial<S>);
}

/** A typed array in JSON form. */
export interface JsonVec {
  /** The entries (`'NaN'`, `'Infinity'`, `'-Infinity'` as strings). */
  readonly f64: number[];
}

/** JSON form of a snapshot: typed arrays become {@link JsonVec} (float64 round-trips exactly through JSON). */
export type JsonSnapshot = Record<string, JsonVec | number | string | boolean | null | Cost>;

/** Convert a snapshot to plain JSON-ready data (`JSON.stringify` keeps every float64 exactly; NaN/Inf scalars become strings). */
export function snapshotToJson(snapshot: StateSnapshot): JsonSnapshot {
  const out: JsonSnapshot = {};
  for (const [k, v] of Object.entries(snapshot)) {
    if (v instanceof Float64Array) out[k] = { f64: Array.from(v, (x) => (Number.isFinite(x) ? x : (String(x) as unknown as number))) };
    else if (typeof v === 'number' && !Number.isFinite(v)) out[k] = String(v);
    else out[k] = v;
  }
  return out;
}

const SPECIAL: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/** Inverse of {@link snapshotToJson}. Scalars listed in `numericKeys` that were written as `'NaN'`/`'Infinity'` are restored as numbers. */
export function snapshotFromJson(json: JsonSnapshot, numericKeys: readonly string[] = ['tau', 'sigma', 'theta', 'tauLast', 'sigmaLast', 't', 'rr', 'iteration', 'backtracks']): StateSnapshot {
  const out: StateSnapshot = {};
  for (const [k, v] of Object.entries(json)) {
    if (v !== null && typeof v === 'object' && 'f64' in v) {
      const a = (v as { f64: unknown[] }).f64;
      if (!Array.isArray(a)) throw new ValidationError(`snapshot ${k}: f64 must be an array`);
      out[k] = Float64Array.from(a, (x) => (typeof x === 'number' ? x : (SPECIAL[String(x)] ?? NaN)));
    } else if (k === 'cost' && v !== null && typeof v === 'object') {
      const c = v as Cost;
      for (const key of costKeys) if (typeof c[key] !== 'number') throw new ValidationError(`snapshot cost.${key}: expected a number`);
      out[k] = { ...c };
    } else if (typeof v === 'string' && numericKeys.includes(k) && v in SPECIAL) {
      out[k] = SPECIAL[v]!;
    } else {
      out[k] = v as number | string | boolean | null;
    }
  }
  return out;
}
