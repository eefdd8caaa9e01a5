/**
 * Step-size and accuracy schedules of inexact stochastic gradient descent (arXiv 2412.12049;
 * the authors' `train.py` `update_lr_tol`; docs/math/inexact-sgd.md#schedules).
 * @module
 */
import { z } from '@bilevel/core';

/**
 * A decay schedule `a_k = a₀ · s(k)` over the global iteration counter `k = 0, 1, …`:
 *
 * - `constant`: `s(k) = 1` (the authors' code default, `p = q = 0`);
 * - `poly`: `s(k) = (k + 1)^(−exponent)` (ISGD `poly-poly`; Robbins–Monro for steps needs
 *   `exponent ∈ (1/2, 1]`, the code comment "q should be greater than 0.5 and less than 1");
 * - `log`: `s(k) = ln(k + offset)^(−exponent)`, with `offset` default `e` so that `s(0) = 1`.
 *   The authors' `poly-log` / `log-log` use `ln(k + 1)`, which is singular at `k = 0`
 *   (their code special-cases the first batch); the offset removes that singularity.
 */
export type Schedule =
  | { readonly kind: 'constant' }
  | { readonly kind: 'poly'; readonly exponent: number }
  | { readonly kind: 'log'; readonly exponent: number; readonly offset?: number };

/** zod schema of a {@link Schedule} (exponent `≥ 0`, log offset `> 1`). */
export const scheduleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('constant') }),
  z.strictObject({ kind: z.literal('poly'), exponent: z.number().finite().nonnegative() }),
  z.strictObject({
    kind: z.literal('log'),
    exponent: z.number().finite().nonnegative(),
    offset: z.number().finite().gt(1, 'log offset must be > 1 so that ln(k + offset) > 0').optional(),
  }),
]);

/** The constant schedule. */
export const constantSchedule: Schedule = { kind: 'constant' };

/** `a_k = a₀ · s(k)` for the {@link Schedule} `schedule` (see there for `s`). */
export function scheduleValue(a0: number, schedule: Schedule, k: number): number {
  switch (schedule.kind) {
    case 'constant':
      return a0;
    case 'poly':
      return a0 * Math.pow(k + 1, -schedule.exponent);
    case 'log':
      return a0 * Math.pow(Math.log(k + (schedule.offset ?? Math.E)), -schedule.exponent);
  }
}
