/**
 * The experiment config of `bilevel train`: a zod 4 schema (strict objects: unknown keys are
 * rejected with a message naming them and the allowed keys), its TypeScript types, cross-field
 * checks (which model goes with which hypergradient and optimizer) and the JSON Schema printed by
 * `bilevel schema`.
 * @module
 */
import { Rng, ValidationError, kindError, strictObject as strict, z } from '@bilevel/core';
import { cropSpecSchema, degradationSchema } from '@bilevel/imaging';
import { models, type VariationalModel } from '@bilevel/models';

/** A section of a union on `kind`: a strict object (core's `strictObject`) with the literal `kind` first, then the fields of `shape`. */
function kinded<K extends string, S extends z.ZodRawShape>(kind: K, shape: S) {
  return strict({ kind: z.literal(kind), ...shape });
}

/**
 * The discriminated union of `sections` on `kind`, whose error names the section `what` and the
 * accepted kinds (read from the sections' `kind` literals).
 */
function kindUnion<T extends readonly [z.ZodObject, ...z.ZodObject[]]>(what: string, sections: T) {
  const kinds = sections.map((s) => (s.shape.kind as z.ZodLiteral<string>).value);
  return z.discriminatedUnion('kind', sections, kindError(what, kinds));
}

const positive = z.number().finite().positive('must be > 0');
const nonNegative = z.number().finite().nonnegative('must be ≥ 0');
const positiveInt = z.number().int('must be an integer').positive('must be ≥ 1');

// ---------------------------------------------------------------------------------------------
// data

/** Which images and crops form one part (train or test) of the data. */
const splitSchema = strict({
  /** Photograph names (source "stdlib", see `bilevel experiments --photographs`) or file names in the folder; default: the default split of the source. */
  images: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe(
      'Photograph names (source "stdlib", see `bilevel experiments --photographs`) or file names in the folder; default: the default split of the source.',
    ),
  /** Use only the first `count` images of the default split (instead of `images`). */
  count: positiveInt.optional().describe('Use only the first `count` images of the default split (instead of `images`).'),
  /** `cropSize`, `cropsPerImage`, `minStd`: the crop spec of the data pipeline of `@bilevel/imaging`. */
  ...cropSpecSchema.shape,
});

/** zod schema of `data.degradation`: how clean crops are degraded (and the forward operator of the model's data term) — the data pipeline's, from `@bilevel/imaging`. */
export { degradationSchema };

const folderSource = strict({
  /** Folder of PNG/JPEG files, relative to the config file. */
  folder: z.string().min(1).describe('Folder of PNG/JPEG files, relative to the config file.'),
  /** Fraction of the images held out for testing when `train.images`/`test.images` are not given. */
  testFraction: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.25)
    .describe('Fraction of the images held out for testing when `train.images`/`test.images` are not given.'),
});

const pairsSource = strict({
  /** Folder of degraded images (e.g. real noisy photographs), relative to the config file. */
  degraded: z.string().min(1).describe('Folder of degraded images (e.g. real noisy photographs), relative to the config file.'),
  /** Folder of the clean images, matched to the degraded ones by file name (same size each), relative to the config file. */
  clean: z
    .string()
    .min(1)
    .describe('Folder of the clean images, matched to the degraded ones by file name (same size each), relative to the config file.'),
  /** Fraction of the pairs held out for testing when `train.images`/`test.images` are not given. */
  testFraction: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.25)
    .describe('Fraction of the pairs held out for testing when `train.images`/`test.images` are not given.'),
});

