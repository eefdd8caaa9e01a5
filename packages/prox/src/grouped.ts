/**
 * The common base of the grouped functionals with per-block positive parameters (group norms,
 * ball indicators, group Huber and its conjugate, the grouped smoothed norm): shape, group
 * layout, the parameter block and its names, and `setParams`.
 *
 * Parameter layout: for parameter names `[p, q]` and `B` blocks, `params = [p_0 … p_{B−1},
 * q_0 … q_{B−1}]`, named `p`, `q` when `B = 1` and `p[b]`, `q[b]` otherwise. Parameters are the
 * positive quantities themselves (no log reparametrisation here; the regularizers reparametrise
 * by `exp`), and every parameter derivative is taken with respect to them.
 * @module
 */
import type { z } from '@bilevel/core';
import { formatShape, parseOptions, shapeSchema, type Shape } from '@bilevel/core';
import { groupLayout, type GroupLayout } from './groups.js';
import { blockCount, blockNames, checkPositiveParams, ensure, perBlock, positiveInteger } from '@bilevel/core';

/** Shape, group size and per-block values shared by the options of the grouped functionals. */
export interface GroupedOptions {
  /** Shape of the argument, e.g. `[2, C, H, W]` for the range of the 2-D gradient. */
  readonly shape: Shape;
  /**
   * Entries per group `G` (default 1: elementwise). Group `j` is `{j, j + N, …, j + (G−1)N}`
   * with `N = n/G`; see `groups.ts`.
   */
  readonly groupSize?: number;
}

/** The zod fields of {@link GroupedOptions}, spread into each grouped functional's options schema. */
export const groupedOptionsShape = { shape: shapeSchema, groupSize: positiveInteger.optional() };

/**
 * The options of the elementwise case (groups of one entry: `L1`, `LInfBall`, `Huber`) of a
 * grouped functional: `options` checked against the functional's `schema` without `groupSize`
 * (an option of that name is refused), with `groupSize` 1.
 */
export function elementwiseOptions<S extends z.ZodObject<typeof groupedOptionsShape>>(
  schema: S,
  options: unknown,
  what: string,
): Omit<z.output<S>, 'groupSize'> & { groupSize: 1 } {
  const o = parseOptions(schema.omit({ groupSize: true }), options, what) as Omit<z.output<S>, 'groupSize'>;
  return { ...o, groupSize: 1 };
}

/** Base class: layout, positive per-block parameters, names and `setParams`. */
export abstract class GroupedFunctional {
  /** Shape of the argument. */
  readonly shape: Shape;
  /** Group and block sizes. */
  readonly layout: GroupLayout;
  /** The positive parameters, `[p_0 … p_{B−1}, q_0 …]` (see the module comment). */
  readonly params: Float64Array;
  private readonly names: readonly string[];

  /**
   * @param what class name for messages
   * @param shape validated shape
   * @param groupSize entries per group
   * @param bases parameter base names, e.g. `['alpha', 'epsilon']`
   * @param values one value (shared) or one per block, for each base name
   */
  protected constructor(
    what: string,
    shape: Shape,
    groupSize: number,
    bases: readonly string[],
    values: readonly (number | ArrayLike<number>)[],
  ) {
    ensure(shapeSchema.safeParse(shape).success, `${what}: shape must be a non-empty list of positive integers, got ${String(shape)}`);
    this.shape = Object.freeze([...shape]);
    const blocks = blockCount(what, values);
    this.layout = groupLayout(`${what} (shape ${formatShape(shape)})`, shape, groupSize, blocks);
    this.params = new Float64Array(bases.length * blocks);
    bases.forEach((b, k) => this.params.set(perBlock(`${what} ${b}`, values[k]!, blocks), k * blocks));
    this.names = Object.freeze(blockNames(bases, blocks));
  }

  /**
   * `max_b p_b / q_b` over the blocks, with `p`, `q` the parameter families at `num`, `den`
   * (e.g. the gradient Lipschitz constant `max_b α_b/ε_b` of a Huber potential).
   */
  protected maxBlockRatio(num: number, den: number): number {
    const B = this.layout.blocks;
    let r = 0;
    for (let b = 0; b < B; b++) r = Math.max(r, this.params[num * B + b]! / this.params[den * B + b]!);
    return r;
  }

  /** One name per entry of `params`. */
  paramNames(): readonly string[] {
    return this.names;
  }

  /** Copy `theta` into `params` (every entry must be finite and `> 0`). */
  setParams(theta: ArrayLike<number>): void {
    checkPositiveParams(this.constructor.name, theta, this.names);
    this.params.set(theta);
  }
}
