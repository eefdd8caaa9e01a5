/**
 * A training set pairs a variational model with samples — the degraded measurement, the clean
 * target and each sample's own data operator (per-image blur, inpainting masks) — and gives the
 * learnable lower-level models the hypergradient oracles consume (`SaddleModel` for piggyback,
 * `SmoothModel` for implicit differentiation).
 * @module
 */
import {
  ValidationError,
  assertFinite,
  describeSaddle,
  assertLength,
  shapeSize,
  type LinearOperator,
  type Loss,
  type DeclarativeSaddleModel,
  type SaddleModel,
  type SaddleSample,
  type SaddleDescription,
  type SmoothModel,
  type SmoothSample,
  type Vec,
} from '@bilevel/core';
import type { VariationalModel } from './model.js';
import { saddleReconstruction, smoothReconstruction } from './problem.js';

/** One training sample. */
export interface TrainingSample {
  /** The measurement `b_i` (the range of `A_i`). */
  readonly degraded: Vec;
  /** The clean target `x_i†` (the image shape). */
  readonly clean: Vec;
  /** The sample's forward operator `A_i` (default: identity, i.e. denoising). */
  readonly forward?: LinearOperator;
}

/** Options of {@link TrainingSet}. */
export interface TrainingSetOptions {
  /** `μ ≥ 0` of `(μ/2)‖x‖²` in every data term (default 0; needed for blur and masks). */
  readonly ridge?: number;
  /** Cold start of every sample's solve: its measurement (`degraded`, the default) or zero. */
  readonly start?: 'degraded' | 'zero';
}

/**
 * `ℓ((x, z); (x†, ·)) = base(x; x†)`: the loss of a lifted primal compares only its first `n`
 * entries (the image), gradient zero on `z`, Lipschitz constant `base.lipschitz(n)`. Views of the
 * argument arrays are cached, so repeated calls with the same arrays do not allocate.
 */
export function imageLoss(base: Loss, n: number): Loss {
  const cache = new WeakMap<Float64Array, Float64Array>();
  const head = (a: Vec): Float64Array => {
    let v = cache.get(a);
    if (v === undefined) {
      v = a.subarray(0, n);
      cache.set(a, v);
    }
    return v;
  };
  return {
    convex: base.convex,
    description: `${base.description} (image part of (x, z))`,
    value: (x, t) => base.value(head(x), head(t)),
    gradient(x, t, out) {
      base.gradient(head(x), head(t), head(out));
      out.fill(0, n);
      return out;
    },
    lipschitz: () => base.lipschitz(n),
  };
}

/**
 * A model over samples (`g_i(x) = ½‖A_i x − b_i‖² + (μ/2)‖x‖²`, `x_i†`), sharing θ with the model.
 * Its `saddleModel()` and `smoothModel()` are what the piggyback and implicit oracles take.
 */
export class TrainingSet {
  /** Number of image entries. */
  readonly imageSize: number;
  private readonly options: Required<TrainingSetOptions>;

  /**
   * @param model the variational model (its θ is the training set's)
   * @param samples the samples (targets of the model's image shape)
   * @param options ridge and cold start
   */
  constructor(
    readonly model: VariationalModel,
    readonly samples: readonly TrainingSample[],
    options: TrainingSetOptions = {},
  ) {
    if (samples.length === 0) throw new ValidationError('training set: at least one sample is needed');
    this.imageSize = shapeSize(model.shape);
    samples.forEach((s, i) => {
      assertLength(`samples[${i}].clean`, s.clean, model.shape);
      assertFinite(`samples[${i}].clean`, s.clean);
      assertFinite(`samples[${i}].degraded`, s.degraded);
      if (!s.forward) assertLength(`samples[${i}].degraded`, s.degraded, model.shape);
      else assertLength(`samples[${i}].degraded`, s.degraded, s.forward.range);
    });
    const ridge = options.ridge ?? 0;
    if (!(ridge >= 0) || !Number.isFinite(ridge)) throw new ValidationError(`training set: ridge = ${ridge} must be a finite number ≥ 0`);
    this.options = { ridge, start: options.start ?? 'degraded' };
  }

  /** Number of samples. */
  get size(): number {
    return this.samples.length;
  }

