/**
 * A training problem as data: the model (`{ kind, options, theta }`), the image shape, the
 * samples (degraded, clean, data operator as a description), ridge and cold start, the oracle and
 * the loss. Every process that is sent a {@link SampleProblem} rebuilds the same training set and
 * the same hypergradient oracle from it — once — through the model registry.
 * @module
 */
import { parseOrThrow, shapeSchema, vecSchema, z, type HypergradientOracle, type LossBracket, type Shape } from '@bilevel/core';
import { ImplicitOracle, PiggybackOracle, squaredError } from '@bilevel/hypergrad';
import { TrainingSet, dataOperator, dataOperatorSpecSchema, modelSpecSchema, models, type DataOperatorSpec, type ModelSpec } from '@bilevel/models';
import { digest, encodeFrame } from './frame.js';

/** One sample of a {@link SampleProblem}. */
export interface ProblemSample {
  /** The measurement `b_i`. */
  readonly degraded: Float64Array;
  /** The clean target `x_i†`. */
  readonly clean: Float64Array;
  /** The data operator `A_i` (default identity). */
  readonly forward?: DataOperatorSpec;
}

/** Which hypergradient oracle of `@bilevel/hypergrad` a problem uses, with its caps. */
export type ProblemOracle =
  | {
      /** Piggyback differentiation of PDHG (saddle form). */
      readonly kind: 'piggyback';
      /** Iteration cap per solve. */
      readonly maxIterations?: number;
      /** Certificate period. */
      readonly certificateEvery?: number;
    }
  | {
      /** Implicit differentiation (smooth form, FISTA + CG). */
      readonly kind: 'implicit';
      /** FISTA iteration cap per solve. */
      readonly maxIterations?: number;
      /** CG iteration cap per solve. */
      readonly maxCgIterations?: number;
      /** Certificate period. */
      readonly certificateEvery?: number;
    };

/**
 * A training problem as data (sendable to a worker thread or another machine): the
 * `ImplicitOracle` / `PiggybackOracle` over `TrainingSet(models.build(model, shape), samples,
 * { ridge, start })` with the squared-error loss of `reduction` (restricted to the image for a
 * lifted model).
 */
export interface SampleProblem {
  /** The model (its θ is only the initial value: every evaluation sends θ). */
  readonly model: ModelSpec;
  /** Image shape `[C, H, W]`. */
  readonly shape: Shape;
  /** The samples. */
  readonly samples: readonly ProblemSample[];
  /** Ridge `μ` of the data terms (default 0). */
  readonly ridge?: number;
  /** Cold start (default `degraded`). */
  readonly start?: 'degraded' | 'zero';
  /** The oracle. */
  readonly oracle: ProblemOracle;
  /** Squared-error reduction (default `sum`). */
  readonly reduction?: 'sum' | 'mean';
}

const capped = z.number().int().positive().optional();

/** zod schema of a {@link SampleProblem} (unknown keys are rejected). */
export const sampleProblemSchema: z.ZodType<SampleProblem> = z.strictObject({
  model: modelSpecSchema,
  shape: shapeSchema,
  samples: z
    .array(z.strictObject({ degraded: vecSchema, clean: vecSchema, forward: dataOperatorSpecSchema.optional() }))
    .min(1, 'must hold at least one sample'),
  ridge: z.number().finite().nonnegative().optional(),
  start: z.enum(['degraded', 'zero']).optional(),
  oracle: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('piggyback'), maxIterations: capped, certificateEvery: capped }),
    z.strictObject({ kind: z.literal('implicit'), maxIterations: capped, maxCgIterations: capped, certificateEvery: capped }),
  ]),
  reduction: z.enum(['sum', 'mean']).optional(),
});

/** Validate a {@link SampleProblem} (a `ValidationError` naming the offending key). */
export function parseSampleProblem(value: unknown): SampleProblem {
  return parseOrThrow(sampleProblemSchema, value, 'sample problem');
}

/** A built problem: the training set and the oracle over all its samples. */
export interface BuiltProblem {
  /** The training set. */
  readonly set: TrainingSet;
  /** The oracle (θ is set on every call). */
  readonly oracle: HypergradientOracle;
  /** The loss bracket its estimates report. */
  readonly bracket: LossBracket;
}

/** Rebuild the training set and the oracle of a problem (see {@link SampleProblem}). */
export function buildProblem(problem: SampleProblem): BuiltProblem {
  const p = parseSampleProblem(problem);
  const samples = p.samples.map((s) => {
    const forward = s.forward ? dataOperator(s.forward, p.shape) : undefined;
    return { degraded: s.degraded, clean: s.clean, ...(forward ? { forward } : {}) };
  });
  const set = new TrainingSet(models.build(p.model, p.shape), samples, { ...(p.ridge !== undefined ? { ridge: p.ridge } : {}), ...(p.start ? { start: p.start } : {}) });
  const loss = set.loss(squaredError({ reduction: p.reduction ?? 'sum' }));
  const o = p.oracle;
  const oracle =
    o.kind === 'implicit'
      ? new ImplicitOracle({
          model: set.smoothModel(),
          loss,
          ...(o.maxIterations !== undefined ? { maxIterations: o.maxIterations } : {}),
          ...(o.maxCgIterations !== undefined ? { maxCgIterations: o.maxCgIterations } : {}),
          ...(o.certificateEvery !== undefined ? { certificateEvery: o.certificateEvery } : {}),
        })
      : new PiggybackOracle({
          model: set.saddleModel(),
          loss,
          ...(o.maxIterations !== undefined ? { maxIterations: o.maxIterations } : {}),
          ...(o.certificateEvery !== undefined ? { certificateEvery: o.certificateEvery } : {}),
        });
  return { set, oracle, bracket: loss.convex ? 'convex' : 'smooth' };
}

/** The binary frame of a problem (what workers are sent once). */
export function encodeProblem(problem: SampleProblem): Uint8Array {
  return encodeFrame(problem);
}

/** The id of a problem: the SHA-256 of its frame (same data, same id, on every machine). */
export function problemId(frame: Uint8Array): string {
  return digest(frame);
}