const dataSchema = strict({
  /**
   * Where the images come from: "stdlib" (CC0 photographs bundled with @bilevel/imaging), a folder
   * of clean images (degraded as `degradation` says), or pairs of degraded and clean images
   * (`degradation` then only names the data term's forward operator; nothing is synthesised).
   */
  source: z
    .union([z.literal('stdlib'), folderSource, pairsSource], {
      error: () =>
        'data.source must be "stdlib" (the bundled photographs), { "folder": "path/to/images" } or { "degraded": "path/to/degraded", "clean": "path/to/clean" }',
    })
    .default('stdlib')
    .describe(
      'Where the images come from: "stdlib" (the bundled CC0 photographs), { "folder": … } (clean images, degraded as `degradation` says) or { "degraded": …, "clean": … } (pairs matched by file name; `degradation` then only names the forward operator of the data term).',
    ),
  /** Convert images to one channel (BT.601 luma); false: RGB, for colour models (e.g. `foe` with `channels: 3`, TV with `mode: "vectorial"`). */
  gray: z
    .boolean()
    .default(true)
    .describe('Convert images to one channel (BT.601 luma); false: RGB, for colour models (e.g. foe with channels 3, TV with mode "vectorial").'),
  /** Shrink each photograph (area averaging) so its longer side is at most this many pixels, before cropping. */
  maxSide: positiveInt
    .default(256)
    .describe('Shrink each photograph (area averaging) so its longer side is at most this many pixels, before cropping.'),
  /** Training images and crops. */
  train: splitSchema.describe('Training images and crops.'),
  /** Held-out test images and crops. */
  test: splitSchema.describe('Held-out test images and crops.'),
  /** How the clean crops are degraded. */
  degradation: degradationSchema.describe('How the clean crops are degraded.'),
  /** Allow the same photograph (same name or same pixels) in the training and the test images; off by default, since test numbers on training images are not held-out numbers. */
  allowTrainTestOverlap: z
    .boolean()
    .default(false)
    .describe('Allow the same photograph (same name or same pixels) in the training and the test images; off by default, since test numbers on training images are not held-out numbers.'),
});

// ---------------------------------------------------------------------------------------------
// model

/**
 * A kind's `init` schema in a config file: an `experts` start may also name a model (a
 * pretrained name, a model file or a run directory), which loading the file resolves
 * (`resolveModelReferences`).
 */
function withModelReferences(init: z.ZodObject): z.ZodObject {
  const experts = init.shape['experts'] as z.ZodType | undefined;
  if (!experts) return init;
  const reference = z.string().min(1).describe('A model to start at: a pretrained model’s name, or a model file or run directory relative to the config file (resolved to its experts when the config file is loaded).');
  return init.extend({ experts: z.union([reference, experts]).optional() });
}

/**
 * One model section per registered kind of `@bilevel/models`: `kind`, the kind's options (at
 * the top level of the section), its initialisation options under `init`, and the data term's
 * `ridge`. The kinds' schemas give the fields, defaults and messages.
 */
function modelSection(name: string) {
  const k = models.get(name);
  return strict({
    kind: z.literal(name).describe(k.summary),
    ...(k.options as z.ZodObject).shape,
    /** Initial parameters. */
    init: withModelReferences(k.init as z.ZodObject).prefault({}).describe('Initial parameters.'),
    /** μ ≥ 0: adds μ/2‖x‖² to the data term (strong convexity for deblurring; 0 for denoising). */
    ridge: nonNegative.default(0).describe('μ ≥ 0: adds μ/2‖x‖² to the data term (strong convexity for deblurring; 0 for denoising).'),
  });
}

const modelKinds = models.kinds();
const modelSchema = kindUnion('model', modelKinds.map(modelSection) as unknown as [ReturnType<typeof modelSection>, ...ReturnType<typeof modelSection>[]]);

// ---------------------------------------------------------------------------------------------
// hypergradient

const lossReduction = z.literal(['sum', 'mean'])
  .default('sum')
  .describe('Upper-level loss per image: "sum" = ½‖x − x†‖² (MAID/ISGD), "mean" = ½‖x − x†‖²/n.');

/** Implicit differentiation (FISTA + CG, MAID bound). */
const implicitHypergradient = kinded('implicit', {
  /** Loss reduction per image. */
  loss: lossReduction,
  /** Cap on lower-level (FISTA) iterations per solve. */
  maxIterations: positiveInt.default(5000).describe('Cap on lower-level (FISTA) iterations per solve.'),
  /** Cap on CG iterations per adjoint solve. */
  cgMaxIterations: positiveInt.default(1000).describe('Cap on CG iterations per adjoint solve.'),
});

/** Piggyback differentiation (PDHG + adjoint PDHG, Theorem 2 bound). */
const piggybackHypergradient = kinded('piggyback', {
  /** Loss reduction per image. */
  loss: lossReduction,
  /** Cap on PDHG + piggyback iterations per solve. */
  maxIterations: positiveInt.default(5000).describe('Cap on PDHG + piggyback iterations per solve.'),
});

const hypergradientSchema = kindUnion('hypergradient', [implicitHypergradient, piggybackHypergradient]);

// ---------------------------------------------------------------------------------------------
// optimizer

