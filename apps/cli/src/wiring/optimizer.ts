/**
 * The upper-level optimizer of an experiment, from `@bilevel/optimizers`: MAID, the adaptive
 * piggyback step (MAID-based reconstruction), plain inexact gradient descent, inexact SGD/Adam.
 * @module
 */
import { ValidationError } from '@bilevel/core';
import {
  adaptivePiggyback,
  gradientDescent,
  iadam,
  isgd,
  maid,
  type MaidOptions,
  type Optimizer,
  type OptimizerState,
} from '@bilevel/optimizers';
import type { ExperimentConfig } from '../config/schema.js';
import { SEED_OFFSETS } from '../data.js';
import type { TrainingProblem } from './types.js';

/** Drop `undefined` entries (the optimizers validate with strict schemas). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Build the optimizer named by `config.optimizer`, with the problem's projections (zero-mean
 * filters) as hooks. The acceptance test's loss bracket comes from the oracle (the convex form
 * for the convex squared-error loss).
 */
export function buildOptimizer(config: ExperimentConfig, problem: TrainingProblem): Optimizer<OptimizerState> {
  const o = config.optimizer;
  const project = problem.projections.length ? [...problem.projections] : undefined;
  switch (o.kind) {
    case 'maid':
    case 'adaptive-piggyback': {
      const { kind, ...rest } = o;
      const opts: MaidOptions = defined({ ...rest, project });
      return (kind === 'maid' ? maid(opts) : adaptivePiggyback(opts)) as Optimizer<OptimizerState>;
    }
    case 'gd':
      return gradientDescent(defined({ stepSize: o.stepSize, epsilon: o.epsilon, delta: o.delta, project })) as Optimizer<OptimizerState>;
    case 'sgd':
    case 'adam': {
      const n = problem.oracle.numSamples;
      if (o.batchSize > n) {
        throw new ValidationError(`optimizer.batchSize: ${o.batchSize} is larger than the ${n} training crops; use batchSize ≤ ${n}`);
      }
      const opts = defined({
        stepSize0: o.stepSize0,
        stepSchedule: o.stepSchedule,
        epsilon0: o.epsilon0,
        accuracySchedule: o.accuracySchedule,
        delta: { kind: 'proportional' as const, ratio: o.deltaRatio },
        batchSize: o.batchSize,
        dropLast: o.dropLast,
        seed: (config.seed * 7919 + SEED_OFFSETS.minibatch) | 0,
        project,
        ...(o.kind === 'adam' ? { beta1: o.beta1, beta2: o.beta2, adamEpsilon: o.adamEpsilon } : {}),
      });
      return (o.kind === 'sgd' ? isgd(opts) : iadam(opts)) as Optimizer<OptimizerState>;
    }
  }
}

/** Human-readable name of the configured optimizer, for reports. */
export function optimizerLabel(config: ExperimentConfig): string {
  switch (config.optimizer.kind) {
    case 'maid':
      return 'MAID (adaptive inexact backtracking, arXiv 2308.10098)';
    case 'adaptive-piggyback':
      return 'adaptive piggyback step (MAID-based reconstruction of the adaptive step of arXiv 2412.06436)';
    case 'gd':
      return 'inexact gradient descent, fixed step and accuracy';
    case 'sgd':
      return 'inexact SGD on minibatches (arXiv 2412.12049)';
    case 'adam':
      return 'inexact Adam on minibatches (arXiv 2511.06774)';
  }
}
