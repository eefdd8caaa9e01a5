/**
 * The upper-level optimizer of an experiment, from `@bilevel/optimizers`: MAID, the adaptive
 * piggyback step (MAID-based reconstruction), plain inexact gradient descent, inexact SGD/Adam.
 * @module
 */
import { ValidationError } from '@bilevel/core';
import { seedFor } from '@bilevel/imaging';
import { optimizerFromSpec, type Optimizer, type OptimizerState } from '@bilevel/optimizers';
import type { ExperimentConfig } from '../config/schema.js';
import type { TrainingProblem } from './types.js';

/**
 * Build the optimizer named by `config.optimizer` (`optimizerFromSpec` of `@bilevel/optimizers`,
 * the playground's too), with the problem's projections (zero-mean filters) as hooks and the
 * experiment's minibatch stream. The acceptance test's loss bracket comes from the oracle (the
 * convex form for the convex squared-error loss).
 */
export function buildOptimizer(config: ExperimentConfig, problem: TrainingProblem): Optimizer<OptimizerState> {
  const o = config.optimizer;
  if ((o.kind === 'sgd' || o.kind === 'adam') && o.batchSize > problem.oracle.numSamples) {
    throw new ValidationError(`optimizer.batchSize: ${o.batchSize} is larger than the ${problem.oracle.numSamples} training crops; use batchSize ≤ ${problem.oracle.numSamples}`);
  }
  return optimizerFromSpec(o, { seed: seedFor(config.seed, 'minibatch'), project: problem.projections });
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
