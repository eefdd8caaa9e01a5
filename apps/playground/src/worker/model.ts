/**
 * Every model the playground builds, in one module: the model as data
 * `{ kind, options, theta }` (the JSON a person downloads and loads again), its defaults, and
 * the lower-level problems built from it with the library packages — a training set (for the
 * hypergradient oracles) and a single reconstruction (to apply a learned model to an image).
 *
 * | kind | form | built from | θ |
 * |---|---|---|---|
 * | `smoothed-tv` | smooth (FISTA + implicit differentiation) | `SmoothedTV` (anisotropic), MAID bound constants | `[θ₀, θ₁]`: `R = ½e^θ₀ Σ √((∂x)² + e^{2θ₁})` |
 * | `huber-tv` | saddle (PDHG + piggyback) | `huberTvSaddleModel`: `K = αD`, `f = Huber_ε` | `[α]` |
 * | `tv` | saddle | the same with `ε = 10⁻⁴` fixed: TV up to a tiny smoothing (piggyback needs `ε > 0`) | `[α]` |
 * | `foe` | saddle | `foeSaddleModel`: a learnable filter bank, Huber experts, periodic boundary | the filters |
 *
 * When the model registry of `@bilevel/models` lands, this module becomes calls to it.
 * @module
 */
import { Rng, ValidationError, parseOrThrow, z, type LinearOperator, type SaddleModel, type SaddleProblem, type SmoothModel, type Shape } from '@bilevel/core';
import type { Image } from '@bilevel/imaging';
import { paramLayout, zeroMeanProjection, type Projection } from '@bilevel/optimizers';
import { SmoothedTV, foeSaddleModel, huberTvSaddleModel, smoothModel, smoothedTvBoundConstants, type TrainingPair } from '@bilevel/prox';
import { Fista, HuberTvPdhg, Pdhg, anyOf, maxIterations, run, tolerance } from '@bilevel/solvers';

/** The model kinds of the playground. */
export const MODEL_KINDS = ['smoothed-tv', 'huber-tv', 'tv', 'foe'] as const;

/** One of {@link MODEL_KINDS}. */
export type ModelKind = (typeof MODEL_KINDS)[number];

/** Huber smoothing of the `tv` kind (TV up to it). */
export const TV_SMOOTHING = 1e-4;

const mode = z.enum(['isotropic', 'anisotropic']);
/** zod schemas of each kind's options. */
const optionSchemas = {
  'smoothed-tv': z.strictObject({ mode: z.literal('anisotropic').default('anisotropic') }),
  'huber-tv': z.strictObject({ huber: z.number().positive().default(0.002), mode: mode.default('isotropic') }),
  tv: z.strictObject({ mode: mode.default('isotropic') }),
  foe: z.strictObject({
    filters: z.number().int().min(1).max(16).default(6),
    kernelSize: z.number().int().min(3).max(7).refine((k) => k % 2 === 1, 'must be odd').default(5),
    huber: z.number().positive().default(0.01),
    boundary: z.enum(['periodic', 'zero']).default('periodic'),
  }),
} as const;

/** Options of each kind, defaults filled in. */
export type ModelOptions = { [K in ModelKind]: z.output<(typeof optionSchemas)[K]> };

/** A model as data: what is downloaded as JSON and loaded again. */
export interface ModelJson {
  /** The model kind. */
  readonly kind: ModelKind;
  /** Its options (every default filled in). */
  readonly options: Record<string, unknown>;
  /** The parameters θ. */
  readonly theta: number[];
}

const modelJsonSchema = z.strictObject({
  kind: z.enum(MODEL_KINDS),
  options: z.record(z.string(), z.unknown()).default({}),
  theta: z.array(z.number().finite()).min(1),
});

/** The options of `kind` validated, defaults filled in. */
export function modelOptions<K extends ModelKind>(kind: K, options: unknown): ModelOptions[K] {
  return parseOrThrow(optionSchemas[kind] as unknown as z.ZodType<ModelOptions[K]>, options ?? {}, `model options (${kind})`);
}

/** Number of parameters of a model of `kind` with `options`. */
export function thetaLength(kind: ModelKind, options: unknown): number {
  if (kind === 'smoothed-tv') return 2;
  if (kind === 'foe') {
    const o = modelOptions('foe', options);
    return o.filters * o.kernelSize * o.kernelSize;
  }
  return 1;
}

/** Names of θ, for the page. */
export function thetaNames(kind: ModelKind, options: unknown): string[] {
  switch (kind) {
    case 'smoothed-tv':
      return ['θ₀ (weight ½e^θ₀)', 'θ₁ (smoothing e^θ₁)'];
    case 'huber-tv':
    case 'tv':
      return ['α (weight)'];
    case 'foe': {
      const o = modelOptions('foe', options);
      return Array.from({ length: thetaLength(kind, o) }, (_, i) => `k${Math.floor(i / (o.kernelSize * o.kernelSize))}[${i % (o.kernelSize * o.kernelSize)}]`);
    }
  }
}

/**
 * Validate a model JSON (from a file or a message): kind, options of that kind, θ of the right
 * length. Throws a `ValidationError` saying what is wrong.
 */
