/**
 * Separable sums `f(x₁, …, x_m) = Σ_i f_i(x_i)` over the concatenation of the blocks: every
 * capability (prox, Jacobian, gradient, Hessian, subgradient, conjugate, parameter derivatives)
 * acts block by block (Beck, *First-Order Methods in Optimization*, §4.3 and §6.3; Bauschke &
 * Combettes, Prop. 24.11).
 * @module
 */
import { assertLength, shapeSize, ValidationError, type Shape, type Vec } from '@bilevel/core';
import type { Conjugable, HessianInvertible, ProxDifferentiable, Subdifferentiable, TwiceSmooth } from '@bilevel/core';
import { hasMethod, hideMissing, isLearnable, type AnyFunctional, type CapabilityMethod } from './capabilities.js';

/**
 * Views of the blocks of an array, cached per array object (a `WeakMap`): solvers pass the same
 * state arrays at every iteration, so after the first call no view is allocated.
 */
class BlockViews {
  private readonly cache = new WeakMap<ArrayLike<number>, Float64Array[]>();

  constructor(private readonly offsets: readonly number[]) {}

  of(x: ArrayLike<number>): Float64Array[] {
    let views = this.cache.get(x);
    if (!views) {
      const base = x instanceof Float64Array ? x : Float64Array.from(x);
      views = [];
      for (let i = 0; i + 1 < this.offsets.length; i++) views.push(base.subarray(this.offsets[i], this.offsets[i + 1]));
      if (x instanceof Float64Array) this.cache.set(x, views);
    }
    return views;
  }
}

/**
 * `f(x) = Σ_i f_i(x_i)` with `x = [x₁; …; x_m]` flat (shape `[Σ n_i]`).
 *
 * - strong convexity `min_i μ_i`, Lipschitz constant `max_i L_i` (only when every part is smooth);
 * - prox, Jacobian, gradient, Hessian and min-norm subgradient block by block;
 * - the generalised Hessian at a graph point and its inverse (`hvp`, `hvpInverse` with the pair
 *   split like the point) block by block, so a dual term composed of parts keeps the Lemma 3
 *   certificates of arXiv 2412.06436; `inverseHessianLipschitz` is the largest of the parts'
 *   (the inverse is block diagonal, `‖diag(F_i) − diag(F_i')‖ = max_i ‖F_i − F_i'‖`), present
 *   when every part reports one;
 * - conjugate `Σ_i f_i*(y_i)`;
 * - parameters: the concatenation of the learnable parts' parameters (owned copy; `setParams`
 *   distributes it to the parts, names are prefixed `[i].`). Non-learnable parts contribute none.
 *
 * A capability is present when every part has it (learnability: when at least one part is
 * learnable). Block views of the argument arrays are cached per array, so repeated calls with
 * the same arrays do not allocate.
 */
export class SeparableSum implements ProxDifferentiable, TwiceSmooth, HessianInvertible, Subdifferentiable, Conjugable {
  /** Shape `[Σ n_i]`. */
  readonly shape: Shape;
  /** The concatenated parameters of the learnable parts. */
  readonly params: Float64Array;
  private readonly views: BlockViews;
  private readonly paramViews: BlockViews;
  private readonly names: readonly string[];

