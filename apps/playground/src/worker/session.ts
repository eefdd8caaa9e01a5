/**
 * One training session of the playground, independent of the page and of the worker: the
 * training crops of a clean image and their seeded degradation, the model of `./model.ts`, the
 * hypergradient oracle (implicit for smooth models, piggyback for saddle models), the upper-level
 * optimizer of `@bilevel/optimizers` (MAID, the adaptive piggyback step, inexact Adam), and one
 * step at a time. The worker drives it in the browser; the tests drive the very same code in Node.
 * @module
 */
import { Rng, ValidationError, parseOrThrow, totalIterations, z, type HypergradientOracle, type SaddleBackend } from '@bilevel/core';
import { ImplicitOracle, PiggybackOracle, squaredError } from '@bilevel/hypergrad';
import { centerCrop, degrade, psnr, psnrFromLoss, sampleCrops, randomMask, type Image } from '@bilevel/imaging';
import { Convolution2D, Mask, gaussianKernel } from '@bilevel/operators';
import { adaptivePiggyback, iadam, maid, type Optimizer, type OptimizerState, type StepRecord } from '@bilevel/optimizers';
import { AsyncStepper, backendOracle } from './async-step.js';
import { MODEL_KINDS, buildTrainingModel, initialModel, parseModelJson, type DataTerm, type ModelJson, type Sample, type TrainingModel } from './model.js';

/** The upper-level methods of the page. */
export const METHODS = ['maid', 'adaptive', 'adam'] as const;

const degradationSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('noise'), sigma: z.number().min(0).max(1) }),
  z.strictObject({ kind: z.literal('blur'), size: z.number().int().min(3).max(15), sigma: z.number().positive().max(5), noise: z.number().min(0).max(1) }),
  z.strictObject({ kind: z.literal('inpainting'), keep: z.number().gt(0).lte(1), noise: z.number().min(0).max(1) }),
]);

/** zod schema of {@link TrainingSettings}. */
export const settingsSchema = z.strictObject({
  /** Side of each square training crop. */
  cropSize: z.number().int().min(8).max(256).default(64),
  /** Number of training crops (1: the centre crop; more: seeded crops away from flat regions). */
  crops: z.number().int().min(1).max(16).default(1),
  /** The degradation of the crops. */
  degradation: degradationSchema.default({ kind: 'noise', sigma: 0.1 }),
  /** The model choice with its options (θ₀ from its defaults), or a full model to continue from. */
  model: z.strictObject({ kind: z.enum(MODEL_KINDS), options: z.record(z.string(), z.unknown()).default({}), theta: z.array(z.number()).optional() }),
  /** The upper-level method. */
  method: z.enum(METHODS).default('maid'),
  /** Seed of crops, noise, masks, FoE filters and minibatches. */
  seed: z.number().int().default(0),
});

/** What a training session is made of (input form: defaults may be omitted). */
export type TrainingSettings = z.input<typeof settingsSchema>;

/** One step as the page shows it. */
export interface StepReport {
  /** Upper-level iterations done. */
  readonly iteration: number;
  /** Inexact training loss at θ_k (mean over the batch of ½‖x̃ − x†‖²). */
  readonly loss: number;
  /** PSNR (dB) implied by the loss. */
  readonly psnr: number;
  /** PSNR (dB) of the shown reconstruction (crop 0, clipped to [0, 1]) against its clean crop. */
  readonly reconstructionPsnr: number;
  /** A-posteriori bound on the hypergradient error. */
  readonly bound: number;
  /** `‖z_k‖`. */
  readonly gradNorm: number;
  /** Requested lower-level tolerance ε. */
  readonly epsilon: number;
  /** Requested adjoint tolerance δ. */
  readonly delta: number;
  /** Certified ε. */
  readonly certifiedEpsilon: number;
  /** Step size of the update. */
  readonly stepSize: number;
  /** Whether θ changed. */
  readonly accepted: boolean;
  /** Cumulative lower-level + adjoint iterations (the work axis). */
  readonly work: number;
  /** Cumulative milliseconds spent in steps (the time axis). */
  readonly time: number;
  /** θ after the step. */
  readonly theta: number[];
}

