/**
 * Where `bilevel denoise --model` / `deblur --model` / `inpaint --model` find a learned model: a run
 * directory of `bilevel train` (its config and params), or a model JSON file — the registry's
 * model data `{ kind, options, theta, meta }` of `@bilevel/models`, as the playground downloads it
 * and as `bilevel train` writes it to `model.json` — whose `meta` says what it was trained for.
 * @module
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidationError, parseOrThrow, z } from '@bilevel/core';
import { modelFromJson, type ModelSpec } from '@bilevel/models';
import { degradationSchema, type DegradationConfig, type ExperimentConfig } from './config/schema.js';
import { RUN_FILES } from './run/files.js';
import { readParams, readRunConfig } from './run/status.js';
import { modelSpecOf } from './wiring/models.js';

/** One image's (or crop's) numbers in `meta.provenance.results.per_image`: its name and PSNR (dB) / SSIM of the degraded input, tuned TV and the model. */
const perImageSchema = z.strictObject({
  name: z.string(),
  input_psnr: z.number(),
  tv_psnr: z.number(),
  learned_psnr: z.number(),
  input_ssim: z.number(),
  tv_ssim: z.number(),
  learned_ssim: z.number(),
});

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
  /**
   * Names of the images the model was trained on (file names of a folder source, photograph
   * names of the bundled ones): `bilevel eval --model … --images <dir>` leaves images of these
   * names out, so that its numbers are held out.
   */
  trainingImages: z.array(z.string()).optional(),
  /** Where a pretrained model comes from and what it measured (apps/cli/models/README.md). */
  provenance: z
    .looseObject({
      /** The one command that retrains it. */
      command: z.string(),
      /** Its training config (the experiment config `bilevel train` ran). */
      config: z.record(z.string(), z.unknown()),
      /** The `bilevel eval --model … --images …` options its numbers were measured with. */
      evaluation: z.looseObject({
        images: z.string(),
        crops: z.number().int().positive().optional(),
        cropSize: z.number().int().positive().optional(),
        maxSide: z.number().int().positive().optional(),
        seed: z.number().int().optional(),
      }),
      /** The measured means (dB) on those images: degraded input, tuned TV, learned; and the numbers of each image. */
      results: z.looseObject({
        images: z.number().int().positive(),
        input_psnr: z.number(),
        tv_psnr: z.number(),
        learned_psnr: z.number(),
        /** Per image (or crop), in evaluation order: the `per_image` of `bilevel eval --model <name> … --json` (`--limit n` reproduces the first n). */
        per_image: z.array(perImageSchema).optional(),
      }),
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

/** What a learned model was trained for, named as the command that applies it. */
export type ModelTask = 'denoise' | 'deblur' | 'inpaint';

/** A learned model with what applying it needs. */
export interface LearnedModel {
  /** The model as data. */
  readonly spec: ModelSpec;
  /** A name for messages. */
  readonly name: string;
  /** What it was trained for (the command that applies it): noise → `denoise`, blur → `deblur`, inpainting → `inpaint`. */
  readonly task: ModelTask;
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
  /** Where a pretrained model comes from and what it measured (absent for other models). */
  readonly provenance: Provenance | undefined;
  /** Names of its training images (`meta.trainingImages`; empty when the model does not say). */
  readonly trainingImages: readonly string[];
}

/** The `meta.provenance` of a pretrained model (apps/cli/models/README.md). */
export type Provenance = NonNullable<z.infer<typeof metaSchema>['provenance']>;

/** One line on a model's measured results: `learned 27.10 dB vs TV 26.30 dB (+0.80) on 21 crops of stdlib:test`. */
export function describeResults(model: Pick<LearnedModel, 'provenance'>): string {
  const p = model.provenance;
  if (!p) return 'no measured results';
  const r = p.results;
  const gain = r.learned_psnr - r.tv_psnr;
  return `learned ${r.learned_psnr.toFixed(2)} dB vs TV ${r.tv_psnr.toFixed(2)} dB (${gain >= 0 ? '+' : ''}${gain.toFixed(2)}) on ${r.images} crops of ${p.evaluation.images}`;
}

/**
 * The model data of a run at θ with the `meta` that {@link loadLearnedModel} reads back (and the
 * tuned TV baseline and the names of the training images when given).
 */
export function runModelSpec(config: ExperimentConfig, theta: ArrayLike<number>, tvBaseline?: TvBaselineMeta, trainingImages?: readonly string[]): ModelSpec {
  return {
    ...modelSpecOf(config, theta),
    meta: {
      name: config.name,
      degradation: config.data.degradation,
      ridge: config.model.ridge,
      epsilon: config.eval.epsilon,
      maxIterations: config.eval.maxIterations,
      ...(tvBaseline ? { tvBaseline } : {}),
      ...(trainingImages ? { trainingImages: [...trainingImages] } : {}),
    },
  };
}

/** Absolute path of the folder of pretrained models shipped with the app (`apps/cli/models/`, next to `src/` and `dist/`). */
export const MODELS_DIR: string = fileURLToPath(new URL('../models/', import.meta.url));

/** Names of the pretrained models (`<name>.json` in {@link MODELS_DIR}), sorted. */
export function shippedModelNames(): string[] {
  if (!existsSync(MODELS_DIR)) return [];
  return readdirSync(MODELS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** The file of the pretrained model `name` (with or without `.json`), undefined when there is none. */
export function shippedModelPath(name: string): string | undefined {
  const base = name.endsWith('.json') ? name.slice(0, -'.json'.length) : name;
  return !base.includes('/') && shippedModelNames().includes(base) ? join(MODELS_DIR, `${base}.json`) : undefined;
}

/**
 * The learned model named by `--model`: a pretrained model's name ({@link shippedModelNames}), a run directory (its `model.json`, written by `bilevel
 * train`, or else its config + params) or a model JSON file. Errors say which of the two was
 * expected and what is wrong.
 */
export function loadLearnedModel(arg: string): LearnedModel {
  if (!existsSync(arg)) {
    const shipped = shippedModelPath(arg);
    if (shipped) return fromSpec(modelFromJson(readFileSync(shipped, 'utf8'), `--model ${arg}`), arg);
    const names = shippedModelNames();
    throw new ValidationError(
      `--model ${arg}: no such run directory, model file or pretrained model` + (names.length ? ` (pretrained: ${names.join(', ')})` : ''),
    );
  }
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
    task: degradation?.kind === 'blur' ? 'deblur' : degradation?.kind === 'inpainting' ? 'inpaint' : 'denoise',
    degradation,
    ridge: meta.ridge ?? 0,
    epsilon: meta.epsilon ?? 1e-4,
    maxIterations: meta.maxIterations ?? 3000,
    tvBaseline: meta.tvBaseline
      ? { weight: meta.tvBaseline.weight, trainPsnr: meta.tvBaseline.trainPsnr ?? NaN, trainCrops: meta.tvBaseline.trainCrops ?? 0 }
      : undefined,
    provenance: meta.provenance,
    trainingImages: meta.trainingImages ?? [],
  };
}