const maidShape = {
  /** Initial lower-level accuracy ε₀ (default 0.1). */
  epsilon0: positive.optional().describe('Initial lower-level accuracy ε₀ (default 0.1).'),
  /** Initial adjoint/CG accuracy δ₀ (default 0.1). */
  delta0: positive.optional().describe('Initial adjoint/CG accuracy δ₀ (default 0.1).'),
  /** Initial step α₀ (MAID default 0.01, adaptive-piggyback 0.1). */
  stepSize0: positive.optional().describe('Initial step α₀ (MAID default 0.01, adaptive-piggyback 0.1).'),
  /** Descent margin η of the test ω ≤ (1−η)‖z‖ (default 1e-4). */
  eta: z.number().gt(0).lt(1).optional().describe('Descent margin η of the test ω ≤ (1−η)‖z‖ (default 1e-4).'),
  /** Armijo fraction λ (default η²). */
  lambda: z.number().gt(0).lt(1).optional().describe('Armijo fraction λ (default η²).'),
  /** Step shrink per rejected trial (MAID 0.5, adaptive-piggyback 0.9). */
  rho: z.number().gt(0).lt(1).optional().describe('Step shrink per rejected trial (MAID 0.5, adaptive-piggyback 0.9).'),
  /** Step growth after an accepted step (default 10/9). */
  rhoBar: z.number().gt(1).optional().describe('Step growth after an accepted step (default 10/9).'),
  /** Accuracy shrink ν (default 0.5). */
  nu: z.number().gt(0).lt(1).optional().describe('Accuracy shrink ν (default 0.5).'),
  /** Accuracy growth ν̄ after an accepted step (default 1.05). */
  nuBar: z.number().gt(1).optional().describe('Accuracy growth ν̄ after an accepted step (default 1.05).'),
  /** Line-search trials per round (default 10). */
  maxBacktracks: positiveInt.optional().describe('Line-search trials per round (default 10).'),
  /** Line-search rounds per iteration (default 3). */
  maxRetries: positiveInt.optional().describe('Line-search rounds per iteration (default 3).'),
  /** Cap on accuracy refinements by the descent test (default 50). */
  maxRefinements: positiveInt.optional().describe('Cap on accuracy refinements by the descent test (default 50).'),
  /** Fixed-accuracy baseline: never change ε, δ (default false). */
  fixedAccuracy: z.boolean().optional().describe('Fixed-accuracy baseline: never change ε, δ (default false).'),
  /** Accuracy of trial solves (default "current"). */
  trialAccuracy: z.literal(['current', 'grown']).optional().describe('Accuracy of trial solves (default "current").'),
};

/** MAID (arXiv 2308.10098). */
const maidOptimizer = kinded('maid', maidShape);
/** The adaptive piggyback step (MAID-based reconstruction, arXiv 2412.06436; docs/math/maid.md#the-adaptive-step-of-the-piggyback-paper). */
const adaptivePiggybackOptimizer = kinded('adaptive-piggyback', maidShape);

/** Inexact gradient descent with fixed step and accuracy. */
const gdOptimizer = kinded('gd', {
  /** Fixed step α (required: there is no problem-independent default). */
  stepSize: positive.describe('Fixed step α (required: there is no problem-independent default).'),
  /** Fixed lower-level accuracy ε. */
  epsilon: positive.default(1e-3).describe('Fixed lower-level accuracy ε.'),
  /** Fixed adjoint accuracy δ (default ε). */
  delta: positive.optional().describe('Fixed adjoint accuracy δ (default ε).'),
});

/** The zod schema of a step-size or accuracy schedule (`constant`, `poly`, `log`). */
export const scheduleConfigSchema = kindUnion('schedule', [
  /** s(k) = 1. */
  kinded('constant', {}),
  /** Polynomial decay. */
  kinded('poly', {
    /** s(k) = (k+1)^(−exponent). */
    exponent: nonNegative.describe('s(k) = (k+1)^(−exponent).'),
  }),
  /** Logarithmic decay. */
  kinded('log', {
    /** s(k) = ln(k + offset)^(−exponent). */
    exponent: nonNegative.describe('s(k) = ln(k + offset)^(−exponent).'),
    /** Offset (default e). */
    offset: z.number().gt(1).optional().describe('Offset (default e).'),
  }),
]);