export function parseModelJson(value: unknown): ModelJson {
  const m = parseOrThrow(modelJsonSchema, value, 'model JSON');
  const options = modelOptions(m.kind, m.options) as Record<string, unknown>;
  const n = thetaLength(m.kind, options);
  if (m.theta.length !== n) {
    throw new ValidationError(`model JSON: a '${m.kind}' model with these options has ${n} parameters, theta has ${m.theta.length}`);
  }
  return { kind: m.kind, options, theta: [...m.theta] };
}

/**
 * Initial FoE filters: the forward differences `w·(x[i,j+1] − x[i,j])`, `w·(x[i+1,j] − x[i,j])`
 * (a TV-like start) and zero-mean normal filters of standard deviation `w/5`, seeded.
 */
function foeInitialFilters(o: ModelOptions['foe'], seed: number, w = 0.05): Float64Array {
  const k = o.kernelSize;
  const per = k * k;
  const theta = Rng.seeded(seed).fillNormal(new Float64Array(o.filters * per), 0, w / 5);
  for (let f = 0; f < o.filters; f++) {
    let mean = 0;
    for (let t = 0; t < per; t++) mean += theta[f * per + t]!;
    for (let t = 0; t < per; t++) theta[f * per + t]! -= mean / per;
  }
  const centre = ((k - 1) / 2) * (k + 1);
  for (let f = 0; f < Math.min(2, o.filters); f++) {
    theta.fill(0, f * per, (f + 1) * per);
    theta[f * per + centre] = -w;
    theta[f * per + centre + (f === 0 ? 1 : k)] = w;
  }
  return theta;
}

/** A fresh model of `kind` at its initial θ (`seed` draws the FoE filters). */
export function initialModel(kind: ModelKind, options: unknown = {}, seed = 0): ModelJson {
  const o = modelOptions(kind, options) as Record<string, unknown>;
  switch (kind) {
    case 'smoothed-tv':
      return { kind, options: o, theta: [-5, -5] };
    case 'huber-tv':
    case 'tv':
      return { kind, options: o, theta: [0.02] };
    case 'foe':
      return { kind, options: o, theta: [...foeInitialFilters(o as ModelOptions['foe'], seed)] };
  }
}

/** The data term of a training set or a reconstruction: `½‖Ax − y‖² + μ/2‖x‖²`. */
export interface DataTerm {
  /** The forward operator `A` (identity when omitted: denoising). */
  readonly forward?: LinearOperator;
  /** Ridge `μ ≥ 0` (needed when `AᵀA` is singular: blur, inpainting). */
  readonly ridge?: number;
}

/** A training sample: measurement and clean target. */
export interface Sample {
  /** The degraded measurement `y`. */
  readonly degraded: Image;
  /** The clean target `x†`. */
  readonly clean: Image;
}

/** A built training model: smooth (implicit) or saddle (piggyback), with its projections. */
export type TrainingModel = ({ readonly form: 'smooth'; readonly model: SmoothModel } | { readonly form: 'saddle'; readonly model: SaddleModel }) & {
  /** Projections after every update (zero-mean FoE filters). */
  readonly projections: readonly Projection[];
  /** Whether a compute backend can run its samples (`saddleSpec`), i.e. the WebGL path applies. */
  readonly declarative: boolean;
};

function shapeOf(img: Image): Shape {
  return [img.channels, img.height, img.width];
}

/** The same model whose samples start cold at their measurement (when it has the image's size). */
function startAtMeasurement<M extends SmoothModel | SaddleModel>(model: M, samples: readonly Sample[]): M {
  const base = model.sample.bind(model);
  const wrapped = Object.create(model) as M;
  Object.defineProperty(wrapped, 'sample', {
    value: (i: number) => {
      const y = samples[i]!.degraded;
      const c = samples[i]!.clean;
      return y.data.length === c.data.length ? { ...base(i), x0: y.data } : base(i);
    },
  });
  return wrapped;
}

/**
 * The lower-level model of `json` over `samples` (all of one size), with θ = `json.theta`.
 * Every sample starts cold at its measurement.
 */
