/**
 * `tgv`: second-order total generalised variation (Bredies, Kunisch & Pock, "Total generalized
 * variation", SIAM J. Imaging Sci. 3(3), 2010) with learnable weights,
 * `TGV²_α(x) = min_w α₁‖∇x − w‖₁ + α₀‖Ew‖₁`, `Ew = ½(∇w + ∇wᵀ)` the symmetrised gradient of the
 * vector field `w`, both norms isotropic (Euclidean per pixel and channel: `|∇x − w|` of the
 * 2-vector, `|Ew|_F` of the symmetric 2×2 matrix).
 *
 * **Saddle form over the lifted primal `(x, w)`** (a {@link Lifting}, like the ICNN's epigraph
 * variables): `K_θ(x, w) = (α₁(∇x − w), α₀Ew)` with θ = `[θ₀, θ₁]` = `[log α₁, log α₀]` —
 * the weights sit in `K`, so the piggyback bound of arXiv 2412.06436 (Theorem 2) covers them;
 * `f(q₁, q₂) = Σ_j H_ε(|q₁ⱼ|) + Σ_j H_ε(|q₂ⱼ|)` with the Huber function `H_ε` (`t²/2ε` below `ε`,
 * `t − ε/2` above), so `f* = f₁* ⊕ f₂*`, `f_i*(y) = (ε/2)‖y‖² + ι{|yⱼ| ≤ 1}` is ε-strongly convex
 * (a `SeparableSum` of two `HuberConjugate`s with groups of 2 and 3); the data term gains
 * `(γ/2)‖w‖²` (`auxiliaryWeight` γ) so that `g` is strongly convex in `w` too. The model trained
 * is therefore `R(x) = min_w f(K_θ(x, w)) + (γ/2)‖w‖²`, which tends to `TGV²_α` as `ε, γ → 0`;
 * the cold start of `w` is 0 (where `R(x) ≤ Σ H_ε(α₁|∇x|)`, the Huber-TV value).
 *
 * **Discretisation.** `∇` is the forward-difference `Gradient2D` (Neumann or periodic), and `E`
 * applies the same differences to the components `w = (w₁, w₂)` (shape `[2, C, H, W]`, the
 * gradient's layout): `Ew = (∂ₓw₁, ∂ᵧw₂, (∂ᵧw₁ + ∂ₓw₂)/√2)` (shape `[3, C, H, W]`), the
 * off-diagonal entry scaled by √2 so that the Euclidean norm of the 3-vector is the Frobenius
 * norm of the symmetric matrix. (Bredies et al. take backward differences for `E`; with forward
 * differences `E` is `P∇₂`, `∇₂` the gradient of the two components and `P` a map with
 * orthonormal rows, which gives the norm bound below.)
 *
 * **Constants** (certified): with `d = ‖∇‖` (exact, `Gradient2D.norm`) and `e = ‖∇₂‖ ≥ ‖E‖`,
 * `‖K(x, w)‖² ≤ (α₁d‖x‖ + α₁‖w‖)² + (α₀e‖w‖)² ≤ ‖M‖²‖(x, w)‖²` with
 * `M = [[α₁d, α₁], [0, α₀e]]`, so `‖K‖ ≤ σ_max(M)`; `∇_θ⟨K_θ(x, w), y⟩ = (α₁⟨∇x − w, y₁⟩,
 * α₀⟨Ew, y₂⟩)` and `‖[∇, −I]‖ = √(d² + 1)` give `paramVjpBound = max(α₁√(d² + 1), α₀e)`.
 * @module
 */
import { assertFinite, assertLength, shapeSize, z, type OperatorNorm, type ParametricOperator, type Shape, type Vec } from '@bilevel/core';
import { Gradient2D } from '@bilevel/operators';
import { HuberConjugate, SeparableSum } from '@bilevel/prox';
import { thetaLayout } from '../layout.js';
import { makeModel } from '../model.js';
import { defineModelKind } from '../registry.js';
import { logParameter, positiveOption } from '../schemas.js';

const layout = thetaLayout([
  { name: 'log_alpha1', size: 1, link: 'exp', description: 'log α₁, the weight of the first-order term ‖∇x − w‖' },
  { name: 'log_alpha0', size: 1, link: 'exp', description: 'log α₀, the weight of the second-order term ‖Ew‖' },
]);

/**
 * `K_θ(x, w) = (α₁(∇x − w), α₀Ew)` on the flat lifted primal `[x; w]` (`n + 2n` entries,
 * `n = C·H·W`) with range `[q₁; q₂]` (`2n + 3n`), θ = `[log α₁, log α₀]` (module comment).
 * `out` must not alias the input.
 */
