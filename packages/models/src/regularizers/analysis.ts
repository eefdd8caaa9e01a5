/**
 * Analysis regularizers `R_θ(x) = φ_θ(K_θ x)`: an operator (gradient, filter bank) paired with a
 * potential (group norm, Huber, smoothed absolute value), with one flat parameter block `θ`
 * mapped onto the parts by a {@link ParamMap}. Each regularizer offers
 *
 * - a **saddle form** `{ K, f, fStar }` for PDHG and piggyback (arXiv 2412.06436:
 *   `min_x max_y ⟨Kx, y⟩ + g(x) − f*(y)`), with `gatherGradient` mapping per-part gradients
 *   (`K.paramVjp`, `fStar.proxParamVjp`) onto `θ`;
 * - a **smooth form** (a `ParametricSmooth`) with gradient, Hessian-vector product and the mixed
 *   derivatives `B = ∇²_{xθ}R` that implicit differentiation needs
 *   (docs/math/regularizers.md#mixed-derivatives), when the potential is smooth.
 * @module
 */
import { SharedParams, assertFinite, assertLength, shapeSize, ValidationError, type Shape, type Vec } from '@bilevel/core';
import type {
  Conjugable,
  Functional,
  Learnable,
  LearnableFunctional,
  ParametricOperator,
  ParametricSmooth,
  ProxDifferentiable,
  Subdifferentiable,
  TwiceSmooth,
} from '@bilevel/core';
import { hasMethod, hideMissing } from '@bilevel/prox';
import { normBound } from '@bilevel/prox';
import type { ParamMap } from './param-map.js';

/** A learnable functional (the shape shared by potentials and dual terms). */
export type LearnablePart = LearnableFunctional & { setParams(theta: ArrayLike<number>): void };

/**
 * The dual term of a saddle form: proximable with Jacobian and parameter VJP, min-norm
 * subgradients for certificates (e.g. `HuberConjugate`, `L2InfBall`, a Moreau conjugate).
 */
export type DualTerm = ProxDifferentiable & Partial<Subdifferentiable> & LearnablePart & Conjugable;

/** A potential usable in saddle form: conjugable, with a learnable, proximable conjugate. */
export type SaddlePotential = Functional & LearnablePart & Conjugable & { conjugate(): Functional };

/** A potential usable in smooth form: twice smooth with all parameter derivatives. */
export type SmoothPotential = TwiceSmooth &
  LearnablePart &
  Required<Pick<LearnableFunctional, 'valueParamGrad' | 'gradParamVjp' | 'gradParamJvp'>>;

/** Per-part gradients of a saddle form, aligned with `K.params` and `fStar.params`. */
export interface SaddlePartGradients {
  /** Gradient with respect to the operator's parameters (from `K.paramVjp`). */
  readonly K?: ArrayLike<number>;
  /**
   * Gradient with respect to the potential's parameters (from `fStar.proxParamVjp`, and from
   * parameter derivatives of `f`, which has the same parameter layout).
   */
  readonly fStar?: ArrayLike<number>;
}

/**
 * The saddle form of a regularizer: `R(x) = f(Kx) = max_y ⟨Kx, y⟩ − f*(y)`.
 *
 * The parts are owned by the regularizer and follow its `setParams`; treat them as read-only
 * (calling `setParams` on a part directly desynchronises it from `θ`).
 */
export interface SaddleForm<FStar extends DualTerm = DualTerm, F extends SaddlePotential = SaddlePotential> {
  /** The operator `K_θ` (parameter-free regularizers wrap a fixed operator, `params` empty). */
  readonly K: ParametricOperator;
  /** The dual term `f*_θ`. */
  readonly fStar: FStar;
  /** The potential `f_θ = (f*_θ)*` (smooth for Huber-type potentials: the primal certificate (6a)). */
  readonly f: F;
  /** Fresh zero buffers for the per-part gradients. */
  partGradients(): { K: Float64Array; fStar: Float64Array };
  /**
   * `grad += scale · (∂(κ, φ)/∂θ)ᵀ [parts.K; parts.fStar]`: map gradients with respect to the
   * parts' parameters (`κ = K.params`, `φ = fStar.params`) onto the regularizer's `θ` (chain
   * rule through the exp reparametrisation, see {@link ParamMap}).
   */
  gatherGradient(parts: SaddlePartGradients, grad: Float64Array, scale?: number): void;
}

