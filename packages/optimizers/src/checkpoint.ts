/**
 * Restoring an optimizer from a checkpoint alone (the CLI's `--resume`), and the JSON-lines
 * form of step records.
 * @module
 */
import { ValidationError, parseOrThrow, stringifyJson, z } from '@bilevel/core';
import { decodeJson } from './codec.js';
import { gradientDescent, type GradientDescentOptions } from './gd.js';
import { isgd, type IsgdOptions } from './isgd.js';
import { adaptivePiggyback, maid, type MaidOptions } from './maid.js';
import type { Projection } from './projection.js';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type Checkpoint, type Optimizer, type OptimizerState } from './types.js';

const envelope = z.object({
  format: z.literal(CHECKPOINT_FORMAT, `must be '${CHECKPOINT_FORMAT}' (not an optimizer checkpoint)`),
  version: z.literal(CHECKPOINT_VERSION, `must be ${CHECKPOINT_VERSION} (unsupported checkpoint version)`),
  method: z.enum(['gd', 'maid', 'adaptive-piggyback', 'isgd', 'iadam']),
  options: z.record(z.string(), z.unknown()),
  state: z.unknown(),
});

/** Check that `value` has the shape of a {@link Checkpoint} (e.g. after `JSON.parse`); throws a `ValidationError`. */
export function parseCheckpoint(value: unknown): Checkpoint {
  return parseOrThrow(envelope, value, 'checkpoint') as Checkpoint;
}

/**
 * Rebuild the optimizer that wrote `checkpoint` (from the options stored in it) and its state,
 * ready to continue the same trajectory. Projection hooks are functions and are not stored:
 * pass the same ones again in `extras.project`.
 */
export function restoreOptimizer(
  checkpoint: Checkpoint, extras: { readonly project?: Projection | readonly Projection[] } = {},
): { optimizer: Optimizer<OptimizerState>; state: OptimizerState } {
  const c = parseCheckpoint(checkpoint);
  const decoded = decodeJson(c.options);
  if (typeof decoded !== 'object' || decoded === null) throw new ValidationError('checkpoint: options must be an object');
  const { method: _m, ...opts } = decoded as Record<string, unknown>;
  const withHooks = extras.project !== undefined ? { ...opts, project: extras.project } : opts;
  let optimizer: Optimizer<OptimizerState>;
  switch (c.method) {
    case 'gd':
      optimizer = gradientDescent(withHooks as unknown as GradientDescentOptions) as Optimizer<OptimizerState>;
      break;
    case 'maid':
      optimizer = maid(withHooks as MaidOptions) as Optimizer<OptimizerState>;
      break;
    case 'adaptive-piggyback':
      optimizer = adaptivePiggyback(withHooks as MaidOptions) as Optimizer<OptimizerState>;
      break;
    case 'isgd':
    case 'iadam':
      optimizer = isgd(withHooks as unknown as IsgdOptions) as Optimizer<OptimizerState>;
      break;
  }
  return { optimizer, state: optimizer.restore(c) };
}

/**
 * One JSON line (no trailing newline) for a record or any JSON-like object, by `stringifyJson` of
 * `@bilevel/core`: non-finite numbers (a diverged loss, an infinite bound) are written as the
 * strings `"NaN"`, `"Infinity"`, `"-Infinity"` instead of `null`, and `readJsonl` (`@bilevel/optimizers/node`) reads them
 * back as numbers.
 */
export function toJsonLine(value: unknown): string {
  return stringifyJson(value);
}