const stochasticShape = {
  /** Minibatch size b (samples per hypergradient; at most the number of training crops). */
  batchSize: positiveInt.describe('Minibatch size b (samples per hypergradient; at most the number of training crops).'),
  /** Initial step α₀. */
  stepSize0: positive.describe('Initial step α₀.'),
  /** Step-size decay α_k = α₀·s(k). */
  stepSchedule: scheduleConfigSchema.default({ kind: 'constant' }).describe('Step-size decay α_k = α₀·s(k).'),
  /** Initial lower-level accuracy ε₀. */
  epsilon0: positive.default(0.1).describe('Initial lower-level accuracy ε₀.'),
  /** Accuracy decay ε_k = ε₀·s(k). */
  accuracySchedule: scheduleConfigSchema.default({ kind: 'constant' }).describe('Accuracy decay ε_k = ε₀·s(k).'),
  /** Adjoint/CG accuracy δ_k = deltaRatio·ε_k. */
  deltaRatio: positive.default(1).describe('Adjoint/CG accuracy δ_k = deltaRatio·ε_k.'),
  /** Drop the last incomplete minibatch of each epoch. */
  dropLast: z.boolean().default(true).describe('Drop the last incomplete minibatch of each epoch.'),
};

/** Inexact SGD on minibatches. */
const sgdOptimizer = kinded('sgd', stochasticShape);
/** Inexact Adam on minibatches. */
const adamOptimizer = kinded('adam', {
  ...stochasticShape,
  /** Adam β₁. */
  beta1: z.number().min(0).lt(1).default(0.9).describe('Adam β₁.'),
  /** Adam β₂. */
  beta2: z.number().min(0).lt(1).default(0.999).describe('Adam β₂.'),
  /** Adam ε (denominator guard). */
  adamEpsilon: positive.default(1e-8).describe('Adam ε (denominator guard).'),
});

const optimizerSchema = kindUnion('optimizer', [maidOptimizer, adaptivePiggybackOptimizer, gdOptimizer, sgdOptimizer, adamOptimizer]);

// ---------------------------------------------------------------------------------------------
// budget, eval, whole config

const budgetSchema = strict({
  /** Upper-level iterations (0: no optimizer step; the run evaluates its start, e.g. a model started at another's experts). */
  iterations: z
    .number()
    .int('must be an integer')
    .nonnegative('must be ≥ 0')
    .describe('Upper-level iterations (0: no optimizer step; the run evaluates its start, e.g. a model started at another’s experts).'),
  /** Stop when the total work (lower-level + adjoint + CG iterations) reaches this. */
  lowerLevelIterations: positiveInt
    .optional()
    .describe('Stop when the total work (lower-level + adjoint + CG iterations) reaches this.'),
  /** Stop when the time spent in optimizer steps reaches this many seconds. */
  wallTimeSeconds: positive.optional().describe('Stop when the time spent in optimizer steps reaches this many seconds.'),
});

const evalSchema = strict({
  /** Lower-level accuracy of the reconstructions shown and evaluated. */
  epsilon: positive.default(1e-4).describe('Lower-level accuracy of the reconstructions shown and evaluated.'),
  /** Cap on lower-level iterations per reconstruction. */
  maxIterations: positiveInt.default(3000).describe('Cap on lower-level iterations per reconstruction.'),
  /** Log-spaced grid of TV weights for the baseline (tuned on the training crops, then refined once). */
  tvWeights: strict({
    /** Smallest weight. */
    min: positive.default(1e-3),
    /** Largest weight. */
    max: positive.default(1),
    /** Number of weights (log-spaced). */
    count: z.number().int().min(2).default(13),
  })
    .default({ min: 1e-3, max: 1, count: 13 })
    .describe('Log-spaced grid of TV weights for the baseline (tuned on the training crops, then refined once).'),
  /** Crops shown in each PNG grid. */
  showImages: z.number().int().min(1).max(16).default(4).describe('Crops shown in each PNG grid.'),
  /**
   * Track generalisation while training: after the first upper-level iteration and every
   * `testEvery` iterations after it, reconstruct the test crops at the current θ (at `epsilon`)
   * and log their mean PSNR as `testPsnr` in `log.jsonl` (what `bilevel compare` plots against
   * work). Not counted in the wall-time budget; absent: no tracking.
   */
  testEvery: positiveInt
    .optional()
    .describe(
      'Track generalisation: after the first iteration and every testEvery iterations, reconstruct the test crops at the current θ and log their mean PSNR as testPsnr in log.jsonl (for `bilevel compare`; not counted in the wall-time budget).',
    ),
});

// ---------------------------------------------------------------------------------------------
// compute

