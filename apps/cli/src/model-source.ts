/**
 * Where `bilevel denoise --model` / `bilevel deblur --model` find a learned model: a run
 * directory of `bilevel train` (its config and params), or a model JSON file — the registry's
 * model data `{ kind, options, theta, meta }` of `@bilevel/models`, as the playground downloads it
 * and as `bilevel train` writes it to `model.json` — whose `meta` says what it was trained for.
 * @module
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { ValidationError, parseOrThrow, z } from '@bilevel/core';
import { modelFromJson, type ModelSpec } from '@bilevel/models';
import { degradationSchema, type DegradationConfig, type ExperimentConfig } from './config/schema.js';
import { readParams, readRunConfig } from './run/status.js';
import { modelSpecOf } from './wiring/models.js';

/** What a model JSON's `meta` says about how to apply it (all optional). */
const metaSchema = z.looseObject({
  /** A name for messages. */
  name: z.string().optional(),
  /** The degradation the model was trained for (default: noise, i.e. denoising). */
  degradation: degradationSchema.optional(),
  /** `μ` of the data term's `(μ/2)‖x‖²` (default 0). */
  ridge: z.number().finite().nonnegative().optional(),
  /** Lower-level accuracy of reconstructions (default 1e-4). */
  epsilon: z.number().finite().positive().optional(),
  /** Iteration cap of reconstructions (default 3000). */
  maxIterations: z.number().int().positive().optional(),
});

/** A learned model with what applying it needs. */
export interface LearnedModel {
  /** The model as data. */
  readonly spec: ModelSpec;
  /** A name for messages. */
  readonly name: string;
  /** What it was trained for. */
  readonly task: 'denoise' | 'deblur';
  /** The degradation it was trained for (its forward operator is the data term's). */
  readonly degradation: DegradationConfig | undefined;
  /** `μ` of the data term. */
  readonly ridge: number;
  /** Default lower-level accuracy. */
  readonly epsilon: number;
  /** Default iteration cap. */
  readonly maxIterations: number;
}

/** The model data of a run at θ with the `meta` that {@link loadLearnedModel} reads back. */
export function runModelSpec(config: ExperimentConfig, theta: ArrayLike<number>): ModelSpec {
  return {
    ...modelSpecOf(config, theta),
    meta: {
      name: config.name,
      degradation: config.data.degradation,
      ridge: config.model.ridge,
      epsilon: config.eval.epsilon,
      maxIterations: config.eval.maxIterations,
    },
  };
}

/**
 * The learned model named by `--model`: a run directory (config + params of `bilevel train`) or
 * a model JSON file. Errors say which of the two was expected and what is wrong.
 */
export function loadLearnedModel(arg: string): LearnedModel {
  if (!existsSync(arg)) throw new ValidationError(`--model ${arg}: no such run directory or model file`);
  if (statSync(arg).isDirectory()) {
    const config = readRunConfig(arg, `--model ${arg}`);
    const params = readParams(arg);
    return fromSpec(runModelSpec(config, params.theta), config.name);
  }
  let text: string;
  try {
    text = readFileSync(arg, 'utf8');
  } catch (e) {
    throw new ValidationError(`--model ${arg}: cannot read the model file (${(e as Error).message})`);
  }
  return fromSpec(modelFromJson(text, `--model ${arg}`), arg);
}

function fromSpec(spec: ModelSpec, fallbackName: string): LearnedModel {
  const meta = parseOrThrow(metaSchema, spec.meta ?? {}, 'model meta');
  const degradation = meta.degradation;
  return {
    spec,
    name: meta.name ?? fallbackName,
    task: degradation?.kind === 'blur' ? 'deblur' : 'denoise',
    degradation,
    ridge: meta.ridge ?? 0,
    epsilon: meta.epsilon ?? 1e-4,
    maxIterations: meta.maxIterations ?? 3000,
  };
}
