/**
 * The dual term `f*` of the ICNN saddle form and its conjugate, the potential `f`: separable over
 * the epigraph pairs (first layer) and the hidden units (last layer), i.e. {@link SeparableSum}s
 * of two parts with the ICNN's own conjugate pairing.
 * @module
 */
import { SeparableSum } from '../separable-sum.js';
import type { LeakyReluEpigraph, LeakyReluEpigraphConjugate } from './epigraph.js';
import type { SmoothReluSum, SmoothReluSumConjugate } from './relu-layer.js';

/** `f_epi(u₁, u₂) + f_hid(u₃)`: the separable sum over the epigraph pairs (first `2N` entries) and the hidden units. */
abstract class EpigraphHiddenSum<E extends LeakyReluEpigraph | LeakyReluEpigraphConjugate, H extends SmoothReluSum | SmoothReluSumConjugate> extends SeparableSum {
  constructor(
    readonly epigraph: E,
    readonly hidden: H,
  ) {
    super([epigraph, hidden]);
  }
}

/**
 * `f*(y) = f*_epi(y₁, y₂) + f*_hid(y₃)`: the ICNN's dual term, with `f*_epi` a
 * {@link LeakyReluEpigraphConjugate} on the first `2N` entries (the epigraph pairs
 * `(W₀x, z)`) and `f*_hid` a {@link SmoothReluSumConjugate} on the last `M` (the hidden units).
 *
 * A {@link SeparableSum} of the two: every capability acts block by block, and it has those of
 * its parts — `prox`, `proxJvp`, `hvp`, `hvpInverse` (when the epigraph block has `ε > 0`),
 * `minNormSubgradient`; `conjugate()` is {@link IcnnPotential}.
 * Strong convexity `min(ε, ω₁/max a)` — 0 without the epigraph smoothing `ε`.
 *
 * It has no `lipschitz`: `∇f*` is not Lipschitz (the epigraph block is an indicator of a cone
 * plus, for a smoothed leaky ReLU, a perspective whose curvature grows like `1/|y₂|`). The
 * piggyback bound then takes `L_{∇f*}` from the strong convexity and `L_{∇²f} = 0` (active set
 * assumed identified), as for Huber-type models.
 */
export class IcnnDualTerm extends EpigraphHiddenSum<LeakyReluEpigraphConjugate, SmoothReluSumConjugate> {
  /** The prox of the epigraph block comes from the projection onto the epigraph (Moreau). */
  readonly derivedByMoreau = true;

  /** `f = f_epi ⊕ f_hid` ({@link IcnnPotential}). */
  override conjugate(): IcnnPotential {
    return new IcnnPotential(this.epigraph.conjugate(), this.hidden.conjugate());
  }
}

/**
 * `f(q) = f_epi(q₁, q₂) + f_hid(q₃)`: the ICNN's potential (the conjugate of {@link IcnnDualTerm}),
 * `f(K(x, z)) = ι{z ≥ σ(W₀x + b₀)} + Σ_m a_m h_{ω₁}((W_A P z)_m + b₁_m)` — or, with the epigraph
 * smoothing `ε > 0`, the penalty `dist²((W₀x + b₀, z), C)/(2ε)` in place of the indicator.
 *
 * A {@link SeparableSum} of the two, smooth (with `gradient`, `hvp`, `minNormSubgradient`,
 * Lipschitz constant `max(1/ε, max a/ω₁)`) only when `ε > 0`; then it enables the primal certificate (6a) of arXiv 2412.06436. It reports
 * no `hessianLipschitz`: `∇²f` jumps between the pieces of the epigraph and of `h_{ω₁}`.
 */
export class IcnnPotential extends EpigraphHiddenSum<LeakyReluEpigraph, SmoothReluSum> {
  /** {@link IcnnDualTerm}. */
  override conjugate(): IcnnDualTerm {
    return new IcnnDualTerm(this.epigraph.conjugate(), this.hidden.conjugate());
  }
}
