/**
 * The playground's models through the registry of `@bilevel/models`: a model is data
 * `{ kind, options, theta }` (the JSON a person downloads, loads again, or hands to the CLI's
 * `bilevel denoise --model`), rebuilt by `models.build`; training sets and single
 * reconstructions come from the same package.
 *
 * | page choice | model data | form |
 * |---|---|---|
 * | `smooth-tv` | `smooth-tv` (anisotropic) | smooth (FISTA + implicit differentiation, MAID's bound constants) |
 * | `huber-tv` | `huber-tv`, `K = e^θ₀∇`, `ε = 0.002` | saddle (PDHG + piggyback) |
 * | `tv` | `huber-tv` with `ε = 10⁻⁴`: TV up to a tiny smoothing (piggyback needs `ε > 0`) | saddle |
 * | `foe` | `foe`, Huber experts, 6 filters 5×5, periodic boundary | saddle |
 * @module
 */
import { Rng, ValidationError, anyOf, maxIterations, run, tolerance, type LinearOperator, type SaddleModel, type SmoothModel, type Shape } from '@bilevel/core';
import type { Image } from '@bilevel/imaging';
import {
  TrainingSet,
  models,
  parseModelSpec,
  saddleReconstruction,
  smoothReconstruction,
  type ModelSpec,
  type ThetaProjection,
} from '@bilevel/models';
import { Fista, Pdhg } from '@bilevel/solvers';

/** The model choices of the page. */
export const MODEL_KINDS = ['smooth-tv', 'huber-tv', 'tv', 'foe'] as const;

/** One of {@link MODEL_KINDS}. */
export type ModelKind = (typeof MODEL_KINDS)[number];

/** Huber smoothing of the `tv` choice (TV up to it). */
export const TV_SMOOTHING = 1e-4;

/** A page choice as a registry model: kind, options and initialisation options. */
export interface ModelPreset {
  /** The registry kind. */
  readonly kind: string;
  /** The kind's options. */
  readonly options: Record<string, unknown>;
  /** The kind's initialisation options (`models.initial`). */
  readonly init: Record<string, unknown>;
}

/** The model data a page choice starts from: registry kind and options (before the user's own). */
const PRESETS: Record<ModelKind, ModelPreset> = {
  'smooth-tv': { kind: 'smooth-tv', options: { mode: 'anisotropic' }, init: {} },
  'huber-tv': { kind: 'huber-tv', options: { huber: 0.002, mode: 'isotropic' }, init: { logWeight: Math.log(0.02) } },
  tv: { kind: 'huber-tv', options: { huber: TV_SMOOTHING, mode: 'isotropic' }, init: { logWeight: Math.log(0.02) } },
  foe: {
    kind: 'foe',
    options: { potential: 'huber', filters: 6, filterSize: 5, huber: 0.01, boundary: 'periodic' },
    init: { filterScale: 0.02, derivativeWeight: 0.05 },
  },
};

/** A model as data: what is downloaded as JSON and loaded again (a registry `ModelSpec`). */
export type ModelJson = ModelSpec;

/** The options of a page choice, the preset's filled in and the user's on top, validated by the registry. */
export function modelOptions(choice: ModelKind, options: unknown = {}): Record<string, unknown> {
  const p = PRESETS[choice];
  return models.options(p.kind, { ...p.options, ...((options as Record<string, unknown>) ?? {}) });
}

/** A page choice as a registry model (the `model` section of the experiment config it exports): kind, options (the user's on top), init. */
export function modelPreset(choice: ModelKind, options: unknown = {}): ModelPreset {
  const p = PRESETS[choice];
  return { kind: p.kind, options: modelOptions(choice, options), init: { ...p.init } };
}

/**
 * Validate a model JSON (from a file or a message) through the registry: a registered kind, its
 * options, θ of the layout's length for images of `shape` (default a 1×16×16 probe; the
 * playground's kinds do not depend on the size). Throws a `ValidationError` saying what is wrong.
 */
