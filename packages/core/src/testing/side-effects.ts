/**
 * Side-effect checks: inputs are never mutated, and `out === input` gives the same result as a
 * separate output where an implementation allows aliasing (pyxu `test_transparent_*`, CIL
 * `test_out_in_place.py`).
 * @module
 */
import type { Vec } from '../vec.js';

/** Indices of the inputs that `call` modified (empty when none were touched). */
export function mutatedInputs(call: (...inputs: Vec[]) => unknown, inputs: readonly Vec[]): number[] {
  const before = inputs.map((x) => Float64Array.from(x));
  call(...inputs);
  const changed: number[] = [];
  inputs.forEach((x, k) => {
    const b = before[k]!;
    for (let i = 0; i < x.length; i++) {
      if (!Object.is(x[i], b[i])) {
        changed.push(k);
        return;
      }
    }
  });
  return changed;
}

/**
 * Maximum absolute difference between `fn(input, separateOut)` and `fn(copy, copy)`
 * (the output written over its own input). Zero means aliasing is safe.
 */
export function aliasDiscrepancy(fn: (input: Vec, out: Vec) => Vec, input: Vec): number {
  const separate = Float64Array.from(fn(input, new Float64Array(input.length)));
  const aliased = Float64Array.from(input);
  fn(aliased, aliased);
  let m = 0;
  for (let i = 0; i < separate.length; i++) m = Math.max(m, Math.abs(separate[i]! - aliased[i]!));
  return m;
}
