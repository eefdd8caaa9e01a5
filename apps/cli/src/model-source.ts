/**
 * Where `bilevel denoise --model` / `bilevel deblur --model` find a learned model: a run
 * directory of `bilevel train` (its config and params), or a model JSON file — the registry's
 * model data `{ kind, options, theta, meta }` of `@bilevel/models`, as the playground downloads it
 * and as `bilevel train` writes it to `model.json` — whose `meta` says what it was trained for.
 * @module
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError, parseOrThrow, z } from '@bilevel/core';
import { modelFromJson, type ModelSpec } from '@bilevel/models';
import { degradationSchema, type DegradationConfig, type ExperimentConfig } from './config/schema.js';
import { RUN_FILES } from './run/files.js';
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
  /** The TV baseline tuned on the model's training data (what `bilevel eval --model` compares with). */
  tvBaseline: z
    .looseObject({
      /** The TV weight α of the best training PSNR. */
      weight: z.number().finite().positive(),
      /** Mean PSNR (dB) of TV at that weight on the training crops. */
      trainPsnr: z.number().optional(),
      /** Number of training crops it was tuned on. */
      trainCrops: z.number().int().positive().optional(),
    })
    .optional(),
});

/** The TV baseline stored with a model: the weight tuned on its training data. */
export interface TvBaselineMeta {
  /** The TV weight α of the best mean training PSNR. */
  readonly weight: number;
  /** Mean PSNR (dB) of TV at that weight on the training crops. */
  readonly trainPsnr: number;
  /** Number of training crops it was tuned on. */
  readonly trainCrops: number;
}

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
  /** The TV baseline tuned on the model's training data, when stored with it. */
  readonly tvBaseline: TvBaselineMeta | undefined;
}

/**
 * The model data of a run at θ with the `meta` that {@link loadLearnedModel} reads back (and the
 * tuned TV baseline when given).
 */
export function runModelSpec(config: ExperimentConfig, theta: ArrayLike<number>, tvBaseline?: TvBaselineMeta): ModelSpec {
  return {
    ...modelSpecOf(config, theta),
    meta: {
      name: config.name,
      degradation: config.data.degradation,
      ridge: config.model.ridge,
      epsilon: config.eval.epsilon,
      maxIterations: config.eval.maxIterations,
      ...(tvBaseline ? { tvBaseline } : {}),
    },
  };
}

/**
 * The learned model named by `--model`: a run directory (its `model.json`, written by `bilevel
 * train`, or else its config + params) or a model JSON file. Errors say which of the two was
 * expected and what is wrong.
 */
export function loadLearnedModel(arg: string): LearnedModel {
  if (!existsSync(arg)) throw new ValidationError(`--model ${arg}: no such run directory or model file`);
  if (statSync(arg).isDirectory()) {
    const config = readRunConfig(arg, `--model ${arg}`);
    const file = join(arg, RUN_FILES.model);
    if (existsSync(file)) return fromSpec(modelFromJson(readFileSync(file, 'utf8'), `--model ${file}`), config.name);
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
    tvBaseline: meta.tvBaseline
      ? { weight: meta.tvBaseline.weight, trainPsnr: meta.tvBaseline.trainPsnr ?? NaN, trainCrops: meta.tvBaseline.trainCrops ?? 0 }
      : undefined,
  };
}