class TgvOperator implements ParametricOperator {
  readonly params = new Float64Array(2);
  readonly domain: Shape;
  readonly range: Shape;
  private readonly n: number;
  private readonly grad: Gradient2D;
  private readonly grad2: Gradient2D;
  /** `∇₂w` (4n) in `apply`/`paramVjp`, `Pᵀy₂` in `adjoint`. */
  private readonly work4: Float64Array;
  /** `∇x` (2n) in `paramVjp`. */
  private readonly work2: Float64Array;
  private readonly views = new WeakMap<Vec, [Float64Array, Float64Array]>();

  constructor(shape: Shape, boundary: 'neumann' | 'periodic') {
    const [C, H, W] = shape as [number, number, number];
    this.n = shapeSize(shape);
    this.grad = new Gradient2D({ channels: C, height: H, width: W, boundary });
    this.grad2 = new Gradient2D({ channels: 2 * C, height: H, width: W, boundary });
    this.domain = Object.freeze([3 * this.n]);
    this.range = Object.freeze([5 * this.n]);
    this.work4 = new Float64Array(4 * this.n);
    this.work2 = new Float64Array(2 * this.n);
  }

  /** Cached views `[x, w]` of a domain array or `[q₁, q₂]` of a range array (no allocation after the first call). */
  private split(a: Vec): [Float64Array, Float64Array] {
    let v = this.views.get(a);
    if (v === undefined) {
      const cut = a.length === 3 * this.n ? this.n : 2 * this.n;
      v = [a.subarray(0, cut), a.subarray(cut)];
      this.views.set(a, v);
    }
    return v;
  }

  /** `out = s·Ew` from `∇₂w` in `work4` (`∇₂w = [∂ₓw₁, ∂ₓw₂, ∂ᵧw₁, ∂ᵧw₂]`). */
  private symmetrised(w: Vec, out: Vec, s: number): void {
    const n = this.n;
    const g = this.grad2.apply(w, this.work4);
    const c = s * Math.SQRT1_2;
    for (let i = 0; i < n; i++) {
      out[i] = s * g[i]!;
      out[n + i] = s * g[3 * n + i]!;
      out[2 * n + i] = c * (g[n + i]! + g[2 * n + i]!);
    }
  }

  /** `out = (α₁(∇x − w), α₀Ew)`. */
  apply(v: Vec, out: Vec): Vec {
    const [x, w] = this.split(v);
    const [q1, q2] = this.split(out);
    const a1 = Math.exp(this.params[0]!);
    this.grad.apply(x, q1);
    for (let i = 0; i < q1.length; i++) q1[i] = a1 * (q1[i]! - w[i]!);
    this.symmetrised(w, q2, Math.exp(this.params[1]!));
    return out;
  }

  /** `out = (α₁∇ᵀy₁, α₀Eᵀy₂ − α₁y₁)`, `Eᵀy₂ = ∇₂ᵀPᵀy₂`. */
  adjoint(y: Vec, out: Vec): Vec {
    const n = this.n;
    const [y1, y2] = this.split(y);
    const [ox, ow] = this.split(out);
    const a1 = Math.exp(this.params[0]!);
    const a0 = Math.exp(this.params[1]!);
    this.grad.adjoint(y1, ox);
    for (let i = 0; i < n; i++) ox[i] = a1 * ox[i]!;
    const h = this.work4;
    for (let i = 0; i < n; i++) {
      const off = Math.SQRT1_2 * y2[2 * n + i]!;
      h[i] = y2[i]!;
      h[n + i] = off;
      h[2 * n + i] = off;
      h[3 * n + i] = y2[n + i]!;
    }
    this.grad2.adjoint(h, ow);
    for (let i = 0; i < ow.length; i++) ow[i] = a0 * ow[i]! - a1 * y1[i]!;
    return out;
  }

  /** `σ_max([[α₁d, α₁], [0, α₀e]])`, an upper bound (module comment). */
  norm(): OperatorNorm {
    const p = Math.exp(this.params[0]!) * this.grad.norm().value;
    const q = Math.exp(this.params[0]!);
    const r = Math.exp(this.params[1]!) * this.grad2.norm().value;
    const t = p * p + q * q + r * r;
    return { value: Math.sqrt((t + Math.sqrt(Math.max(0, t * t - 4 * p * p * r * r))) / 2), kind: 'upper-bound' };
  }