/** What a concrete regularizer passes to {@link AnalysisRegularizer}. */
export interface AnalysisParts<F extends SaddlePotential = SaddlePotential> {
  /** Class name, for messages. */
  readonly what: string;
  /** The operator `K` (parameter-free operators wrapped by `fixedOperator`). */
  readonly operator: ParametricOperator;
  /**
   * A second operator of the same structure, used as the tangent `∂_κK·dκ = K_{dκ}` in
   * `mixedJvp` (valid because `K_κ` is linear in `κ`); omit when `K` has no parameters.
   */
  readonly tangent?: ParametricOperator;
  /** Potential of the saddle form (its conjugate is `fStar`); omit when there is none (a weakly convex potential). */
  readonly saddlePotential?: F;
  /** Potential of the smooth form (omit when there is none, e.g. TV). */
  readonly smoothPotential?: SmoothPotential;
  /** The map `θ ↦ (κ, φ)`. */
  readonly map: ParamMap;
  /** Initial `θ`. */
  readonly theta: ArrayLike<number>;
}

/**
 * Base class of the analysis regularizers `R_θ(x) = φ_θ(K_θ x)` (see the module comment).
 * `params` is `θ`; `setParams(θ)` updates the operator and every potential (saddle `f`, `f*` and
 * the smooth potential) through the {@link ParamMap}.
 */
export class AnalysisRegularizer<FStar extends DualTerm = DualTerm, F extends SaddlePotential = SaddlePotential> implements Learnable {
  /** `θ`, the flat parameter block. */
  readonly params: Float64Array;
  /** The image shape `[C, H, W]` (domain of `K`). */
  readonly domain: Shape;
  /** The operator `K_θ`. */
  readonly operator: ParametricOperator;
  private readonly parts: AnalysisParts<F>;
  private readonly kappa: Float64Array;
  private readonly phi: Float64Array;
  private readonly saddleForm: SaddleForm<FStar, F> | undefined;
  private smoothForm: RegularizerSmooth | undefined;

  constructor(parts: AnalysisParts<F>) {
    this.parts = parts;
    this.operator = parts.operator;
    this.domain = parts.operator.domain;
    this.params = new Float64Array(parts.map.layout.thetaLength);
    this.kappa = new Float64Array(parts.map.layout.operatorLength);
    this.phi = new Float64Array(parts.map.layout.potential.length);
    const map = parts.map;
    const opLength = parts.operator.params.length;
    const f = parts.saddlePotential;
    const fStar = f?.conjugate() as FStar | undefined;
    this.saddleForm =
      f && fStar
        ? {
            K: parts.operator,
            fStar,
            f,
            partGradients: () => ({ K: new Float64Array(opLength), fStar: new Float64Array(fStar.params.length) }),
            gatherGradient: (g, grad, scale = 1) => map.pullback(g.K, g.fStar, grad, scale),
          }
        : undefined;
    this.setParams(parts.theta);
  }

  /** Names of the entries of `θ`. */
  paramNames(): readonly string[] {
    return this.parts.map.layout.names;
  }

  /** Copy `θ` (finite) and update the operator and the potentials. */
  setParams(theta: ArrayLike<number>): void {
    const what = this.parts.what;
    assertLength(`${what}.setParams theta`, theta, this.params.length);
    assertFinite(`${what}.setParams theta`, theta);
    this.parts.map.forward(theta, this.kappa, this.phi);
    this.params.set(theta);
    if (this.kappa.length > 0) this.parts.operator.setParams(this.kappa);
    this.parts.saddlePotential?.setParams(this.phi);
    this.saddleForm?.fStar.setParams(this.phi);
    this.parts.smoothPotential?.setParams(this.phi);
  }

  /** Whether the potential is smooth, so that {@link AnalysisRegularizer.smooth} is available. */
  get hasSmoothForm(): boolean {
    return this.parts.smoothPotential !== undefined;
  }

  /**
   * A bound `ρ ≥ 0` with `∇²R_θ ⪰ −ρI` for the current θ (`R_θ + ρ/2‖·‖²` convex), so that the
   * smooth form's signed modulus is `−ρ`: 0 here (convex potentials); regularizers with a weakly
   * convex potential override it.
   */
  weakConvexity(): number {
    return 0;
  }

  /** Whether the potential is convex, so that {@link AnalysisRegularizer.saddle} is available. */
  get hasSaddleForm(): boolean {
    return this.saddleForm !== undefined;
  }

  /** The saddle form `{ K, f, fStar, gatherGradient }` (same objects on every call); throws when the potential is not convex. */
  saddle(): SaddleForm<FStar, F> {
    if (!this.saddleForm) throw new ValidationError(`${this.parts.what} has no saddle form (its potential is only weakly convex); use the smooth form`);
    return this.saddleForm;
  }

