/**
 * The hypergradients of one model on a small training set, computed the same way in the main
 * thread and in a worker (`models-in-worker.test.ts`): the piggyback oracle for a trainable saddle
 * form, the implicit oracle for a smooth form, each at fixed accuracies and iteration caps.
 */
import type { Shape } from '@bilevel/core';
import { ImplicitOracle, PiggybackOracle, squaredError } from '@bilevel/hypergrad';
import { TrainingSet, models, type ModelSpec, type TrainingSample } from '@bilevel/models';

/** One oracle's answer: loss, hypergradient and bound. */
export interface FormHypergradient {
  /** `piggyback` (saddle form) or `implicit` (smooth form). */
  readonly oracle: 'piggyback' | 'implicit';
  readonly loss: number;
  readonly gradient: Float64Array;
  readonly bound: number;
}

/** What the worker receives: the model as JSON text, the image shape and the samples. */
export interface WorkerInput {
  readonly models: readonly string[];
  readonly shape: Shape;
  readonly samples: readonly TrainingSample[];
}

/** Build `spec` through the registry and evaluate every oracle its forms admit at θ = `spec.theta`. */
export function hypergradients(spec: ModelSpec, shape: Shape, samples: readonly TrainingSample[]): FormHypergradient[] {
  const model = models.build(spec, shape);
  const set = new TrainingSet(model, samples);
  const theta = Float64Array.from(spec.theta);
  const batch = samples.map((_, i) => i);
  const tol = { epsilon: 1e-4, delta: 1e-4 };
  const out: FormHypergradient[] = [];
  const saddle = model.saddle;
  if (saddle?.trainable) {
    // f* without strong convexity (TV): plain steps to the iteration cap, no bound
    const steps = saddle.fStar.strongConvexity > 0 ? {} : { scheme: 'plain' as const };
    const oracle = new PiggybackOracle({ model: set.saddleModel(), loss: set.loss(squaredError()), steps, maxIterations: 400 });
    const r = oracle.evaluate(theta, batch, tol);
    out.push({ oracle: 'piggyback', loss: r.loss, gradient: r.gradient, bound: r.bound });
  }
  if (model.smooth) {
    const oracle = new ImplicitOracle({ model: set.smoothModel(), loss: squaredError(), maxIterations: 2000, maxCgIterations: 200 });
    const r = oracle.evaluate(theta, batch, tol);
    out.push({ oracle: 'implicit', loss: r.loss, gradient: r.gradient, bound: r.bound });
  }
  return out;
}