  constructor(readonly parts: readonly AnyFunctional[]) {
    if (parts.length === 0) throw new ValidationError('SeparableSum: give at least one functional');
    const offsets = [0];
    const paramOffsets = [0];
    const names: string[] = [];
    parts.forEach((f, i) => {
      offsets.push(offsets[i]! + shapeSize(f.shape));
      const p = isLearnable(f) ? f.params.length : 0;
      paramOffsets.push(paramOffsets[i]! + p);
      if (p > 0) for (const name of f.paramNames!()) names.push(`[${i}].${name}`);
    });
    this.shape = Object.freeze([offsets[parts.length]!]);
    this.views = new BlockViews(offsets);
    this.paramViews = new BlockViews(paramOffsets);
    this.names = Object.freeze(names);
    this.params = new Float64Array(paramOffsets[parts.length]!);
    const pv = this.paramViews.of(this.params);
    parts.forEach((f, i) => {
      if (isLearnable(f)) pv[i]!.set(f.params);
    });
    const every = (key: CapabilityMethod): boolean => parts.every((f) => hasMethod(f, key));
    const anyLearnable = parts.some((f) => isLearnable(f));
    hideMissing(this, (key) => {
      if (key === 'setParams' || key === 'paramNames') return anyLearnable;
      // parameter derivatives: the non-learnable parts contribute nothing
      if (key === 'valueParamGrad' || key === 'proxParamVjp' || key === 'gradParamVjp' || key === 'gradParamJvp') {
        return anyLearnable && parts.every((f) => !isLearnable(f) || hasMethod(f, key));
      }
      return every(key);
    });
    // The constants of the capabilities some part lacks are hidden too, so that a consumer reading
    // them (the piggyback bound) takes its documented default rather than `Infinity`.
    if (!every('gradient')) Object.defineProperty(this, 'lipschitz', { value: undefined, configurable: true, enumerable: false });
    if (!parts.every((f) => f.inverseHessianLipschitz !== undefined)) {
      Object.defineProperty(this, 'inverseHessianLipschitz', { value: undefined, configurable: true, enumerable: false });
    }
  }

  /** `min_i μ_i`. */
  get strongConvexity(): number {
    return Math.min(...this.parts.map((f) => f.strongConvexity));
  }

  /** `max_i L_i` (absent unless every part is smooth). */
  get lipschitz(): number {
    return Math.max(...this.parts.map((f) => f.lipschitz ?? Infinity));
  }

  /** `max_i` of the parts' Lipschitz constants of the inverse generalised Hessian (absent unless every part reports them). */
  get inverseHessianLipschitz(): { readonly point: number; readonly pair: number } {
    let point = 0;
    let pair = 0;
    for (const f of this.parts) {
      const c = f.inverseHessianLipschitz!;
      point = Math.max(point, c.point);
      pair = Math.max(pair, c.pair);
    }
    return { point, pair };
  }

  /** One name per parameter, `[i].<name of part i>`. */
  paramNames(): readonly string[] {
    return this.names;
  }

  /** Copy `theta` into `params` and distribute it to the parts. */
  setParams(theta: ArrayLike<number>): void {
    assertLength('SeparableSum.setParams theta', theta, this.params.length);
    const tv = this.paramViews.of(Float64Array.from(theta));
    this.parts.forEach((f, i) => {
      if (isLearnable(f)) f.setParams(tv[i]!);
    });
    this.params.set(theta);
  }

  /** `Σ_i f_i(x_i)`. */
  value(x: Vec): number {
    const xs = this.views.of(x);
    let s = 0;
    for (let i = 0; i < this.parts.length; i++) s += this.parts[i]!.value(xs[i]!);
    return s;
  }

  /** Blockwise prox; `out` may alias `v` when every part allows it (all of this package's do). */
  prox(v: Vec, tau: number, out: Vec): Vec {
    const vs = this.views.of(v);
    const os = this.views.of(out);
    for (let i = 0; i < this.parts.length; i++) this.parts[i]!.prox!(vs[i]!, tau, os[i]!);
    return out;
  }

  /** Blockwise prox Jacobian; `out` may alias `dv`. */
  proxJvp(v: Vec, tau: number, dv: Vec, out: Vec): Vec {
    const vs = this.views.of(v);
    const ds = this.views.of(dv);
    const os = this.views.of(out);
    for (let i = 0; i < this.parts.length; i++) this.parts[i]!.proxJvp!(vs[i]!, tau, ds[i]!, os[i]!);
    return out;
  }

  /** Blockwise gradient. */
  gradient(x: Vec, out: Vec): Vec {
    const xs = this.views.of(x);
    const os = this.views.of(out);
    for (let i = 0; i < this.parts.length; i++) this.parts[i]!.gradient!(xs[i]!, os[i]!);
    return out;
  }

