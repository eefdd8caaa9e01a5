/**
 * zod fields the oracles' option schemas share, so that a model, a loss and a PDHG step rule are
 * checked the same way by every oracle that takes them.
 * @module
 */
import { z, type Loss, type SaddleModel } from '@bilevel/core';
import type { PdhgStepOptions } from '@bilevel/solvers';

/** The upper-level loss `ℓ(x; x†)` (an object with a `gradient`). */
export const lossOption = z.custom<Loss>((l) => typeof l === 'object' && l !== null && 'gradient' in l, 'must be a Loss');

/**
 * The fields of an oracle on a saddle-form lower level (piggyback, unrolled): the learnable saddle
 * model (θ = [K.params, fStar.params]), the upper-level loss, and the PDHG step rule (constant
 * steps, `scheme` `plain` or `linear`; default `{}`).
 */
export const saddleOracleFields = {
  model: z.custom<SaddleModel>((m) => typeof m === 'object' && m !== null && 'K' in m && 'fStar' in m, 'must be a SaddleModel'),
  loss: lossOption,
  steps: z.custom<PdhgStepOptions>((v) => typeof v === 'object' && v !== null, 'must be PDHG step options').default({}),
};