export function parseModelJson(value: unknown, shape: Shape = [1, 16, 16]): ModelJson {
  const spec = parseModelSpec(value, 'model JSON');
  const options = models.options(spec.kind, spec.options);
  const n = models.layout(spec.kind, options, shape).length;
  if (spec.theta.length !== n) throw new ValidationError(`model JSON: a '${spec.kind}' model with these options has ${n} parameters, theta has ${spec.theta.length}`);
  return { kind: spec.kind, options, theta: [...spec.theta] };
}

/** Number of parameters of a model (by its data). */
export function thetaLength(json: Pick<ModelJson, 'kind' | 'options'>): number {
  return models.layout(json.kind, json.options, [1, 16, 16]).length;
}

/** Names of θ, for the page (the registry layout's). */
export function thetaNames(json: Pick<ModelJson, 'kind' | 'options'>): string[] {
  return models.layout(json.kind, json.options, [1, 16, 16]).names();
}

/** A fresh model of a page choice at its default θ (`seed` draws random parts such as FoE filters). */
export function initialModel(choice: ModelKind, options: unknown = {}, seed = 0, shape: Shape = [1, 16, 16]): ModelJson {
  const p = modelPreset(choice, options);
  return models.initial(p.kind, p.options, p.init, { rng: Rng.seeded(seed), seed, shape });
}

/** The data term of a training set or a reconstruction: `½‖Ax − y‖² + μ/2‖x‖²`. */
export interface DataTerm {
  /** The forward operator `A` (identity when omitted: denoising). */
  readonly forward?: LinearOperator;
  /** Ridge `μ ≥ 0` (needed when `AᵀA` is singular: blur, inpainting). */
  readonly ridge?: number;
}

/** A training sample: measurement, clean target and the forward operator of its data term (a pair of `imagePairs` of `@bilevel/imaging` is one). */
export interface Sample {
  /** The degraded measurement `y`. */
  readonly degraded: Image;
  /** The clean target `x†`. */
  readonly clean: Image;
  /** The sample's forward operator `A` (identity when omitted: denoising). */
  readonly forward?: LinearOperator;
}

/** Options of {@link buildTrainingModel}. */
export interface TrainingModelOptions {
  /** Ridge `μ ≥ 0` of every data term (default 0). */
  readonly ridge?: number;
  /** The form to train (default: saddle when θ is `K`'s, else smooth). */
  readonly form?: 'smooth' | 'saddle';
}

/** A built training model: smooth (implicit) or saddle (piggyback), with its training set and projections. */
export type TrainingModel = ({ readonly form: 'smooth'; readonly model: SmoothModel } | { readonly form: 'saddle'; readonly model: SaddleModel }) & {
  /** The training set (its `loss` restricts the squared error to the image for a lifted model). */
  readonly set: TrainingSet;
  /** Projections after every update (zero-mean FoE filters). */
  readonly projections: readonly ThetaProjection[];
  /** Whether a compute backend can run its samples (`saddleSpec`), i.e. the WebGL path applies. */
  readonly declarative: boolean;
};

function shapeOf(img: Image): Shape {
  return [img.channels, img.height, img.width];
}

/**
 * The training model of `json` over `samples` (all of one size), with θ = `json.theta`: the
 * registry's model in a training set (each sample with its own forward operator, ridge μ, cold
 * start at its measurement) in the form asked for, by default its trainable one (saddle when θ
 * is `K`'s, else smooth).
 */
export function buildTrainingModel(json: ModelJson, samples: readonly Sample[], options: TrainingModelOptions = {}): TrainingModel {
  if (samples.length === 0) throw new ValidationError('buildTrainingModel: at least one sample is needed');
  const shape = shapeOf(samples[0]!.clean);
  const model = models.build(json, shape);
  const set = new TrainingSet(
    model,
    samples.map((s) => ({ degraded: s.degraded.data, clean: s.clean.data, ...(s.forward ? { forward: s.forward } : {}) })),
    { ridge: options.ridge ?? 0 },
  );
  const form = options.form ?? (model.saddle?.trainable ? 'saddle' : 'smooth');
  if (form === 'saddle') {
    const saddle = set.saddleModel();
    return { form, model: saddle, set, projections: model.projections, declarative: saddle.saddleSpec?.(0) !== undefined };
  }
  return { form, model: set.smoothModel(), set, projections: model.projections, declarative: false };
}

