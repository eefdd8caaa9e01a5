/**
 * The model registry: each regularizer family is one {@link ModelKind} — its options schema, θ
 * layout, default initialisations and builder — and every process rebuilds models only through
 * it (`build(spec, shape)`), so a model is data. Contributing a regularizer is one file with a
 * `ModelKind` and one line in `kinds/index.ts` (CONTRIBUTING.md).
 * @module
 */
import type { z} from '@bilevel/core';
import { ValidationError, parseOrThrow, type Rng, type Shape } from '@bilevel/core';
import type { ThetaLayout } from './layout.js';
import type { VariationalModel } from './model.js';
import { parseModelSpec, type ModelSpec } from './spec.js';

/** What default initialisations may use: randomness, a seed and the image shape. */
export interface InitContext {
  /** A seeded stream for random initial values (e.g. filters). */
  readonly rng: Rng;
  /** The experiment's seed (for kinds whose builders take a seed). */
  readonly seed: number;
  /** The image shape `[C, H, W]` the model is initialised for. */
  readonly shape: Shape;
}

/** A bank of learned filters, for pictures and reports. */
export interface FilterBank {
  /** Number of filters. */
  readonly count: number;
  /** Side of each square filter. */
  readonly size: number;
  /** Channels each filter spans (default 1; 3 for colour filters). */
  readonly channels?: number;
  /** `count·channels·size·size` weights, filter by filter (`[filter][channel][row][col]`), row-major. */
  readonly data: Float64Array;
  /** Effective weight of each filter in the regularizer (for sorting and captions). */
  readonly weights: Float64Array;
}

/**
 * A regularizer as a sum of experts `R(x) = Σ_i c_i Σ_p φ_{ν_i}((k_i ⋆ x)_p)`, `φ_ν` a smoothed
 * absolute value (`≈ |t|`, quadratic within `ν` of 0: `√(t² + ν²)` or the Huber function of width
 * `ν`), as another kind can start from it (the ICNN kinds' `init.experts`).
 */
export interface Experts {
  /** Number of experts. */
  readonly count: number;
  /** Side of each square filter. */
  readonly size: number;
  /** Channels each filter spans. */
  readonly channels: number;
  /** `count·channels·size·size` filter entries `k_i`, `[expert][channel][row][col]`, row-major. */
  readonly kernels: Float64Array;
  /** Weights `c_i > 0`. */
  readonly weights: Float64Array;
  /** Smoothings `ν_i > 0` (the width of each expert's quadratic zone). */
  readonly smoothings: Float64Array;
}

/**
 * One registered regularizer family: options schema `OS` and initialisation schema `IS`
 * (strict zod objects with defaults), θ layout, default θ₀ and builder. Write one with
 * {@link defineModelKind} so the option types are inferred.
 */
export interface ModelKind<OS extends z.ZodObject = z.ZodObject, IS extends z.ZodObject = z.ZodObject> {
  /** The kind's name in model data and configs, e.g. `huber-tv`. */
  readonly kind: string;
  /** One line for reports and `--help`. */
  readonly summary: string;
  /** zod schema of the options (a strict object with defaults). */
  readonly options: OS;
  /** zod schema of the initialisation options (a strict object with defaults). */
  readonly init: IS;
  /** The θ layout for these options on images of `shape` (most kinds' layouts do not depend on it). */
  layout(options: z.output<OS>, shape: Shape): ThetaLayout;
  /** The default θ₀ (length `layout(options).length`). */
  initialTheta(options: z.output<OS>, init: z.output<IS>, context: InitContext): Float64Array;
  /** Build the model for images of `shape` (θ set by the registry afterwards). */
  build(options: z.output<OS>, shape: Shape): VariationalModel;
  /** Quantities derived from θ for reports (weights on their natural scale …). */
  report?(options: z.output<OS>, theta: Float64Array): Record<string, number>;
  /** The learned filters, for kinds that have them. */
  filters?(options: z.output<OS>, theta: Float64Array): FilterBank;
  /** The model as a sum of {@link Experts}, for kinds that are one. */
  experts?(options: z.output<OS>, theta: Float64Array): Experts;
}

