/**
 * One training session of the playground, independent of the page and of the worker: built from
 * the page's setup written as an experiment config of `bilevel train` (`./experiment.ts`) — the
 * training pairs of the data pipeline of `@bilevel/imaging` (the CLI's crops, noise and masks),
 * the registry model at its initialisation from the experiment's `init` stream, the
 * hypergradient oracle the config names (implicit for smooth models, piggyback for saddle
 * models), the optimizer of `optimizerFromSpec` — and stepped one iteration at a time. The
 * worker drives it in the browser; the tests drive the very same code in Node, and run the CLI
 * on its config.
 * @module
 */
import { ValidationError, totalIterations, type HypergradientOracle, type SaddleBackend } from '@bilevel/core';
import { ImplicitOracle, PiggybackOracle, squaredError } from '@bilevel/hypergrad';
import { imagePairs, imageShape, psnr, psnrFromLoss, seedFor, streamFor, type Image, type ImagePair, type NamedImage } from '@bilevel/imaging';
import { models } from '@bilevel/models';
import { optimizerFromSpec, type Optimizer, type OptimizerState, type StepRecord } from '@bilevel/optimizers';
import { AsyncStepper, backendOracle } from './async-step.js';
import { experimentConfig, type ExperimentJson, type TrainingSettings } from './experiment.js';
import { buildTrainingModel, type ModelJson, type TrainingModel } from './model.js';

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

/** Options of a {@link TrainingSession}. */
export interface SessionOptions {
  /** Longer side the image was shrunk to (written to the config; default: the image's longer side). */
  readonly maxSide?: number;
  /** The budget written to the config (default 20; the session itself steps as long as it is asked). */
  readonly iterations?: number;
  /**
   * A compute backend for the piggyback solves of declarative models (float32 gpu.js WebGL in
   * the page); other models, or none, run the float64 host code.
   */
  readonly backend?: SaddleBackend;
}

/** A training session: the experiment config, data, model, oracle, optimizer and state. */
export class TrainingSession {
  /** The experiment config the session is built from (what `bilevel train` reads to train the same run). */
  readonly experiment: ExperimentJson;
  /** The training pairs (clean and degraded crops with their data operators). */
  readonly samples: readonly ImagePair[];
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
   * @param image the clean gray image the crops are taken from, with its name (a photograph
   *   name or a file name: what the config calls it)
   * @param settings data, model, method, seed
   * @param options the config's `maxSide` and budget, and a compute backend
   */
  constructor(image: NamedImage, settings: TrainingSettings, options: SessionOptions = {}) {
    if (image.image.channels !== 1) throw new ValidationError(`training image "${image.name}": expected a gray image, got ${image.image.channels} channels`);
    const maxSide = options.maxSide ?? Math.max(image.image.height, image.image.width);
    const e = experimentConfig(settings, { name: image.name, maxSide }, options.iterations ?? 20);
    this.experiment = e;
    const { cropSize, cropsPerImage, minStd } = e.data.train;
    this.samples = imagePairs([image], { part: 'train', seed: e.seed, crops: { cropSize, cropsPerImage, minStd }, degradation: e.data.degradation, maxSide });
    const shape = imageShape(this.samples[0]!.clean);
    const { kind, init, ridge, ...modelOptions } = e.model;
    this.initial = models.initial(kind, modelOptions, init, { rng: streamFor(e.seed, 'init'), seed: e.seed, shape });
    const h = e.hypergradient;
    this.built = buildTrainingModel(this.initial, this.samples, { ridge, form: h.kind === 'implicit' ? 'smooth' : 'saddle' });
    const loss = this.built.set.loss(squaredError({ reduction: h.loss }));
    const backend = options.backend;
    const useBackend = backend !== undefined && this.built.form === 'saddle' && this.built.declarative;
    this.onBackend = useBackend;
    this.oracle =
      this.built.form === 'smooth'
        ? new ImplicitOracle({ model: this.built.model, loss, maxIterations: h.maxIterations, ...(h.kind === 'implicit' ? { maxCgIterations: h.cgMaxIterations } : {}) })
        : new PiggybackOracle({ model: this.built.model, loss, maxIterations: h.maxIterations, ...(useBackend ? { backend } : {}) });
    this.optimizer = optimizerFromSpec(e.optimizer, { seed: seedFor(e.seed, 'minibatch'), project: this.built.projections });
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
