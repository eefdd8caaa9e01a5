/**
 * The page's setup as an experiment config of `bilevel train`: the page's settings (image, crops,
 * degradation, model choice, method, seed) written as the JSON the CLI reads. The training
 * session is built from this config — data by the pipeline of `@bilevel/imaging`, the model by
 * the registry of `@bilevel/models`, the optimizer by `optimizerFromSpec` of
 * `@bilevel/optimizers` — so `bilevel train` on the downloaded config trains the page's run.
 * @module
 */
import { ValidationError, parseOrThrow, z } from '@bilevel/core';
import { DEFAULT_SPLIT, PHOTOGRAPHS, cropSpecSchema, degradationSchema, type CropSpec, type Degradation } from '@bilevel/imaging';
import { models } from '@bilevel/models';
import type { OptimizerSpec } from '@bilevel/optimizers';
import { MODEL_KINDS, initialModel, modelPreset } from './model.js';

/** The upper-level methods of the page. */
export const METHODS = ['maid', 'adaptive', 'adam'] as const;

/** zod schema of {@link TrainingSettings}. */
export const settingsSchema = z.strictObject({
  /** Side of each square training crop. */
  cropSize: z.number().int().min(8).max(256).default(64),
  /** Number of training crops (seeded crops away from flat regions, as `bilevel train` takes them). */
  crops: z.number().int().min(1).max(16).default(1),
  /** The degradation of the crops (`data.degradation` of a config). */
  degradation: degradationSchema.default({ kind: 'noise', sigma: 0.1, clamp: false }),
  /** The model choice with its options (θ₀ from the registry's initialisation). */
  model: z.strictObject({ kind: z.enum(MODEL_KINDS), options: z.record(z.string(), z.unknown()).default({}) }),
  /** The upper-level method. */
  method: z.enum(METHODS).default('maid'),
  /** Seed of crops, noise, masks, FoE filters and minibatches (the experiment seed). */
  seed: z.number().int().default(0),
});

/** What a training session is made of (input form: defaults may be omitted). */
export type TrainingSettings = z.input<typeof settingsSchema>;

/** The part of `data.train` of a config the page writes: one image, its crops. */
interface TrainPart extends Required<CropSpec> {
  /** The training image (a photograph name, or a file name in the config's folder). */
  readonly images: readonly string[];
}

/**
 * An experiment config of `bilevel train` as the page writes it (valid for `ExperimentConfigInput`
 * of `@bilevel/cli`; every field the session reads is given explicitly).
 */
export interface ExperimentJson {
  /** Experiment name (slug). */
  readonly name: string;
  /** One line on where it came from. */
  readonly description: string;
  /** The experiment seed (crops, noise and masks, initialisation, minibatches: `streamFor` of `@bilevel/imaging`). */
  readonly seed: number;
  /** Images, crops and degradation. */
  readonly data: {
    /** `stdlib` for a bundled photograph, else the folder of the config file. */
    readonly source: 'stdlib' | { readonly folder: string };
    /** Longer side the image is shrunk to before cropping. */
    readonly maxSide: number;
    /** The training image and its crops. */
    readonly train: TrainPart;
    /** A held-out image (the CLI evaluates on it; it does not change θ). */
    readonly test: { readonly images: readonly string[]; readonly cropSize: number };
    /** The degradation. */
    readonly degradation: Degradation;
    /** For an uploaded image, which is also the test image. */
    readonly allowTrainTestOverlap?: boolean;
  };
  /** The model section: registry kind, its options, `init`, and the data term's ridge. */
  readonly model: { readonly kind: string; readonly init: Record<string, unknown>; readonly ridge: number } & Record<string, unknown>;
  /** The hypergradient: implicit (smooth form) or piggyback (saddle form), with its caps. */
  readonly hypergradient:
    | { readonly kind: 'implicit'; readonly loss: 'sum'; readonly maxIterations: number; readonly cgMaxIterations: number }
    | { readonly kind: 'piggyback'; readonly loss: 'sum'; readonly maxIterations: number };
  /** The upper-level optimizer. */
  readonly optimizer: OptimizerSpec;
  /** When to stop. */
  readonly budget: { readonly iterations: number };
}

