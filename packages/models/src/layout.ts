/**
 * The θ layout of a model: named blocks of parameters with their links (how a block maps to the
 * quantity it parametrises, e.g. `exp` for positive weights) — the one place a model's
 * parameter vector is described.
 * @module
 */
import { ValidationError } from '@bilevel/core';

/** How a block of θ maps to what it parametrises: `identity`, or `exp` (a positive quantity `e^θ`). */
export type Link = 'identity' | 'exp';

/** One named block of θ. */
export interface ThetaBlock {
  /** Block name, e.g. `log_weight` or `kernels`. */
  readonly name: string;
  /** Number of entries. */
  readonly size: number;
  /** The link of every entry of the block. */
  readonly link: Link;
  /** What the block is, for reports and docs. */
  readonly description: string;
  /** Name of entry `i` (default `name` for a single entry, `name[i]` otherwise). */
  readonly entry?: (i: number) => string;
}

/** The blocks of θ in order, with offsets and entry names. */
export interface ThetaLayout {
  /** The blocks, in order. */
  readonly blocks: readonly ThetaBlock[];
  /** Total number of entries of θ. */
  readonly length: number;
  /** One name per entry of θ. */
  names(): string[];
  /** Offset and size of the block named `name` (a `ValidationError` if there is none). */
  block(name: string): { readonly offset: number; readonly size: number };
}

/** A {@link ThetaLayout} from its blocks (names must be unique, sizes ≥ 0 integers). */
export function thetaLayout(blocks: readonly ThetaBlock[]): ThetaLayout {
  const offsets = new Map<string, { offset: number; size: number }>();
  let length = 0;
  for (const b of blocks) {
    if (offsets.has(b.name)) throw new ValidationError(`thetaLayout: block '${b.name}' appears twice`);
    if (!Number.isInteger(b.size) || b.size < 0) throw new ValidationError(`thetaLayout: block '${b.name}' has size ${b.size}; sizes are integers ≥ 0`);
    offsets.set(b.name, { offset: length, size: b.size });
    length += b.size;
  }
  return {
    blocks,
    length,
    names: () => blocks.flatMap((b) => Array.from({ length: b.size }, (_, i) => (b.entry ? b.entry(i) : b.size === 1 ? b.name : `${b.name}[${i}]`))),
    block(name) {
      const o = offsets.get(name);
      if (!o) throw new ValidationError(`thetaLayout: no block '${name}' (blocks: ${blocks.map((b) => b.name).join(', ')})`);
      return o;
    },
  };
}
