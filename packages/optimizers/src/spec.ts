/**
 * An upper-level optimizer as data — the `optimizer` section of an experiment config,
 * `{ kind, …options }` — and the optimizer it describes. `bilevel train` and the playground both
 * build their optimizer here, so one description gives one trajectory in either app.
 * @module
 */
import type { Schedule } from './schedule.js';
import { gradientDescent } from './gd.js';
import { isgd, iadam, type IsgdOptions } from './isgd.js';
import { adaptivePiggyback, maid, type MaidOptions } from './maid.js';
import type { Projection } from './projection.js';
import type { Optimizer, OptimizerState } from './types.js';

/** The stochastic part of an {@link OptimizerSpec} (`sgd`, `adam`). */
export interface StochasticSpec {
  /** Minibatch size `b`. */
  readonly batchSize: number;
  /** Initial step `α₀`. */
  readonly stepSize0: number;
  /** Step schedule `α_k = α₀ s(k)` (default constant). */
  readonly stepSchedule?: Schedule;
  /** Initial lower-level accuracy `ε₀` (default 0.1). */
  readonly epsilon0?: number;
  /** Accuracy schedule `ε_k = ε₀ s(k)` (default constant). */
  readonly accuracySchedule?: Schedule;
  /** `δ_k = deltaRatio·ε_k` (default 1). */
  readonly deltaRatio?: number;
  /** Drop the last incomplete minibatch of each epoch (default true). */
  readonly dropLast?: boolean;
}

/**
 * An upper-level optimizer as data:
 * - `maid`, `adaptive-piggyback`: {@link maid} / {@link adaptivePiggyback} with the given
 *   options (the rest at their defaults);
 * - `gd`: {@link gradientDescent}, fixed step and accuracy;
 * - `sgd`, `adam`: {@link isgd} / {@link iadam} on minibatches, `δ_k = deltaRatio·ε_k`.
 */
export type OptimizerSpec =
  | ({ readonly kind: 'maid' | 'adaptive-piggyback' } & Omit<MaidOptions, 'project' | 'minEpsilon' | 'minDelta' | 'gradTol'>)
  | { readonly kind: 'gd'; readonly stepSize: number; readonly epsilon?: number; readonly delta?: number }
  | ({ readonly kind: 'sgd' } & StochasticSpec)
  | ({ readonly kind: 'adam'; readonly beta1?: number; readonly beta2?: number; readonly adamEpsilon?: number } & StochasticSpec);

/** What an {@link OptimizerSpec} does not say: the minibatch seed and the projections of the model. */
export interface OptimizerContext {
  /** Seed of the minibatch sampler of `sgd` / `adam` (an experiment's `minibatch` stream). */
  readonly seed: number;
  /** Projections after every update (e.g. zero-mean filters); none when empty or omitted. */
  readonly project?: readonly Projection[];
}

/** Drop `undefined` entries (the optimizers validate with strict schemas). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The optimizer an {@link OptimizerSpec} describes, with the context's projections as hooks and
 * its seed for the minibatches. Each optimizer validates its options (a `ValidationError` names
 * a wrong one).
 */
export function optimizerFromSpec(spec: OptimizerSpec, context: OptimizerContext): Optimizer<OptimizerState> {
  const project = context.project?.length ? [...context.project] : undefined;
  switch (spec.kind) {
    case 'maid':
    case 'adaptive-piggyback': {
      const { kind, ...rest } = spec;
      const options: MaidOptions = defined({ ...rest, project });
      return (kind === 'maid' ? maid(options) : adaptivePiggyback(options)) as Optimizer<OptimizerState>;
    }
    case 'gd':
      return gradientDescent(defined({ stepSize: spec.stepSize, epsilon: spec.epsilon, delta: spec.delta, project })) as Optimizer<OptimizerState>;
    case 'sgd':
    case 'adam': {
      const options: IsgdOptions = defined({
        stepSize0: spec.stepSize0,
        stepSchedule: spec.stepSchedule,
        epsilon0: spec.epsilon0 ?? 0.1,
        accuracySchedule: spec.accuracySchedule,
        delta: { kind: 'proportional' as const, ratio: spec.deltaRatio ?? 1 },
        batchSize: spec.batchSize,
        dropLast: spec.dropLast,
        seed: context.seed,
        project,
        ...(spec.kind === 'adam' ? { beta1: spec.beta1, beta2: spec.beta2, adamEpsilon: spec.adamEpsilon } : {}),
      });
      return (spec.kind === 'sgd' ? isgd(options) : iadam(options)) as Optimizer<OptimizerState>;
    }
  }
}
