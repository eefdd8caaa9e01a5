/**
 * The ICNN lower level as a learnable saddle-point model (`SaddleModel` of `@bilevel/core`) for
 * PDHG and the piggyback hypergradient (arXiv 2412.06436; research note piggyback-pdhg.md §3.5):
 * the nested network is lifted by the epigraph constraint `z ≥ σ(W₀x + b₀)`.
 * @module
 */
import {
  ValidationError,
  assertFinite,
  type SaddleModel,
  type SaddleSample,
  type Shape,
  type Vec,
} from '@bilevel/core';
import { QuadraticFidelity } from '../quadratic-fidelity.js';
import type { TrainingPair } from '../models.js';
import { ensure } from '../validate.js';
import { IcnnDualTerm, IcnnPotential } from './dual-term.js';
import { LeakyReluEpigraph, LeakyReluEpigraphConjugate } from './epigraph.js';
import type { IcnnLiftedOperator } from './lifted-operator.js';
import { IcnnRegularizer, type IcnnOptions } from './regularizer.js';
import { SmoothReluSum, SmoothReluSumConjugate } from './relu-layer.js';
import { checkShape, dataOf, nonNegativeOption } from './validate.js';

/** Options of {@link icnnSaddleModel}. */
export interface IcnnModelOptions {
  /** Image shape `[C, H, W]`. */
  readonly shape: Shape;
  /** Training pairs (degraded `b`, clean target `x†`), each with the image's shape. */
  readonly pairs: readonly TrainingPair[];
  /** The network's options (everything but `shape`); ignored when `regularizer` is given. */
  readonly network?: Omit<IcnnOptions, 'shape'>;
  /** A ready regularizer (shares its parameters with the model). */
  readonly regularizer?: IcnnRegularizer;
  /**
   * `γ ≥ 0` of the quadratic `(γ/2)‖z‖²` on the auxiliary variable (default 0.05): makes the
   * primal term `μ_g = min(1, γ)`-strongly convex (0: the exact lifting, `μ_g = 0`).
   */
  readonly zWeight?: number;
  /**
   * `ε ≥ 0` of the Moreau smoothing of the epigraph constraint (default 0.05): the dual block gains
   * `(ε/2)‖y‖²`, so `μ_{f*} = min(ε, ω₁/max a) > 0` and the potential is smooth (0: the exact
   * constraint, `μ_{f*} = 0`).
   */
  readonly epigraphSmoothing?: number;
  /** Inpainting mask (0/1 per pixel): data term `½‖M x − b‖²` (default: denoising, `M = I`). */
  readonly mask?: ArrayLike<number>;
  /** Extra `(μ/2)‖(x, z)‖²` in the data term (default 0; needed for `μ_g > 0` with a mask). */
  readonly mu?: number;
}

/** A loss in the shape of `@bilevel/hypergrad`'s `Loss` (structural; prox does not import hypergrad). */
export interface ImageLoss {
  /** `ℓ(x; target)`. */
  value(x: Vec, target: Vec): number;
  /** `out = ∇ₓℓ(x; target)`. */
  gradient(x: Vec, target: Vec, out: Vec): Vec;
  /** Lipschitz constant of `∇ℓ` for vectors of length `n`. */
  lipschitz(n: number): number;
  /** Whether `ℓ` is convex. */
  readonly convex: boolean;
  /** Description. */
  readonly description: string;
}

/**
 * `ℓ((x, z); (x†, ·)) = base(x; x†)`: a loss on the lifted primal `(x, z)` that compares only its
 * first `imageSize` entries (the image) with the target's, gradient zero on `z`, Lipschitz constant
 * `base.lipschitz(imageSize)`. Views of the argument arrays are cached, so repeated calls with
 * the same arrays do not allocate.
 */