const computeSchema = strict({
  /** Where the per-sample solves run. */
  engine: z
    .enum(['inline', 'threads', 'redis'])
    .default('threads')
    .describe(
      'Where the per-sample solves run: "threads" (worker threads, default), "inline" (one after another on the main thread) or "redis" (`bilevel worker --redis URL` processes on any machine). Results are identical bit for bit.',
    ),
  /** Worker threads of the threads engine (default: one per core, at most one per training crop). */
  workers: positiveInt.optional().describe('Worker threads of the threads engine (default: one per core, at most one per training crop).'),
  /** The Redis server of the redis engine (also `bilevel train --redis URL`). */
  redis: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379')
    .optional()
    .describe('The Redis server of the redis engine, e.g. redis://127.0.0.1:6379 (also `bilevel train --redis URL`).'),
});

/** The zod schema of an experiment config (see the README's "Config" section). */
export const experimentConfigSchema = strict({
  /** Path or URL of the JSON Schema (for editors; ignored). */
  $schema: z.string().optional().describe('Path or URL of the JSON Schema (for editors; ignored).'),
  /** Short name (slug), used for the default output folder runs/<name>. */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be a slug: lower-case letters, digits, ".", "_", "-"')
    .describe('Short name (slug), used for the default output folder runs/<name>.'),
  /** One line saying what the experiment does. */
  description: z.string().default('').describe('One line saying what the experiment does.'),
  /** Seed of crops, noise, initialisation and minibatches. */
  seed: z.number().int('must be an integer').default(0).describe('Seed of crops, noise, initialisation and minibatches.'),
  /** Images, crops and degradation. */
  data: dataSchema,
  /** The lower-level model. */
  model: modelSchema,
  /** The hypergradient estimator. */
  hypergradient: hypergradientSchema,
  /** The upper-level optimizer. */
  optimizer: optimizerSchema,
  /** When to stop. */
  budget: budgetSchema,
  /** Write a checkpoint every N upper-level iterations. */
  checkpointEvery: positiveInt.default(10).describe('Write a checkpoint every N upper-level iterations.'),
  /** Where the per-sample solves run (does not change the results). */
  compute: computeSchema.default({ engine: 'threads' }).describe('Where the per-sample solves run (does not change the results).'),
  /** Reconstructions for pictures and `bilevel eval`. */
  eval: evalSchema.default({ epsilon: 1e-4, maxIterations: 3000, tvWeights: { min: 1e-3, max: 1, count: 13 }, showImages: 4 }),
});

/** An experiment config as written in a file (defaults not yet filled in). */
export type ExperimentConfigInput = z.input<typeof experimentConfigSchema>;
/** A validated experiment config with every default filled in. */
export type ExperimentConfig = z.output<typeof experimentConfigSchema>;
/** The `model` section of a validated config: `kind`, the kind's options, `init` and `ridge`. */
export type ModelConfig = ExperimentConfig['model'];
/** The `hypergradient` section of a validated config. */
export type HypergradientConfig = ExperimentConfig['hypergradient'];
/** The `optimizer` section of a validated config. */
export type OptimizerConfig = ExperimentConfig['optimizer'];
/** The `data` section of a validated config. */
export type DataConfig = ExperimentConfig['data'];
/** The `data.degradation` section of a validated config. */
export type DegradationConfig = DataConfig['degradation'];
/** The `compute` section of a validated config. */
export type ComputeConfig = ExperimentConfig['compute'];
/** A step-size or accuracy schedule of the stochastic optimizers. */
export type ScheduleConfig = z.output<typeof scheduleConfigSchema>;

/**
 * What the registry says about a config's model on the training crops: the model built at its
 * default initialisation (or the error that stopped it), and whether θ's length depends on the
 * image size.
 */
function inspectModel(c: ExperimentConfig): { model?: VariationalModel; error?: string; sizeDependent: boolean } {
  const { kind, init, ridge: _ridge, ...options } = c.model as ExperimentConfig['model'] & Record<string, unknown>;
  const shape = (crop: number) => [c.data.gray ? 1 : 3, crop, crop];
  try {
    const spec = models.initial(kind, options, init, { rng: Rng.seeded(c.seed), seed: c.seed, shape: shape(c.data.train.cropSize) });
    const model = models.build(spec, shape(c.data.train.cropSize));
    const sizeDependent = models.layout(kind, options, shape(c.data.test.cropSize)).length !== spec.theta.length;
    return { model, sizeDependent };
  } catch (e) {
    return { error: (e as Error).message.replace(/\s+/g, ' '), sizeDependent: false };
  }
}

