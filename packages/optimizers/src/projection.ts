/**
 * Projection hooks applied to θ after every update (ISGD: FoE filters re-projected to zero mean
 * after each step, docs/math/regularizers.md#projections; ICNN: non-negative weights by clamping).
 * A hook maps θ to a point of the constraint set in place; hooks compose left to right.
 * @module
 */
import { ValidationError, subtractGroupMeans } from '@bilevel/core';
import type { ParamLayout } from './params.js';

/**
 * An in-place projection `θ ← P(θ)` onto a constraint set. Must be deterministic (it is part
 * of the trajectory) and idempotent (`P(P(θ)) = P(θ)`).
 */
export type Projection = (theta: Float64Array) => void;

/** Which part of θ a projection acts on: named blocks of a layout (default: all of θ). */
export interface BlockTarget {
  /** The layout that names the blocks. */
  readonly layout: ParamLayout;
  /** One block name or several. */
  readonly blocks: string | readonly string[];
}

function ranges(target: BlockTarget | undefined): ((theta: Float64Array) => [number, number][]) {
  if (!target) return (theta) => [[0, theta.length]];
  const names = typeof target.blocks === 'string' ? [target.blocks] : target.blocks;
  const r = names.map((n) => {
    const b = target.layout.block(n);
    return [b.offset, b.offset + b.length] as [number, number];
  });
  return (theta) => {
    target.layout.checkLength(theta);
    return r;
  };
}

/** The composition `P_k ∘ … ∘ P_1` (applied in the given order). */
export function composeProjections(...projections: readonly Projection[]): Projection {
  const ps = [...projections];
  return (theta) => {
    for (const p of ps) p(theta);
  };
}

/** Euclidean projection onto `θ_i ≥ 0` on the target (clamping, as the ICNN `W_z ≥ 0` constraint). */
export function nonnegativeProjection(target?: BlockTarget): Projection {
  return boxProjection(0, Infinity, target);
}

/** Euclidean projection onto the box `lower ≤ θ_i ≤ upper` on the target (HOAG clamps θ to `[−1000, 1000]`). */
export function boxProjection(lower: number, upper: number, target?: BlockTarget): Projection {
  if (Number.isNaN(lower) || Number.isNaN(upper) || !(lower <= upper)) {
    throw new ValidationError(`boxProjection: need lower ≤ upper, got lower=${lower}, upper=${upper}`);
  }
  const rs = ranges(target);
  return (theta) => {
    for (const [a, b] of rs(theta)) {
      for (let i = a; i < b; i++) {
        const v = theta[i]!;
        if (v < lower) theta[i] = lower;
        else if (v > upper) theta[i] = upper;
      }
    }
  };
}

/**
 * Euclidean projection onto zero-mean groups: each consecutive group of `groupSize` entries of
 * every target block gets its mean subtracted (e.g. one group per `C×k×k` filter; the ISGD
 * code's FoE `zero_mean()`). `groupSize` defaults to the whole block and must divide each block's length.
 */
export function zeroMeanProjection(target: BlockTarget, options: { readonly groupSize?: number } = {}): Projection {
  const names = typeof target.blocks === 'string' ? [target.blocks] : target.blocks;
  const blocks = names.map((n) => {
    const b = target.layout.block(n);
    const g = options.groupSize ?? b.length;
    if (!Number.isInteger(g) || g < 1 || b.length % g !== 0) {
      throw new ValidationError(`zeroMeanProjection: groupSize ${g} must be a positive integer dividing block '${n}' length ${b.length}`);
    }
    return { offset: b.offset, count: b.length / g, size: g };
  });
  return (theta) => {
    target.layout.checkLength(theta);
    for (const b of blocks) subtractGroupMeans(theta, b.offset, b.count, b.size);
  };
}