const SEEDS = { crops: 101, noise: 303, mask: 505, init: 707, minibatch: 909 } as const;

function stream(seed: number, use: keyof typeof SEEDS): Rng {
  return Rng.seeded((seed * 7919 + SEEDS[use]) | 0);
}

/** The training crops of `clean` (one channel): the centre crop, or seeded crops. */
export function trainingCrops(clean: Image, size: number, count: number, seed: number): Image[] {
  if (clean.channels !== 1) throw new ValidationError(`trainingCrops: expected a gray image, got ${clean.channels} channels`);
  if (size > clean.height || size > clean.width) {
    throw new ValidationError(`the image (${clean.width}×${clean.height}) is smaller than the crop size ${size}; choose a smaller crop`);
  }
  if (count === 1) return [centerCrop(clean, size)];
  return sampleCrops([{ name: 'image', image: clean }], { size, count, seed: stream(seed, 'crops'), minStd: 0.03 }).map((p) => p.image);
}

/** The forward operator and ridge of a degradation on `size × size` crops, and the measurements. */
export function degradeCrops(crops: readonly Image[], d: z.output<typeof degradationSchema>, seed: number): { samples: Sample[]; data: DataTerm } {
  const noise = stream(seed, 'noise');
  const shape: [number, number, number] = [1, crops[0]!.height, crops[0]!.width];
  let forward: DataTerm['forward'];
  if (d.kind === 'blur') {
    forward = new Convolution2D({ channels: 1, height: shape[1], width: shape[2], kernel: gaussianKernel(d.size, d.sigma), boundary: 'symmetric' });
  } else if (d.kind === 'inpainting') {
    forward = new Mask(shape, randomMask(shape[1], shape[2], { keepRatio: d.keep, seed: stream(seed, 'mask') }).data);
  }
  const sigma = d.kind === 'noise' ? d.sigma : d.noise;
  const samples = crops.map((clean) => ({ clean, degraded: degrade(clean, { ...(forward ? { forward } : {}), sigma, seed: noise }) }));
  return { samples, data: forward ? { forward, ridge: 1e-3 } : {} };
}

/** Adam's step per model kind (θ's scale: log-parameters, filter taps ≈ 0.05). */
const ADAM_STEP: Record<string, number> = { 'smooth-tv': 0.05, 'huber-tv': 0.1, foe: 5e-4 };

/** The optimizer of a method (`adam`: batch 1 over the crops, step by model kind, ε_k = 0.05/√(k+1)). */
function buildOptimizer(method: (typeof METHODS)[number], kind: ModelJson['kind'], model: TrainingModel, seed: number): Optimizer<OptimizerState> {
  const project = model.projections.length ? [...model.projections] : undefined;
  const opt = project ? { project } : {};
  switch (method) {
    case 'maid':
      return maid({ epsilon0: 0.1, delta0: 0.1, stepSize0: 0.01, ...opt }) as Optimizer<OptimizerState>;
    case 'adaptive':
      if (model.form !== 'saddle') throw new ValidationError('the adaptive piggyback step needs a saddle-form model (TV, Huber-TV or FoE); use MAID or Adam for smoothed TV');
      return adaptivePiggyback({ ...opt }) as Optimizer<OptimizerState>;
    case 'adam':
      return iadam({
        stepSize0: ADAM_STEP[kind] ?? 0.05,
        epsilon0: 0.05,
        accuracySchedule: { kind: 'poly', exponent: 0.5 },
        batchSize: 1,
        seed: (seed * 7919 + SEEDS.minibatch) | 0,
        ...opt,
      }) as Optimizer<OptimizerState>;
  }
}

