/**
 * One problem description: registered operators, functionals and losses say what they are as
 * plain data (`describe()`), so a saddle problem built from them can be matched against fused
 * kernels (docs/architecture.md#kernels-and-backends) without knowing their classes.
 * @module
 */
import type { Vec } from '../vec.js';
import type { Loss } from './loss.js';
import type { SaddleProblem } from './problem.js';

/** What a registered part says it is: a kind name and its parameters (live arrays, not copies). */
export interface KindDescription {
  /** The registered kind, e.g. `gradient-2d` (see {@link KindDescriptions}). */
  readonly kind: string;
  /** The kind's parameters. */
  readonly [field: string]: unknown;
}

/** A part (operator, functional, loss) that can describe itself. */
export interface Describable {
  /** The part as data (arrays are the live ones: describe again after `setParams`). */
  describe(): KindDescription;
}

/**
 * The registered kinds and their parameters. Arrays are the parts' own (never copied); a
 * description is valid until the part changes.
 */
export interface KindDescriptions {
  /** `Gradient2D` of `@bilevel/operators`: forward differences, range `[2, C, H, W]`, x-differences first. */
  'gradient-2d': { readonly channels: number; readonly height: number; readonly width: number; readonly boundary: 'neumann' | 'periodic' };
  /** `s·B` for a described operator `B` (e.g. `ExpScaledOperator`, `s = e^θ`). */
  scaled: { readonly scale: number; readonly base: KindDescription };
  /**
   * `ConvFilterBank` of `@bilevel/operators`: `outChannels` filters `k×k` (`kernels` laid out
   * `[out][in][row][col]`) correlated with the boundary extension of the image.
   */
  'filter-bank': {
    readonly inChannels: number;
    readonly outChannels: number;
    readonly height: number;
    readonly width: number;
    readonly kernelSize: number;
    readonly boundary: string;
    readonly kernels: Float64Array;
  };
  /**
   * `QuadraticFidelity` of `@bilevel/prox`, `g(x) = ½‖Ax − b‖² + (μ/2)‖x‖²`, with `A` the identity,
   * a diagonal (`diagonal`, masks included) or a general operator (`operator: true`).
   */
  'quadratic-fidelity': { readonly data: Vec; readonly mu: number; readonly diagonal: Vec | null; readonly operator: boolean };
  /**
   * `HuberConjugate` of `@bilevel/prox`, `f*(y) = Σ_b Σ_{j∈b} ε_b/(2α_b)‖y_j‖² + ι{‖y_j‖ ≤ α_b}`
   * over groups of `groupSize` entries `N` apart (`N` = size/groupSize), one `α`, `ε` per block.
   */
  'huber-conjugate': { readonly size: number; readonly groupSize: number; readonly alpha: Vec; readonly epsilon: Vec };
  /** `L2InfBall` of `@bilevel/prox`, `ι{‖y_j‖ ≤ r_b}` over the same groups (Huber conjugate with `ε = 0`). */
  'l2-inf-ball': { readonly size: number; readonly groupSize: number; readonly radius: Vec };
  /** `squaredError` of `@bilevel/hypergrad`, `ℓ(x) = (c/2)‖x − x†‖²` with `c = 1` (`sum`) or `1/n` (`mean`, `n` entries). */
  'squared-error': { readonly reduction: 'sum' | 'mean' };
}

/** A description of the registered kind `K`. */
export type Described<K extends keyof KindDescriptions> = { readonly kind: K } & KindDescriptions[K];

/** `d` as a description of kind `kind`, or `undefined` when it is another kind (or absent). */
export function asKind<K extends keyof KindDescriptions>(d: KindDescription | undefined, kind: K): Described<K> | undefined {
  return d !== undefined && d.kind === kind ? (d as unknown as Described<K>) : undefined;
}

/** The description of `part` when it is {@link Describable}, else `undefined`. */
export function describeOf(part: unknown): KindDescription | undefined {
  const f = (part as Partial<Describable> | undefined)?.describe;
  return typeof f === 'function' ? f.call(part) : undefined;
}

/**
 * The one description of a saddle problem `min_x max_y ⟨Kx, y⟩ + g(x) − f*(y)` (and, for the
 * piggyback, of the loss `ℓ(x; x†)`): what a kernel registry matches against. Every backend
 * reads the problem from it: a fused kernel when one matches, the generic composition otherwise.
 */
export interface SaddleDescription {
  /** The operator `K`. */
  readonly K: KindDescription;
  /** The primal term `g`. */
  readonly g: KindDescription;
  /** The dual term `f*`. */
  readonly fStar: KindDescription;
  /** The loss (piggyback). */
  readonly loss?: KindDescription;
  /** The loss target `x†` (piggyback). */
  readonly target?: Vec;
}

/**
 * The {@link SaddleDescription} of a problem whose parts describe themselves (with the loss and
 * target when given and describable), or `undefined` when a part does not: such a problem runs on
 * the generic composition.
 */
export function describeSaddle(problem: SaddleProblem & { readonly loss?: Loss; readonly target?: Vec }): SaddleDescription | undefined {
  const K = describeOf(problem.K);
  const g = describeOf(problem.g);
  const fStar = describeOf(problem.fStar);
  if (!K || !g || !fStar) return undefined;
  const loss = describeOf(problem.loss);
  return { K, g, fStar, ...(loss ? { loss } : {}), ...(problem.target ? { target: problem.target } : {}) };
}