export function icnnImageLoss<L extends ImageLoss>(base: L, imageSize: number): ImageLoss {
  const cache = new WeakMap<Float64Array, Float64Array>();
  const head = (a: Vec): Float64Array => {
    let v = cache.get(a);
    if (v === undefined) {
      v = a.subarray(0, imageSize);
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
      out.fill(0, imageSize);
      return out;
    },
    lipschitz: () => base.lipschitz(imageSize),
  };
}

/** The ICNN saddle model: a `SaddleModel` plus the regularizer and the helpers the training loop needs. */
export interface IcnnSaddleModel extends SaddleModel {
  /** `K(x, z) = (W₀x, z, W_A P z)`. */
  readonly K: IcnnLiftedOperator;
  /** `f* = f*_epi ⊕ f*_hid`. */
  readonly fStar: IcnnDualTerm;
  /** The potential (present, and smooth, when `epigraphSmoothing > 0`). */
  readonly f?: IcnnPotential;
  /** The regularizer sharing θ. */
  readonly regularizer: IcnnRegularizer;
  /** Entries of the image `x`. */
  readonly imageSize: number;
  /** Entries of the lifted primal `(x, z)`. */
  readonly liftedSize: number;
  /** `γ`. */
  readonly zWeight: number;
  /** `ε`. */
  readonly epigraphSmoothing: number;
  /** The projection hook (`W_A ≥ 0`) for the optimizers' `project` option. */
  readonly project: (theta: Float64Array) => void;
  /** `icnnImageLoss(base, imageSize)`: use it (not `base`) as the oracle's loss. */
  imageLoss(base: ImageLoss): ImageLoss;
  /** The image part of a lifted primal vector (a view). */
  image(primal: Float64Array): Float64Array;
}

/**
 * The ICNN denoising (or masked inpainting) lower level in saddle form over the lifted primal
 * `X = (x, z)`:
 * ```
 * min_{x,z} max_y ⟨K_θ(x, z), y⟩ + g_i(x, z) − f*(y)
 * g_i(x, z) = ½‖Mx − b_i‖² + (γ/2)‖z‖² + (μ/2)‖(x, z)‖²        (one QuadraticFidelity, diagonal)
 * K_θ(x, z) = (W₀x, z, W_A P z)                                 (IcnnLiftedOperator, θ = K.params)
 * f(q₁, q₂, q₃) = ι_C(q₁ + b₀, q₂) [or dist²/(2ε)] + Σ_m a_m h_{ω₁}(q₃ + b₁)   (f* = IcnnDualTerm)
 * ```
 * With `γ = ε = 0` this is exactly `min_x ½‖Mx − b‖² + R_θ(x)` (the later layers are
 * nondecreasing in `z`, so `z = σ(W₀x + b₀)` at a minimiser). With `γ > 0` the model is
 * `R_γ(x) = min_{z ≥ σ(W₀x+b₀)} F(z) + (γ/2)‖z‖²` with `R ≤ R_γ ≤ R + (γ/2)‖σ(W₀x + b₀)‖²`;
 * with `ε > 0` the constraint becomes the penalty `dist²/(2ε)`. Both keep the model convex
 * (partial minimisation of a jointly convex function), and are what makes
 * `μ_g = min(1, γ) + μ` (mask: `min(M, γ) + μ`) and `μ_{f*} = min(ε, ω₁/max a)` positive — needed by the
 * linear-rate PDHG, the certificates (6a)/(6b) and the Theorem 2 bound.
 *
 * Samples: `g_i` (with `g_i*` when `μ_g > 0`), `target = [x†_i; NaN…]` (the `z` part is NaN, so a
 * loss that is not restricted to the image fails loudly — use {@link IcnnSaddleModel.imageLoss}),
 * and the cold start `x0 = (b_i, σ(W₀b_i + b₀))` (feasible, recomputed from the current θ).
 * θ = `K.params` = the regularizer's `[W₀; W_A]`; `project` keeps `W_A ≥ 0`.
 */