  /** Blockwise (generalised) Hessian-vector product, at the graph point `(x, pair)` when a pair is given. */
  hvp(x: Vec, v: Vec, out: Vec, pair?: Vec): Vec {
    return this.blockwiseHessian('hvp', x, v, out, pair);
  }

  /** Blockwise generalised inverse Hessian, at the graph point `(x, pair)` when a pair is given (every part must have one). */
  hvpInverse(x: Vec, v: Vec, out: Vec, pair?: Vec): Vec {
    return this.blockwiseHessian('hvpInverse', x, v, out, pair);
  }

  /** `out_i = H_i(x_i, pair_i)·v_i` (or `H_i⁻¹·v_i`) on every block, with each part's own `method`. */
  private blockwiseHessian(method: 'hvp' | 'hvpInverse', x: Vec, v: Vec, out: Vec, pair?: Vec): Vec {
    const xs = this.views.of(x);
    const vs = this.views.of(v);
    const os = this.views.of(out);
    const ps = pair ? this.views.of(pair) : undefined;
    for (let i = 0; i < this.parts.length; i++) this.parts[i]![method]!(xs[i]!, vs[i]!, os[i]!, ps?.[i]);
    return out;
  }

  /** Blockwise min-norm subgradient; `out` may alias `shift`. */
  minNormSubgradient(x: Vec, shift: Vec, out: Vec): Vec {
    const xs = this.views.of(x);
    const ss = this.views.of(shift);
    const os = this.views.of(out);
    for (let i = 0; i < this.parts.length; i++) this.parts[i]!.minNormSubgradient!(xs[i]!, ss[i]!, os[i]!);
    return out;
  }

  /** `Σ_i f_i*(y_i)`. */
  conjugate(): SeparableSum {
    return new SeparableSum(this.parts.map((f) => f.conjugate!() as AnyFunctional));
  }

  /** Blockwise `∇_θ f_i(x_i)`. */
  valueParamGrad(x: Vec, grad: Float64Array, scale = 1): void {
    const xs = this.views.of(x);
    const gs = this.paramViews.of(grad);
    for (let i = 0; i < this.parts.length; i++) {
      const f = this.parts[i]!;
      if (isLearnable(f)) f.valueParamGrad!(xs[i]!, gs[i]!, scale);
    }
  }

  /** Blockwise `∇_θ⟨prox_{τf_i}(v_i), w_i⟩`. */
  proxParamVjp(v: Vec, tau: number, w: Vec, grad: Float64Array, scale = 1): void {
    const vs = this.views.of(v);
    const ws = this.views.of(w);
    const gs = this.paramViews.of(grad);
    for (let i = 0; i < this.parts.length; i++) {
      const f = this.parts[i]!;
      if (isLearnable(f)) f.proxParamVjp!(vs[i]!, tau, ws[i]!, gs[i]!, scale);
    }
  }

  /** Blockwise `∇_θ⟨∇f_i(x_i), w_i⟩`. */
  gradParamVjp(x: Vec, w: Vec, grad: Float64Array, scale = 1): void {
    const xs = this.views.of(x);
    const ws = this.views.of(w);
    const gs = this.paramViews.of(grad);
    for (let i = 0; i < this.parts.length; i++) {
      const f = this.parts[i]!;
      if (isLearnable(f)) f.gradParamVjp!(xs[i]!, ws[i]!, gs[i]!, scale);
    }
  }

  /** Blockwise `∂_θ∇f_i(x_i)·dθ_i` (zero on non-learnable parts). */
  gradParamJvp(x: Vec, dTheta: ArrayLike<number>, out: Vec): Vec {
    const xs = this.views.of(x);
    const ds = this.paramViews.of(dTheta);
    const os = this.views.of(out);
    for (let i = 0; i < this.parts.length; i++) {
      const f = this.parts[i]!;
      if (isLearnable(f)) f.gradParamJvp!(xs[i]!, ds[i]!, os[i]!);
      else os[i]!.fill(0);
    }
    return out;
  }
}
