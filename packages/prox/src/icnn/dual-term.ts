/**
 * The dual term `f*` of the ICNN saddle form and its conjugate, the potential `f`: separable over
 * the epigraph pairs (first layer) and the hidden units (last layer).
 * @module
 */
import { shapeSize, type Shape, type Vec } from '@bilevel/core';
import type { Conjugable, HessianInvertible, ProxDifferentiable, Subdifferentiable, TwiceSmooth } from '@bilevel/core';
import { hideMissing } from '../capabilities.js';
import type { LeakyReluEpigraph, LeakyReluEpigraphConjugate } from './epigraph.js';
import type { SmoothReluSum, SmoothReluSumConjugate } from './relu-layer.js';

/** Cached block views `[epigraph part, hidden part]` of the arrays passed in (no allocation after the first call). */
class TwoBlocks {
  private readonly cache = new WeakMap<Float64Array, [Float64Array, Float64Array]>();

  constructor(private readonly split: number) {}

  of(a: Float64Array): [Float64Array, Float64Array] {
    let v = this.cache.get(a);
    if (v === undefined) {
      v = [a.subarray(0, this.split), a.subarray(this.split)];
      this.cache.set(a, v);
    }
    return v;
  }
}

/**
 * `f*(y) = f*_epi(y₁, y₂) + f*_hid(y₃)`: the ICNN's dual term, with `f*_epi` a
 * {@link LeakyReluEpigraphConjugate} on the first `2N` entries (the epigraph pairs
 * `(W₀x, z)`) and `f*_hid` a {@link SmoothReluSumConjugate} on the last `M` (the hidden units).
 *
 * Every capability acts block by block: `prox`, `proxJvp`, `hvp`, `hvpInverse` (when the
 * epigraph block has `ε > 0`), `minNormSubgradient`; `conjugate()` is {@link IcnnPotential}.
 * Strong convexity `min(ε, ω₁/max a)` — 0 without the epigraph smoothing `ε`.
 *
 * It has no `lipschitz`: `∇f*` is not Lipschitz (the epigraph block is an indicator of a cone
 * plus, for a smoothed leaky ReLU, a perspective whose curvature grows like `1/|y₂|`). The
 * piggyback bound then takes `L_{∇f*}` from the strong convexity and `L_{∇²f} = 0` (active set
 * assumed identified), as for Huber-type models.
 */
export class IcnnDualTerm implements ProxDifferentiable, HessianInvertible, Subdifferentiable, Conjugable<IcnnPotential> {
  /** `[2N + M]`. */
  readonly shape: Shape;
  /** The prox of the epigraph block comes from the projection onto the epigraph (Moreau). */
  readonly derivedByMoreau = true;
  private readonly blocks: TwoBlocks;

  constructor(
    readonly epigraph: LeakyReluEpigraphConjugate,
    readonly hidden: SmoothReluSumConjugate,
  ) {
    const n1 = 2 * epigraph.pairs;
    this.shape = Object.freeze([n1 + shapeSize(hidden.shape)]);
    this.blocks = new TwoBlocks(n1);
    hideMissing(this, (key) =>
      key === 'hvpInverse' ? epigraph.epsilon > 0 : key === 'prox' || key === 'proxJvp' || key === 'hvp' || key === 'minNormSubgradient' || key === 'conjugate',
    );
  }

  /** `min(ε, min ω₁/a)`. */
  get strongConvexity(): number {
    return Math.min(this.epigraph.strongConvexity, this.hidden.strongConvexity);
  }

  /** `f*_epi(y₁, y₂) + f*_hid(y₃)`. */
  value(y: Vec): number {
    const [a, b] = this.blocks.of(y);
    return this.epigraph.value(a) + this.hidden.value(b);
  }

  /** Blockwise prox; `out` may alias `w`. */
  prox(w: Vec, sigma: number, out: Vec): Vec {
    const [w1, w2] = this.blocks.of(w);
    const [o1, o2] = this.blocks.of(out);
    this.epigraph.prox(w1, sigma, o1);
    this.hidden.prox(w2, sigma, o2);
    return out;
  }

  /** Blockwise prox Jacobian; `out` may alias `dw`. */
  proxJvp(w: Vec, sigma: number, dw: Vec, out: Vec): Vec {
    const [w1, w2] = this.blocks.of(w);
    const [d1, d2] = this.blocks.of(dw);
    const [o1, o2] = this.blocks.of(out);
    this.epigraph.proxJvp(w1, sigma, d1, o1);
    this.hidden.proxJvp(w2, sigma, d2, o2);
    return out;
  }

  /** Blockwise generalised Hessian. */
  hvp(y: Vec, v: Vec, out: Vec): Vec {
    const [y1, y2] = this.blocks.of(y);
    const [v1, v2] = this.blocks.of(v);
    const [o1, o2] = this.blocks.of(out);
    this.epigraph.hvp(y1, v1, o1);
    this.hidden.hvp(y2, v2, o2);
    return out;
  }

  /** Blockwise generalised inverse (`ε > 0` only). */
  hvpInverse(y: Vec, v: Vec, out: Vec): Vec {
    const [y1, y2] = this.blocks.of(y);
    const [v1, v2] = this.blocks.of(v);
    const [o1, o2] = this.blocks.of(out);
    this.epigraph.hvpInverse(y1, v1, o1);
    this.hidden.hvpInverse(y2, v2, o2);
    return out;
  }