/** Cross-field rules that a single-field schema cannot express; one message per violation. */
function crossFieldIssues(c: ExperimentConfig): string[] {
  const issues: string[] = [];
  const kind = `model "${c.model.kind}"`;
  const { model, error, sizeDependent } = inspectModel(c);
  if (error) issues.push(`model: ${kind} cannot be built for ${c.data.train.cropSize}×${c.data.train.cropSize} crops: ${error}`);
  if (model) {
    if (c.hypergradient.kind === 'piggyback' && !model.saddle?.trainable) {
      issues.push(
        model.smooth
          ? `hypergradient.kind: ${kind} has a smooth lower level, which needs hypergradient "implicit" (got "piggyback")`
          : `hypergradient.kind: ${kind} has no saddle form that piggyback trains`,
      );
    }
    if (c.hypergradient.kind === 'implicit' && !model.smooth) {
      issues.push(`hypergradient.kind: ${kind} has a saddle lower level, which needs hypergradient "piggyback" (got "implicit")`);
    }
    const adaptive = c.optimizer.kind === 'maid' || c.optimizer.kind === 'adaptive-piggyback';
    if (adaptive && c.hypergradient.kind === 'implicit' && model.smooth && !model.smooth.certified) {
      issues.push(
        `optimizer.kind: "${c.optimizer.kind}" needs a finite hypergradient error bound, which ${kind} (these options) does not have in its smooth form; ` +
          'use a model with a saddle form (hypergradient "piggyback", bounded) or optimizer "sgd"/"adam"',
      );
    }
    if (c.data.degradation.kind === 'inpainting' && c.model.ridge <= 0) {
      issues.push('model.ridge: inpainting leaves the missing pixels to the regularizer alone; set model.ridge > 0 (e.g. 0.001) so the lower level is strongly convex');
    }
    if (c.hypergradient.kind === 'piggyback' && model.saddle?.lifting && c.data.degradation.kind === 'blur') {
      issues.push(`data.degradation: ${kind} lifts its primal and takes denoising (or a pixel mask) as its data term, not blur`);
    }
    if (sizeDependent && c.data.test.cropSize !== c.data.train.cropSize) {
      issues.push(`data.test.cropSize: the parameters of ${kind} depend on the image size; use the training crop size ${c.data.train.cropSize}`);
    }
  }
  if (c.optimizer.kind === 'adaptive-piggyback' && c.hypergradient.kind !== 'piggyback') {
    issues.push('optimizer.kind: "adaptive-piggyback" is the step rule of the piggyback method; use hypergradient "piggyback" or optimizer "maid"');
  }
  for (const part of ['train', 'test'] as const) {
    const s = c.data[part];
    if (s.images && s.count !== undefined) issues.push(`data.${part}: give "images" or "count", not both`);
  }
  if (c.eval.tvWeights.min >= c.eval.tvWeights.max) issues.push('eval.tvWeights: need min < max');
  if (typeof c.data.source === 'object' && 'clean' in c.data.source && c.data.degradation.kind === 'inpainting') {
    issues.push('data.degradation: image pairs carry no masks, so "inpainting" cannot be their data term; use a folder of clean images (masks are drawn per crop) or degradation "noise"/"blur"');
  }
  return issues;
}

/**
 * Validate an experiment config (parsed JSON) and fill in defaults. Throws a core
 * `ValidationError` whose message lists every problem with its path, e.g.
 * `model: unknown key "filter" (allowed keys here: kind, filters, …)` or
 * `budget.iterations: Invalid input: expected number, received string`.
 * @param value the parsed JSON
 * @param source where it came from (file name), used in the message
 */
export function parseExperimentConfig(value: unknown, source = 'experiment config'): ExperimentConfig {
  const r = experimentConfigSchema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new ValidationError(`invalid experiment config ${source}:\n  ${issues.join('\n  ')}`, issues);
  }
  const extra = crossFieldIssues(r.data);
  if (extra.length) throw new ValidationError(`invalid experiment config ${source}:\n  ${extra.join('\n  ')}`, extra);
  return r.data;
}

/**
 * The JSON Schema (draft 2020-12) of an experiment config file, from `z.toJSONSchema` (input
 * side: fields with defaults are optional). `bilevel schema` prints it; point an editor's
 * `$schema` at it for completion and checking.
 */
export function experimentJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(experimentConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://github.com/bilevel/bilevel/apps/cli/experiment.schema.json',
    title: 'bilevel experiment config',
    description: 'Config of `bilevel train`: data, lower-level model, hypergradient estimator, upper-level optimizer and budget.',
  };
}