/** Where the training image comes from, as a config names it. */
export interface ImageSource {
  /** Photograph name (source `stdlib`) or file name (the config's folder). */
  readonly name: string;
  /** Longer side the image was shrunk to. */
  readonly maxSide: number;
}

/** Adam's step per registry kind (θ's scale: log-parameters, filter taps ≈ 0.05). */
const ADAM_STEP: Record<string, number> = { 'smooth-tv': 0.05, 'huber-tv': 0.1, foe: 5e-4 };
/** Iteration caps of the lower-level and adjoint solves. */
const CAPS = { maxIterations: 5000, cgMaxIterations: 1000 } as const;
/** Ridge μ of the data term when `A` is not the identity (blur, masks). */
const RIDGE = 1e-3;

function optimizerOf(method: (typeof METHODS)[number], kind: string, saddle: boolean): OptimizerSpec {
  switch (method) {
    case 'maid':
      return { kind: 'maid', epsilon0: 0.1, delta0: 0.1, stepSize0: 0.01 };
    case 'adaptive':
      if (!saddle) throw new ValidationError('the adaptive piggyback step needs a saddle-form model (TV, Huber-TV or FoE); use MAID or Adam for smoothed TV');
      return { kind: 'adaptive-piggyback' };
    case 'adam':
      return { kind: 'adam', batchSize: 1, stepSize0: ADAM_STEP[kind] ?? 0.05, epsilon0: 0.05, accuracySchedule: { kind: 'poly', exponent: 0.5 } };
  }
}

/**
 * The page's settings as an experiment config of `bilevel train` on `image` with a budget of
 * `iterations`: the training image (a bundled photograph, or an uploaded file expected next to the
 * config) with `crops` seeded crops of `cropSize`, the degradation, the registry model of the
 * choice (its trainable form decides the hypergradient: piggyback for saddle, implicit for smooth),
 * the method as an optimizer section, and a held-out test image the CLI evaluates on.
 */
export function experimentConfig(settings: TrainingSettings, image: ImageSource, iterations = 20): ExperimentJson {
  const s = parseOrThrow(settingsSchema, settings, 'training settings');
  const preset = modelPreset(s.model.kind, s.model.options);
  const probe = [1, s.cropSize, s.cropSize];
  const saddle = models.build(initialModel(s.model.kind, s.model.options, s.seed, probe), probe).saddle?.trainable === true;
  const photograph = PHOTOGRAPHS.some((p) => p.name === image.name);
  const test = photograph ? [...DEFAULT_SPLIT.test, ...DEFAULT_SPLIT.train].find((n) => n !== image.name)! : image.name;
  return {
    name: `playground-${s.model.kind}-${s.degradation.kind}`,
    description: `exported from the playground: ${s.model.kind} (${preset.kind}), ${s.method}, on ${image.name}`,
    seed: s.seed,
    data: {
      source: photograph ? 'stdlib' : { folder: '.' },
      maxSide: image.maxSide,
      train: { images: [image.name], cropSize: s.cropSize, cropsPerImage: s.crops, minStd: cropSpecSchema.shape.minStd.parse(undefined) },
      test: { images: [test], cropSize: s.cropSize },
      degradation: s.degradation,
      ...(photograph ? {} : { allowTrainTestOverlap: true }),
    },
    model: { kind: preset.kind, ...preset.options, init: preset.init, ridge: s.degradation.kind === 'noise' ? 0 : RIDGE },
    hypergradient: saddle ? { kind: 'piggyback', loss: 'sum', maxIterations: CAPS.maxIterations } : { kind: 'implicit', loss: 'sum', ...CAPS },
    optimizer: optimizerOf(s.method, preset.kind, saddle),
    budget: { iterations },
  };
}