/** A {@link ModelKind} with its option types inferred from its schemas. */
export function defineModelKind<OS extends z.ZodObject, IS extends z.ZodObject>(kind: ModelKind<OS, IS>): ModelKind<OS, IS> {
  return kind;
}

/** A {@link ModelKind} of any options (what the registry stores). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModelKind = ModelKind<any, any>;

/** The registry: kind name → {@link ModelKind}. */
export class ModelRegistry {
  private readonly entries = new Map<string, AnyModelKind>();

  /** @param kinds the kinds to register */
  constructor(kinds: readonly AnyModelKind[] = []) {
    for (const k of kinds) this.register(k);
  }

  /** Register a kind (a `ValidationError` if the name is taken). */
  register(kind: AnyModelKind): this {
    if (this.entries.has(kind.kind)) throw new ValidationError(`model registry: kind '${kind.kind}' is already registered`);
    this.entries.set(kind.kind, kind);
    return this;
  }

  /** The registered kind names. */
  kinds(): string[] {
    return [...this.entries.keys()];
  }

  /** The kind named `name` (a `ValidationError` listing the registered kinds otherwise). */
  get(name: string): AnyModelKind {
    const k = this.entries.get(name);
    if (!k) throw new ValidationError(`unknown model kind '${name}'; registered kinds: ${this.kinds().join(', ')}`);
    return k;
  }

  /** The θ layout of `kind` with `options` on images of `shape`. */
  layout(kind: string, options: unknown, shape: Shape): ThetaLayout {
    return this.get(kind).layout(this.options(kind, options), shape);
  }

  /** Validate `options` for `kind` (defaults filled in); errors name the option. */
  options(kind: string, options: unknown = {}): Record<string, unknown> {
    return parseOrThrow(this.get(kind).options, options, `${kind} model options`) as Record<string, unknown>;
  }

  /**
   * The model data at its default initialisation: `{ kind, options (with defaults), theta: θ₀ }`.
   * @param init the kind's initialisation options (validated; defaults filled in)
   */
  initial(kind: string, options: unknown, init: unknown, context: InitContext): ModelSpec {
    const k = this.get(kind);
    const o = this.options(kind, options);
    const i = parseOrThrow(k.init, init ?? {}, `${kind} model init`);
    const theta = k.initialTheta(o, i, context);
    const n = k.layout(o, context.shape).length;
    if (theta.length !== n) throw new ValidationError(`${kind}: initialTheta gave ${theta.length} entries, the layout has ${n}`);
    return { kind, options: o, theta: [...theta] };
  }

  /**
   * Rebuild a model from its data for images of `shape`: options validated, θ checked against
   * the layout and set.
   */
  build(spec: ModelSpec, shape: Shape): VariationalModel {
    const s = parseModelSpec(spec);
    const k = this.get(s.kind);
    const o = this.options(s.kind, s.options);
    const n = k.layout(o, shape).length;
    if (s.theta.length !== n) {
      throw new ValidationError(`${s.kind} model: theta has ${s.theta.length} entries, the layout for images [${shape.join(', ')}] needs ${n}`);
    }
    const model = k.build(o, shape);
    model.setParams(s.theta);
    return model;
  }

  /** Derived quantities of a model's θ for reports (empty when the kind has none). */
  report(spec: ModelSpec): Record<string, number> {
    const k = this.get(spec.kind);
    return k.report ? k.report(this.options(spec.kind, spec.options), Float64Array.from(spec.theta)) : {};
  }

  /** The learned filters of a model (undefined for kinds without filters). */
  filters(spec: ModelSpec): FilterBank | undefined {
    const k = this.get(spec.kind);
    return k.filters?.(this.options(spec.kind, spec.options), Float64Array.from(spec.theta));
  }

  /** A model as a sum of experts, for another kind to start from (a `ValidationError` for kinds that are not one). */
  experts(spec: ModelSpec): Experts {
    const s = parseModelSpec(spec);
    const k = this.get(s.kind);
    if (!k.experts) throw new ValidationError(`${s.kind} model: not a sum of experts c_i·φ(k_i ⋆ x) (the foe kind is); it cannot start another model's experts`);
    return k.experts(this.options(s.kind, s.options), Float64Array.from(s.theta));
  }
}