/** The filters of a model (`count·k²`, filter by filter), or undefined for models without filters. */
export function filtersOf(json: ModelJson): { count: number; size: number; data: Float64Array } | undefined {
  return models.filters(json);
}

/** Options of {@link reconstruct}. */
export interface ReconstructOptions {
  /** Certified accuracy `‖x − x̂‖ ≤ ε` (default 1e-4). */
  readonly epsilon?: number;
  /** Iteration cap (default 3000). */
  readonly maxIterations?: number;
  /**
   * PDHG's kernel: `auto` (default) the fused WebAssembly kernel where the model's problem is one
   * it runs (isotropic or anisotropic Huber-TV denoising), `js-f64` the generic composition.
   */
  readonly kernel?: 'auto' | 'js-f64';
}

/** A reconstruction with how it was computed. */
export interface Reconstruction {
  /** The reconstructed image. */
  readonly image: Image;
  /** Lower-level iterations (summed over channels). */
  readonly iterations: number;
  /** Largest certified distance bound over channels. */
  readonly distance: number;
  /** The solver: `WebAssembly Huber-TV PDHG`, `FISTA` or `PDHG`. */
  readonly solver: string;
}

function reconstructChannel(m: ModelJson, y: Image, data: DataTerm, o: Required<ReconstructOptions>): Omit<Reconstruction, 'image'> & { x: Float64Array } {
  const stop = anyOf(tolerance(o.epsilon), maxIterations(o.maxIterations));
  const model = models.build(m, shapeOf(y));
  const d = { degraded: y.data, ...(data.forward ? { forward: data.forward } : {}), ...(data.ridge ? { ridge: data.ridge } : {}) };
  if (!model.saddle?.trainable && model.smooth) {
    const { problem, x0 } = smoothReconstruction(model, d);
    const fista = new Fista();
    const state = fista.init(problem, { x: x0 });
    const r = run(fista, state, { stop, certificateEvery: 5 });
    return { x: Float64Array.from(state.x), iterations: r.iterations, distance: r.certificate.distance, solver: 'FISTA' };
  }
  const { problem, x0, image } = saddleReconstruction(model, d);
  // PDHG dispatches through the kernel registry: the registry's Huber-TV models run fused.
  const pdhg = new Pdhg({ gap: false, backend: o.kernel });
  const state = pdhg.init(problem, { x: x0 });
  const r = run(pdhg, state, { stop, certificateEvery: 10 });
  const solver = state.work.kernel.name === 'huber-tv' ? 'WebAssembly Huber-TV PDHG' : 'PDHG';
  return { x: Float64Array.from(image(state.x)), iterations: r.iterations, distance: r.certificate.distance, solver };
}

/**
 * Apply a model to an image: each channel is reconstructed separately from `½‖Ax − y‖² + R_θ(x)`
 * (denoising when `data` is empty) to the certified accuracy `epsilon`.
 */
export function reconstruct(json: ModelJson, y: Image, data: DataTerm = {}, options: ReconstructOptions = {}): Reconstruction {
  const m = parseModelJson(json, [1, y.height, y.width]);
  const o = { epsilon: options.epsilon ?? 1e-4, maxIterations: options.maxIterations ?? 3000, kernel: options.kernel ?? 'auto' };
  const n = y.height * y.width;
  const out = new Float64Array(y.data.length);
  let iterations = 0;
  let distance = 0;
  let solver = '';
  for (let c = 0; c < y.channels; c++) {
    const channel: Image = { channels: 1, height: y.height, width: y.width, data: y.data.slice(c * n, (c + 1) * n) };
    const r = reconstructChannel(m, channel, data, o);
    out.set(r.x, c * n);
    iterations += r.iterations;
    distance = Math.max(distance, r.distance);
    solver = r.solver;
  }
  return { image: { channels: y.channels, height: y.height, width: y.width, data: out }, iterations, distance, solver };
}