  /**
   * The loss the oracle should use: `base` on the image (for a lifted saddle form, only the image
   * part of `(x, z)` is compared).
   */
  loss(base: Loss): Loss {
    return this.model.saddle?.lifting ? imageLoss(base, this.imageSize) : base;
  }

  /**
   * The learnable saddle model for the piggyback oracle: `K_θ`, `f*`, `f` shared; per sample
   * `g_i` (on `(x, z)` for a lifted model), `g_i*` when `g_i` is strongly convex, the target
   * (`[x†; NaN…]` when lifted, so a loss not restricted to the image fails loudly) and the cold
   * start. θ is `K`'s parameters.
   */
  saddleModel(): SaddleModel & Partial<DeclarativeSaddleModel> {
    const m = this.model;
    const form = m.saddle;
    if (!form) throw new ValidationError(`${m.kind} models have no saddle form; train them with the implicit oracle (smooth form)`);
    if (!form.trainable) {
      throw new ValidationError(`${m.kind} models keep θ in f*, which piggyback does not train with a bound; train them with the implicit oracle (smooth form)`);
    }
    const lift = form.lifting;
    const { ridge, start } = this.options;
    const samples: SaddleSample[] = this.samples.map((s) => {
      const data = { degraded: s.degraded, ...(s.forward ? { forward: s.forward } : {}), ridge };
      const { problem, x0 } = saddleReconstruction(m, data, start);
      const target = lift ? new Float64Array(x0.length).fill(NaN) : s.clean;
      if (lift) target.set(s.clean);
      return {
        g: problem.g,
        ...(problem.gStar ? { gStar: problem.gStar } : {}),
        target,
        // The cold start of a lifted model depends on θ (z = σ(W₀x + b₀)): recomputed per solve.
        get x0(): Vec {
          return lift ? saddleReconstruction(m, data, start).x0 : x0;
        },
      };
    });
    // Denoising samples of a declarative form, described with the loss ½‖x − x†‖² for a compute backend.
    const saddleSpec =
      form.declarative && !lift
        ? (i: number): SaddleDescription | undefined => {
            const s = sampleAt(samples, i);
            if (sampleAt(this.samples, i).forward) return undefined;
            const d = describeSaddle({ K: form.K, g: s.g, fStar: form.fStar });
            return d && { ...d, loss: { kind: 'squared-error', reduction: 'sum' }, target: s.target };
          }
        : undefined;
    return Object.assign(overSamples(m, samples), {
      K: form.K,
      fStar: form.fStar,
      ...(form.f ? { f: form.f } : {}),
      ...(saddleSpec ? { saddleSpec } : {}),
    });
  }

  /**
   * The learnable smooth model for the implicit oracle: `h_i = ½‖A_i x − b_i‖² + (μ/2)‖x‖² + R_θ`
   * with MAID's bound constants when the model derives them.
   */
  smoothModel(): SmoothModel {
    const m = this.model;
    const form = m.smooth;
    if (!form) throw new ValidationError(`${m.kind} models have no smooth form; train them with the piggyback oracle (saddle form)`);
    const { ridge, start } = this.options;
    const samples: SmoothSample[] = this.samples.map((s) => {
      const { problem, x0 } = smoothReconstruction(m, { degraded: s.degraded, ...(s.forward ? { forward: s.forward } : {}), ridge }, start);
      const h = problem.h;
      const bc = form.boundConstants;
      return {
        h,
        target: s.clean,
        ...(start === 'degraded' ? { x0 } : {}),
        ...(bc ? { boundConstants: (x: Vec, r: number) => bc.call(form, h, x, r) } : {}),
      };
    });
    return overSamples(m, samples);
  }
}

/** The parts every learnable model over samples shares: θ (the model's), its names and the samples. */
function overSamples<T>(m: VariationalModel, samples: readonly T[]) {
  return {
    numSamples: samples.length,
    get params() {
      return m.params;
    },
    paramNames: () => m.paramNames(),
    setParams: (theta: ArrayLike<number>) => m.setParams(theta),
    sample: (i: number): T => sampleAt(samples, i),
  };
}

function sampleAt<T>(samples: readonly T[], i: number): T {
  const s = samples[i];
  if (s === undefined) throw new ValidationError(`training set: sample ${i} does not exist (it has ${samples.length})`);
  return s;
}