  /** `['log_alpha1', 'log_alpha0']`. */
  paramNames(): readonly string[] {
    return layout.names();
  }

  /** `θ ← theta` (two finite entries). */
  setParams(theta: ArrayLike<number>): void {
    assertLength('TgvOperator.setParams theta', theta, 2);
    assertFinite('TgvOperator.setParams theta', theta);
    this.params.set(theta);
  }

  /** `grad += scale·(α₁⟨∇x − w, y₁⟩, α₀⟨Ew, y₂⟩)`. */
  paramVjp(v: Vec, y: Vec, grad: Float64Array, scale = 1): void {
    const n = this.n;
    const [x, w] = this.split(v);
    const [y1, y2] = this.split(y);
    const dx = this.grad.apply(x, this.work2);
    let first = 0;
    for (let i = 0; i < 2 * n; i++) first += (dx[i]! - w[i]!) * y1[i]!;
    const g = this.grad2.apply(w, this.work4);
    let second = 0;
    for (let i = 0; i < n; i++) second += g[i]! * y2[i]! + g[3 * n + i]! * y2[n + i]! + Math.SQRT1_2 * (g[n + i]! + g[2 * n + i]!) * y2[2 * n + i]!;
    grad[0] = grad[0]! + scale * Math.exp(this.params[0]!) * first;
    grad[1] = grad[1]! + scale * Math.exp(this.params[1]!) * second;
  }

  /** `max(α₁√(d² + 1), α₀e)` (module comment). */
  paramVjpBound(): number {
    const d = this.grad.norm().value;
    return Math.max(Math.exp(this.params[0]!) * Math.sqrt(d * d + 1), Math.exp(this.params[1]!) * this.grad2.norm().value);
  }
}

/** The `tgv` kind. */
export const tgv = defineModelKind({
  kind: 'tgv',
  summary: 'second-order TGV min_w α₁‖∇x − w‖ + α₀‖Ew‖, saddle form over (x, w), K = (α₁(∇x − w), α₀Ew) (piggyback)',
  options: z.strictObject({
    huber: positiveOption
      .default(0.002)
      .describe('Huber smoothing ε of both norms, on the weighted quantities α₁|∇x − w| and α₀|Ew|; fixed. f* is ε-strongly convex.'),
    auxiliaryWeight: positiveOption.default(0.1).describe('γ of (γ/2)‖w‖² on the vector field w (makes the data term strongly convex in w).'),
    boundary: z.enum(['neumann', 'periodic']).default('neumann').describe('Boundary rule of the differences (∇ and E).'),
  }),
  init: z.strictObject({
    logAlpha1: logParameter.default(Math.log(0.05)).describe('log α₁: the weight of the first-order term ‖∇x − w‖.'),
    logAlpha0: logParameter.default(Math.log(0.1)).describe('log α₀: the weight of the second-order term ‖Ew‖.'),
  }),
  layout: () => layout,
  initialTheta: (_o, init) => Float64Array.of(init.logAlpha1, init.logAlpha0),
  build(o, shape) {
    const K = new TgvOperator(shape, o.boundary);
    const [C, H, W] = shape as [number, number, number];
    const fStar = new SeparableSum([
      new HuberConjugate({ shape: [2, C, H, W], groupSize: 2, alpha: 1, epsilon: o.huber }),
      new HuberConjugate({ shape: [3, C, H, W], groupSize: 3, alpha: 1, epsilon: o.huber }),
    ]);
    return makeModel({
      kind: 'tgv',
      options: o,
      shape,
      layout,
      params: K.params,
      setParams: (theta) => K.setParams(theta),
      saddle: {
        K,
        fStar,
        f: fStar.conjugate(),
        trainable: true,
        lifting: { auxiliarySize: 2 * shapeSize(shape), auxiliaryWeight: o.auxiliaryWeight, start: (_x, w) => w.fill(0) },
      },
      formula: `min_w Σ H_ε(|e^θ₀(∇x − w)|) + Σ H_ε(|e^θ₁Ew|) + (γ/2)‖w‖², ε = ${o.huber}, γ = ${o.auxiliaryWeight} (isotropic TGV², saddle form over (x, w))`,
    });
  },
  report(_o, theta) {
    const [a1, a0] = [Math.exp(theta[0]!), Math.exp(theta[1]!)];
    return { 'α₁ = e^θ₀ (first order)': a1, 'α₀ = e^θ₁ (second order)': a0, 'α₀/α₁': a0 / a1 };
  },
});