/** A training session: data, model, oracle, optimizer and state. */
export class TrainingSession {
  /** The validated settings. */
  readonly settings: z.output<typeof settingsSchema>;
  /** The training samples (clean and degraded crops). */
  readonly samples: readonly Sample[];
  /** The model as data at θ₀. */
  readonly initial: ModelJson;
  /** Whether the compute backend runs the lower level (false: the float64 reference on the host). */
  readonly onBackend: boolean;
  private readonly built: TrainingModel;
  private readonly oracle: HypergradientOracle;
  private readonly optimizer: Optimizer<OptimizerState>;
  private readonly stepper: AsyncStepper | undefined;
  private state: OptimizerState;

  /**
   * @param clean the clean gray image the crops are taken from
   * @param settings data, model, method, seed
   * @param backend a compute backend for the piggyback solves of declarative models (float32
   *   gpu.js WebGL in the page); other models, or none, run the float64 host code
   */
  constructor(clean: Image, settings: TrainingSettings, backend?: SaddleBackend) {
    const s = parseOrThrow(settingsSchema, settings, 'training settings');
    this.settings = s;
    const crops = trainingCrops(clean, s.cropSize, s.crops, s.seed);
    const { samples, data } = degradeCrops(crops, s.degradation, s.seed);
    this.samples = samples;
    const c = samples[0]!.clean;
    const shape = [c.channels, c.height, c.width];
    const init = initialModel(s.model.kind, s.model.options, (s.seed * 7919 + SEEDS.init) | 0, shape);
    this.initial = s.model.theta ? parseModelJson({ ...init, theta: s.model.theta }, shape) : init;
    this.built = buildTrainingModel(this.initial, samples, data);
    const loss = squaredError({ reduction: 'sum' });
    const useBackend = backend !== undefined && this.built.form === 'saddle' && this.built.declarative;
    this.onBackend = useBackend;
    this.oracle =
      this.built.form === 'smooth'
        ? new ImplicitOracle({ model: this.built.model, loss, maxIterations: 5000, maxCgIterations: 1000 })
        : new PiggybackOracle({ model: this.built.model, loss, maxIterations: 5000, ...(useBackend ? { backend } : {}) });
    this.optimizer = buildOptimizer(s.method, this.initial.kind, this.built, s.seed);
    this.state = this.optimizer.init(Float64Array.from(this.initial.theta));
    this.stepper = useBackend ? new AsyncStepper(this.optimizer, backendOracle(this.oracle as PiggybackOracle)) : undefined;
  }

  /** Upper-level iterations done. */
  get iteration(): number {
    return this.state.iteration;
  }

  /** The model as data at the current θ. */
  model(): ModelJson {
    return { kind: this.initial.kind, options: this.initial.options, theta: [...this.state.theta] };
  }

  /** The current reconstruction of crop 0: the lower-level iterate of the last accepted point (the measurement before the first step). */
  reconstruction(): Image {
    const clean = this.samples[0]!.clean;
    const x = this.state.warm.get(0)?.x ?? this.samples[0]!.degraded.data;
    return { channels: 1, height: clean.height, width: clean.width, data: Float64Array.from(x.subarray(0, clean.data.length)) };
  }

  /** One upper-level iteration (on the backend when there is one). */
  async step(): Promise<StepReport> {
    const record: StepRecord = this.stepper ? await this.stepper.step(this.state).then((r) => ((this.state = r.state), r.record)) : this.optimizer.step(this.oracle, this.state);
    for (const v of this.state.theta) {
      if (!Number.isFinite(v)) throw new ValidationError(`θ became ${v} at iteration ${this.state.iteration}: the run diverged`);
    }
    const clean = this.samples[0]!.clean;
    return {
      iteration: this.state.iteration,
      loss: record.loss,
      psnr: psnrFromLoss(record.loss, clean.data.length, 'sum'),
      reconstructionPsnr: psnr(this.reconstruction(), clean, { dataRange: 1, clip: [0, 1] }),
      bound: record.bound,
      gradNorm: record.gradNorm,
      epsilon: record.epsilon,
      delta: record.delta,
      certifiedEpsilon: record.certifiedEpsilon,
      stepSize: record.stepSize,
      accepted: record.accepted,
      work: totalIterations(this.state.cost),
      time: this.state.elapsed,
      theta: [...this.state.theta],
    };
  }
}