  /**
   * The smooth form `R_θ` as a `ParametricSmooth` (same object on every call; its parameters
   * are this regularizer's `θ`). Throws when the potential is not smooth (e.g. TV).
   */
  smooth(): RegularizerSmooth {
    const p = this.parts;
    if (!p.smoothPotential) {
      throw new ValidationError(`${p.what} has no smooth form (its potential is not differentiable); use HuberTV or SmoothedTV`);
    }
    this.smoothForm ??= new RegularizerSmooth(this, p.operator, p.tangent, p.smoothPotential, p.map);
    return this.smoothForm;
  }
}

/**
 * The smooth form `R_θ(x) = φ(Kx)` of an analysis regularizer, with `u = Kx`
 * (docs/math/regularizers.md#mixed-derivatives, written for a general operator and potential):
 *
 * - `∇R = Kᵀ∇φ(u)`, `∇²R·v = Kᵀ∇²φ(u)Kv`, Lipschitz constant `L_φ‖K‖²` (`‖K‖` an upper bound),
 *   strong convexity 0, or `−ρ` for a `ρ`-weakly convex potential (the regularizer's bound);
 * - `mixedVjp` (`Bᵀq = ∇_θ⟨∇R, q⟩`): operator part `∂_κ⟨∇φ(K_κx), K_κq⟩ =
 *   K.paramVjp(q, ∇φ(u)) + K.paramVjp(x, ∇²φ(u)Kq)`, potential part `φ.gradParamVjp(u, Kq)`,
 *   then the pull-back of the {@link ParamMap};
 * - `mixedJvp` (`B·dθ`): with `(dκ, dφ)` the push-forward of `dθ`,
 *   `K_{dκ}ᵀ∇φ(u) + Kᵀ[∇²φ(u)K_{dκ}x + ∂_φ∇φ(u)·dφ]` (`K` linear in `κ`);
 * - `valueParamGrad`: `K.paramVjp(x, ∇φ(u))` and `φ.valueParamGrad(u)`, pulled back.
 *
 * Allocation-free after construction.
 */
export class RegularizerSmooth extends SharedParams implements ParametricSmooth, Subdifferentiable {
  /** Shape of `x`. */
  readonly shape: Shape;
  private readonly u: Vec;
  private readonly g: Vec;
  private readonly a: Vec;
  private readonly b: Vec;
  private readonly tmp: Vec;
  private readonly gKappa: Float64Array;
  private readonly gPhi: Float64Array;
  private readonly dKappa: Float64Array;
  private readonly dPhi: Float64Array;

  constructor(
    private readonly owner: AnalysisRegularizer<DualTerm, SaddlePotential>,
    private readonly K: ParametricOperator,
    private readonly tangent: ParametricOperator | undefined,
    private readonly potential: SmoothPotential,
    private readonly map: ParamMap,
  ) {
    super();
    this.shape = K.domain;
    const m = shapeSize(K.range);
    this.u = new Float64Array(m);
    this.g = new Float64Array(m);
    this.a = new Float64Array(m);
    this.b = new Float64Array(m);
    this.tmp = new Float64Array(shapeSize(K.domain));
    this.gKappa = new Float64Array(K.params.length);
    this.gPhi = new Float64Array(potential.params.length);
    this.dKappa = new Float64Array(K.params.length);
    this.dPhi = new Float64Array(potential.params.length);
  }

  /** The owner of θ: the regularizer. */
  protected get paramOwner(): Partial<Learnable> {
    return this.owner;
  }

  /** 0 (convex), or `−ρ` with `∇²R ⪰ −ρI` for a weakly convex potential. */
  get strongConvexity(): number {
    const rho = this.owner.weakConvexity();
    return rho === 0 ? 0 : -rho;
  }

  /** `L_φ ‖K‖²`. */
  get lipschitz(): number {
    const k = normBound(this.K);
    return this.potential.lipschitz * k * k;
  }

  /** `φ(Kx)`. */
  value(x: Vec): number {
    return this.potential.value(this.K.apply(x, this.u));
  }

  /** `out = Kᵀ∇φ(Kx)`. */
  gradient(x: Vec, out: Vec): Vec {
    this.K.apply(x, this.u);
    this.potential.gradient(this.u, this.g);
    return this.K.adjoint(this.g, out);
  }

