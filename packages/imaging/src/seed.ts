/**
 * Where randomness enters: an integer seed or a running {@link Rng} stream.
 * @module
 */
import { Rng, ValidationError } from '@bilevel/core';

/**
 * A source of randomness: an integer seed (a fresh `Rng.seeded(seed)`, so equal seeds give
 * equal results) or an `Rng` from `@bilevel/core` (its stream is advanced, so successive calls
 * differ and the state can be checkpointed).
 */
export type Seed = number | Rng;

/** The `Rng` for a {@link Seed}; `what` names the option in the error for anything else. */
export function toRng(seed: Seed, what: string): Rng {
  if (seed instanceof Rng) return seed;
  if (typeof seed === 'number' && Number.isInteger(seed)) return Rng.seeded(seed);
  throw new ValidationError(`${what}: seed must be an integer or an Rng from @bilevel/core, got ${String(seed)}; pass e.g. { seed: 0 }`);
}