export function buildTrainingModel(json: ModelJson, samples: readonly Sample[], data: DataTerm = {}): TrainingModel {
  const m = parseModelJson(json);
  if (samples.length === 0) throw new ValidationError('buildTrainingModel: at least one sample is needed');
  const shape = shapeOf(samples[0]!.clean);
  const pairs: TrainingPair[] = samples.map((s) => ({ degraded: s.degraded.data, target: s.clean.data }));
  const common = { shape, pairs, ...(data.forward ? { forward: data.forward } : {}), ...(data.ridge ? { mu: data.ridge } : {}) };
  const theta = Float64Array.from(m.theta);
  switch (m.kind) {
    case 'smoothed-tv': {
      const R = new SmoothedTV({ shape, mode: 'anisotropic', weight: Math.exp(theta[0]!), nu: Math.exp(theta[1]!) });
      R.setParams(theta);
      const model = smoothModel({ ...common, regularizer: R, boundConstants: smoothedTvBoundConstants(R) });
      return { form: 'smooth', model: startAtMeasurement(model, samples), projections: [], declarative: false };
    }
    case 'huber-tv':
    case 'tv': {
      const o = m.options as ModelOptions['huber-tv'];
      const model = huberTvSaddleModel({ ...common, weight: theta[0]!, epsilon: m.kind === 'tv' ? TV_SMOOTHING : o.huber, mode: o.mode });
      return { form: 'saddle', model: startAtMeasurement(model, samples), projections: [], declarative: false };
    }
    case 'foe': {
      const o = m.options as ModelOptions['foe'];
      const model = foeSaddleModel({ ...common, filters: o.filters, kernelSize: o.kernelSize, kernels: theta, epsilon: o.huber, boundary: o.boundary });
      const per = o.kernelSize * o.kernelSize;
      const project = zeroMeanProjection({ layout: paramLayout([{ name: 'kernels', shape: o.filters * per }]), blocks: 'kernels' }, { groupSize: per });
      const declarative = model.saddleSpec?.(0) !== undefined;
      return { form: 'saddle', model: startAtMeasurement(model, samples), projections: [project], declarative };
    }
  }
}

/** The filters of a FoE model (`count·k²`, filter by filter), or undefined for TV models. */
export function filtersOf(json: ModelJson): { count: number; size: number; data: Float64Array } | undefined {
  if (json.kind !== 'foe') return undefined;
  const o = modelOptions('foe', json.options);
  return { count: o.filters, size: o.kernelSize, data: Float64Array.from(json.theta) };
}

/** Options of {@link reconstruct}. */
export interface ReconstructOptions {
  /** Certified accuracy `‖x − x̂‖ ≤ ε` (default 1e-4). */
  readonly epsilon?: number;
  /** Iteration cap (default 3000). */
  readonly maxIterations?: number;
}

/** A reconstruction with how it was computed. */
export interface Reconstruction {
  /** The reconstructed image. */
  readonly image: Image;
  /** Lower-level iterations (summed over channels). */
  readonly iterations: number;
  /** Largest certified distance bound over channels. */
  readonly distance: number;
  /** The solver: `wasm Huber-TV PDHG`, `FISTA` or `PDHG`. */
  readonly solver: string;
}

function reconstructChannel(m: ModelJson, y: Image, data: DataTerm, o: Required<ReconstructOptions>): Omit<Reconstruction, 'image'> & { x: Float64Array } {
  const stop = anyOf(tolerance(o.epsilon), maxIterations(o.maxIterations));
  const iso = (m.kind === 'huber-tv' || m.kind === 'tv') && (m.options as ModelOptions['huber-tv']).mode === 'isotropic';
  if (iso && !data.forward && !data.ridge && m.theta[0]! > 0) {
    // Σ Huber_ε(α|∇x|) = α Σ Huber_{ε/α}(|∇x|): the fused WebAssembly Huber-TV PDHG of @bilevel/solvers
    const alpha = m.theta[0]!;
    const eps = m.kind === 'tv' ? TV_SMOOTHING : (m.options as ModelOptions['huber-tv']).huber;
    const solver = new HuberTvPdhg();
    const state = solver.init({ shape: shapeOf(y), b: y.data, alpha, epsilon: eps / alpha }, { x: y.data });
    const r = run(solver, state, { stop, certificateEvery: 10 });
    return { x: Float64Array.from(state.x), iterations: r.iterations, distance: r.certificate.distance, solver: 'WebAssembly Huber-TV PDHG' };
  }
  const built = buildTrainingModel(m, [{ degraded: y, clean: y }], data);
  if (built.form === 'smooth') {
    const s = built.model.sample(0);
    const fista = new Fista();
    const state = fista.init({ h: s.h }, { x: s.x0 ?? new Float64Array(y.data.length) });
    const r = run(fista, state, { stop, certificateEvery: 5 });
    return { x: Float64Array.from(state.x), iterations: r.iterations, distance: r.certificate.distance, solver: 'FISTA' };
  }
  const s = built.model.sample(0);
  const mm = built.model;
  const problem: SaddleProblem = { K: mm.K, g: s.g, fStar: mm.fStar, ...(mm.f ? { f: mm.f } : {}), ...(s.gStar ? { gStar: s.gStar } : {}) };
  const pdhg = new Pdhg({ gap: false });
  const state = pdhg.init(problem, s.x0 ? { x: s.x0 } : {});
  const r = run(pdhg, state, { stop, certificateEvery: 10 });
  return { x: Float64Array.from(state.x), iterations: r.iterations, distance: r.certificate.distance, solver: 'PDHG' };
}

/**
 * Apply a model to an image: each channel is reconstructed separately from `½‖Ax − y‖² + R_θ(x)`
 * (denoising when `data` is empty) to the certified accuracy `epsilon`.
 */
export function reconstruct(json: ModelJson, y: Image, data: DataTerm = {}, options: ReconstructOptions = {}): Reconstruction {
  const m = parseModelJson(json);
  const o = { epsilon: options.epsilon ?? 1e-4, maxIterations: options.maxIterations ?? 3000 };
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