  /** `out = Kᵀ∇²φ(Kx)Kv`. */
  hvp(x: Vec, v: Vec, out: Vec): Vec {
    this.K.apply(x, this.u);
    this.K.apply(v, this.a);
    this.potential.hvp(this.u, this.a, this.b);
    return this.K.adjoint(this.b, out);
  }

  /** `out = shift + ∇R(x)`; `out` may alias `shift`. */
  minNormSubgradient(x: Vec, shift: Vec, out: Vec): Vec {
    this.gradient(x, this.tmp);
    for (let i = 0; i < out.length; i++) out[i] = shift[i]! + this.tmp[i]!;
    return out;
  }

  /** `grad += scale·∇_θ R_θ(x)`. */
  valueParamGrad(x: Vec, grad: Float64Array, scale = 1): void {
    const { u, g, gKappa, gPhi } = this;
    gKappa.fill(0);
    gPhi.fill(0);
    this.K.apply(x, u);
    if (gKappa.length > 0) {
      this.potential.gradient(u, g);
      this.K.paramVjp(x, g, gKappa);
    }
    this.potential.valueParamGrad(u, gPhi);
    this.map.pullback(gKappa, gPhi, grad, scale);
  }

  /** `grad += scale·∇_θ⟨∇_x R_θ(x), q⟩` (see the class comment). */
  mixedVjp(x: Vec, q: Vec, grad: Float64Array, scale = 1): void {
    const { u, g, a, b, gKappa, gPhi } = this;
    gKappa.fill(0);
    gPhi.fill(0);
    this.K.apply(x, u);
    this.K.apply(q, a);
    if (gKappa.length > 0) {
      this.potential.gradient(u, g);
      this.K.paramVjp(q, g, gKappa);
      this.potential.hvp(u, a, b);
      this.K.paramVjp(x, b, gKappa);
    }
    this.potential.gradParamVjp(u, a, gPhi);
    this.map.pullback(gKappa, gPhi, grad, scale);
  }

  /** `out = ∂_θ∇_x R_θ(x)·dθ` (see the class comment). */
  mixedJvp(x: Vec, dTheta: ArrayLike<number>, out: Vec): Vec {
    const { u, g, a, b, dKappa, dPhi } = this;
    this.map.pushforward(dTheta, dKappa, dPhi);
    this.K.apply(x, u);
    this.potential.gradParamJvp(u, dPhi, b);
    if (dKappa.length > 0) {
      const T = this.tangent;
      if (!T) throw new ValidationError('mixedJvp: the regularizer has operator parameters but no tangent operator');
      T.setParams(dKappa);
      T.apply(x, a);
      this.potential.hvp(u, a, g);
      for (let i = 0; i < b.length; i++) b[i] = b[i]! + g[i]!;
      this.potential.gradient(u, g);
      T.adjoint(g, this.tmp);
      this.K.adjoint(b, out);
      for (let i = 0; i < out.length; i++) out[i] = out[i]! + this.tmp[i]!;
      return out;
    }
    return this.K.adjoint(b, out);
  }
}

/** Options of {@link smoothObjective}. */
export interface SmoothObjectiveOptions {
  /** The data term, twice smooth and strongly convex (e.g. a `QuadraticFidelity`). */
  readonly data: TwiceSmooth;
  /** The regularizer (its smooth form is used) or a smooth parametric regularizer term. */
  readonly regularizer: AnalysisRegularizer<DualTerm, SaddlePotential> | ParametricSmooth;
  /**
   * Accept a regularizer whose weak convexity may reach the data term's modulus (non-convex
   * experts, docs/math/regularizers.md#non-convex-experts): `strongConvexity` then reports the
   * signed `μ_data + μ_R`, which may be ≤ 0 — no strong convexity is certified, and the smooth
   * solvers stop on stationarity (`smoothTolerance` of @bilevel/solvers). Default false: refused.
   */
  readonly nonconvex?: boolean;
}

/**
 * `h_θ(x) = data(x) + R_θ(x)`: the smooth lower-level objective of MAID (arXiv 2308.10098;
 * docs/math/implicit.md#the-smooth-lower-level) as a `ParametricSmooth`. Strong convexity `μ = μ_data + μ_R` (1 for
 * denoising with `½‖x − b‖²`), Lipschitz constant `L = L_data + L_R`; mixed derivatives and
 * parameters are the regularizer's. Allocation-free after construction.
 */