  /** Blockwise min-norm subgradient; `out` may alias `shift`. */
  minNormSubgradient(y: Vec, shift: Vec, out: Vec): Vec {
    const [y1, y2] = this.blocks.of(y);
    const [s1, s2] = this.blocks.of(shift);
    const [o1, o2] = this.blocks.of(out);
    this.epigraph.minNormSubgradient(y1, s1, o1);
    this.hidden.minNormSubgradient(y2, s2, o2);
    return out;
  }

  /** `f = f_epi ⊕ f_hid` ({@link IcnnPotential}). */
  conjugate(): IcnnPotential {
    return new IcnnPotential(this.epigraph.conjugate(), this.hidden.conjugate());
  }
}

/**
 * `f(q) = f_epi(q₁, q₂) + f_hid(q₃)`: the ICNN's potential (the conjugate of {@link IcnnDualTerm}),
 * `f(K(x, z)) = ι{z ≥ σ(W₀x + b₀)} + Σ_m a_m h_{ω₁}((W_A P z)_m + b₁_m)` — or, with the epigraph
 * smoothing `ε > 0`, the penalty `dist²((W₀x + b₀, z), C)/(2ε)` in place of the indicator.
 *
 * Smooth (with `gradient`, `hvp`, `minNormSubgradient`, Lipschitz constant `max(1/ε, max a/ω₁)`)
 * only when `ε > 0`; then it enables the primal certificate (6a) of arXiv 2412.06436. It reports
 * no `hessianLipschitz`: `∇²f` jumps between the pieces of the epigraph and of `h_{ω₁}`.
 */
export class IcnnPotential implements ProxDifferentiable, TwiceSmooth, Subdifferentiable, Conjugable<IcnnDualTerm> {
  /** `[2N + M]`. */
  readonly shape: Shape;
  /** 0. */
  readonly strongConvexity = 0;
  private readonly blocks: TwoBlocks;

  constructor(
    readonly epigraph: LeakyReluEpigraph,
    readonly hidden: SmoothReluSum,
  ) {
    const n1 = 2 * epigraph.pairs;
    this.shape = Object.freeze([n1 + shapeSize(hidden.shape)]);
    this.blocks = new TwoBlocks(n1);
    const smooth = epigraph.epsilon > 0;
    hideMissing(this, (key) =>
      key === 'gradient' || key === 'hvp' || key === 'minNormSubgradient' ? smooth : key === 'prox' || key === 'proxJvp' || key === 'conjugate',
    );
  }

  /** `max(1/ε, max a/ω₁)` (`Infinity` when `ε = 0`). */
  get lipschitz(): number {
    return Math.max(this.epigraph.lipschitz, this.hidden.lipschitz);
  }

  /** `f_epi(q₁, q₂) + f_hid(q₃)`. */
  value(q: Vec): number {
    const [a, b] = this.blocks.of(q);
    return this.epigraph.value(a) + this.hidden.value(b);
  }

  /** Blockwise prox; `out` may alias `v`. */
  prox(v: Vec, tau: number, out: Vec): Vec {
    const [v1, v2] = this.blocks.of(v);
    const [o1, o2] = this.blocks.of(out);
    this.epigraph.prox(v1, tau, o1);
    this.hidden.prox(v2, tau, o2);
    return out;
  }

  /** Blockwise prox Jacobian; `out` may alias `dv`. */
  proxJvp(v: Vec, tau: number, dv: Vec, out: Vec): Vec {
    const [v1, v2] = this.blocks.of(v);
    const [d1, d2] = this.blocks.of(dv);
    const [o1, o2] = this.blocks.of(out);
    this.epigraph.proxJvp(v1, tau, d1, o1);
    this.hidden.proxJvp(v2, tau, d2, o2);
    return out;
  }

  /** Blockwise gradient (`ε > 0` only). */
  gradient(q: Vec, out: Vec): Vec {
    const [q1, q2] = this.blocks.of(q);
    const [o1, o2] = this.blocks.of(out);
    this.epigraph.gradient(q1, o1);
    this.hidden.gradient(q2, o2);
    return out;
  }

  /** Blockwise Hessian-vector product (`ε > 0` only). */
  hvp(q: Vec, v: Vec, out: Vec): Vec {
    const [q1, q2] = this.blocks.of(q);
    const [v1, v2] = this.blocks.of(v);
    const [o1, o2] = this.blocks.of(out);
    this.epigraph.hvp(q1, v1, o1);
    this.hidden.hvp(q2, v2, o2);
    return out;
  }

  /** `shift + ∇f(q)` (`ε > 0` only); `out` may alias `shift`. */
  minNormSubgradient(q: Vec, shift: Vec, out: Vec): Vec {
    const [q1, q2] = this.blocks.of(q);
    const [s1, s2] = this.blocks.of(shift);
    const [o1, o2] = this.blocks.of(out);
    this.epigraph.minNormSubgradient(q1, s1, o1);
    this.hidden.minNormSubgradient(q2, s2, o2);
    return out;
  }

  /** {@link IcnnDualTerm}. */
  conjugate(): IcnnDualTerm {
    return new IcnnDualTerm(this.epigraph.conjugate(), this.hidden.conjugate());
  }
}