export function icnnSaddleModel(options: IcnnModelOptions): IcnnSaddleModel {
  const what = 'icnnSaddleModel';
  ensure(typeof options === 'object' && options !== null, `${what}: options must be an object`);
  const shape = checkShape(`${what} shape`, options.shape);
  const reg = options.regularizer ?? new IcnnRegularizer({ ...(options.network ?? {}), shape });
  ensure(
    reg.shape.length === shape.length && reg.shape.every((d, i) => d === shape[i]),
    `${what}: the regularizer's shape [${reg.shape.join(', ')}] differs from shape [${shape.join(', ')}]`,
  );
  const gamma = nonNegativeOption(`${what} zWeight`, options.zWeight ?? 0.05);
  const eps = nonNegativeOption(`${what} epigraphSmoothing`, options.epigraphSmoothing ?? 0.05);
  const mu = nonNegativeOption(`${what} mu`, options.mu ?? 0);
  ensure(reg.hiddenSmoothing > 0, `${what}: the network's hiddenSmoothing must be > 0 (the last layer's conjugate must be strongly convex), got ${reg.hiddenSmoothing}`);
  if (options.pairs.length === 0) throw new ValidationError(`${what} pairs: at least one training pair is needed`);
  const K = reg.operator;
  const n = reg.imageSize;
  const nz = reg.auxiliarySize;
  const N = n + nz;
  const mask = options.mask === undefined ? undefined : dataOf(`${what} mask`, options.mask, n, shape);
  if (mask) for (let i = 0; i < n; i++) ensure(mask[i] === 0 || mask[i] === 1, `${what} mask: entry ${i} is ${mask[i]}, expected 0 or 1`);
  const diagonal = new Float64Array(N);
  for (let i = 0; i < n; i++) diagonal[i] = mask ? mask[i]! : 1;
  diagonal.fill(Math.sqrt(gamma), n);

  const epiOptions = { shape: [2, reg.filters, ...reg.shape.slice(1)], slope: reg.slope, smoothing: reg.smoothing, bias: reg.convBias, epsilon: eps };
  const hidOptions = { shape: [reg.units], smoothing: reg.hiddenSmoothing, weight: reg.outputWeights, bias: reg.hiddenBias };
  const fStar = new IcnnDualTerm(new LeakyReluEpigraphConjugate(epiOptions), new SmoothReluSumConjugate(hidOptions));
  const f = eps > 0 ? new IcnnPotential(new LeakyReluEpigraph(epiOptions), new SmoothReluSum(hidOptions)) : undefined;

  const samples: SaddleSample[] = options.pairs.map((p, i) => {
    const b = dataOf(`${what} pairs[${i}].degraded`, p.degraded, n, shape);
    const target = new Float64Array(N).fill(NaN);
    target.set(dataOf(`${what} pairs[${i}].target`, p.target, n, shape));
    assertFinite(`${what} pairs[${i}].target`, target.subarray(0, n));
    const data = new Float64Array(N);
    data.set(b);
    const g = new QuadraticFidelity({ shape: [N], data, diagonal, ...(mu > 0 ? { mu } : {}) });
    const gStar = typeof (g as { conjugate?: unknown }).conjugate === 'function' ? g.conjugate() : undefined;
    return {
      g,
      ...(gStar ? { gStar } : {}),
      target,
      get x0(): Vec {
        const x0 = new Float64Array(N);
        x0.set(b);
        reg.activations(b, x0.subarray(n));
        return x0;
      },
    };
  });

  return {
    K,
    fStar,
    ...(f ? { f } : {}),
    regularizer: reg,
    numSamples: samples.length,
    imageSize: n,
    liftedSize: N,
    zWeight: gamma,
    epigraphSmoothing: eps,
    project: reg.project,
    get params() {
      return K.params;
    },
    paramNames: () => K.paramNames(),
    setParams: (theta) => K.setParams(theta),
    sample: (i) => {
      const s = samples[i];
      if (!s) throw new ValidationError(`${what}: sample ${i} does not exist (the model has ${samples.length})`);
      return s;
    },
    imageLoss: (base) => icnnImageLoss(base, n),
    image: (primal) => primal.subarray(0, n),
  };
}