export class SmoothObjective extends SharedParams implements ParametricSmooth, Subdifferentiable {
  /** Shape of `x`. */
  readonly shape: Shape;
  /** The regularizer term `R_θ`. */
  readonly regularizer: ParametricSmooth;
  /** The data term. */
  readonly data: TwiceSmooth;
  /** Whether a non-positive modulus is accepted ({@link SmoothObjectiveOptions.nonconvex}). */
  readonly nonconvex: boolean;
  private readonly tmp: Vec;

  constructor(options: SmoothObjectiveOptions) {
    super();
    const r = options.regularizer;
    this.regularizer = r instanceof AnalysisRegularizer ? r.smooth() : r;
    this.data = options.data;
    this.nonconvex = options.nonconvex ?? false;
    this.shape = this.regularizer.shape;
    if (shapeSize(this.data.shape) !== shapeSize(this.shape)) {
      throw new ValidationError(
        `smoothObjective: the data term has ${shapeSize(this.data.shape)} entries, the regularizer ${shapeSize(this.shape)}`,
      );
    }
    this.tmp = new Float64Array(shapeSize(this.shape));
    hideMissing(this, (key) => key !== 'valueParamGrad' || hasMethod(this.regularizer, 'valueParamGrad'));
  }

  /**
   * `μ_data + μ_R` (`μ_R < 0` for a weakly convex regularizer); when that is not positive while `R`
   * is only weakly convex, nothing makes `h` convex: a `ValidationError`, unless the objective was
   * built `nonconvex` (then the signed value, ≤ 0).
   */
  get strongConvexity(): number {
    const muR = this.regularizer.strongConvexity;
    const mu = this.data.strongConvexity + muR;
    if (muR < 0 && !(mu > 0) && !this.nonconvex) {
      throw new ValidationError(
        `smoothObjective: data + R is not strongly convex: the data term's modulus ${this.data.strongConvexity} does not exceed the regularizer's weak convexity ${-muR}; use a data term with a larger modulus (e.g. a ridge) or a smaller weak convexity (the FoE's maxWeakConvexity)`,
      );
    }
    return mu;
  }

  /** `L_data + L_R`. */
  get lipschitz(): number {
    return this.data.lipschitz + this.regularizer.lipschitz;
  }

  /** The owner of θ: the regularizer term. */
  protected get paramOwner(): Partial<Learnable> {
    return this.regularizer;
  }

  /** `data(x) + R(x)`. */
  value(x: Vec): number {
    return this.data.value(x) + this.regularizer.value(x);
  }

  /** `out = ∇data(x) + ∇R(x)`. */
  gradient(x: Vec, out: Vec): Vec {
    this.data.gradient(x, out);
    this.regularizer.gradient(x, this.tmp);
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + this.tmp[i]!;
    return out;
  }

  /** `out = ∇²data·v + ∇²R·v`. */
  hvp(x: Vec, v: Vec, out: Vec): Vec {
    this.data.hvp(x, v, out);
    this.regularizer.hvp(x, v, this.tmp);
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + this.tmp[i]!;
    return out;
  }

  /** `out = shift + ∇h(x)`; `out` may alias `shift`. */
  minNormSubgradient(x: Vec, shift: Vec, out: Vec): Vec {
    this.data.gradient(x, this.tmp);
    for (let i = 0; i < out.length; i++) out[i] = shift[i]! + this.tmp[i]!;
    this.regularizer.gradient(x, this.tmp);
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + this.tmp[i]!;
    return out;
  }

  /** `grad += scale·∇_θ R_θ(x)` (the data term has no parameters). */
  valueParamGrad(x: Vec, grad: Float64Array, scale = 1): void {
    (this.regularizer as ParametricSmooth & LearnableFunctional).valueParamGrad!(x, grad, scale);
  }

  /** `grad += scale·Bᵀq` (the regularizer's mixed derivative). */
  mixedVjp(x: Vec, q: Vec, grad: Float64Array, scale = 1): void {
    this.regularizer.mixedVjp(x, q, grad, scale);
  }

  /** `out = B·dθ` (the regularizer's mixed derivative). */
  mixedJvp(x: Vec, dTheta: ArrayLike<number>, out: Vec): Vec {
    return this.regularizer.mixedJvp(x, dTheta, out);
  }
}

/**
 * `h_θ = data + R_θ` ({@link SmoothObjective}), e.g.
 * `smoothObjective({ data: new QuadraticFidelity({ shape, data: b }), regularizer: new SmoothedTV({ shape }) })`.
 */
export function smoothObjective(options: SmoothObjectiveOptions): SmoothObjective {
  return new SmoothObjective(options);
}
