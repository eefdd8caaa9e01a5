/**
 * The map from a regularizer's flat parameter block `θ` to the parameters of its parts: the
 * operator `K` (a contiguous copy of a slice of `θ`, e.g. the filters) and the potential (each
 * entry `factor·exp(Σ_{s∈S} θ_s)`, the exp reparametrisation of positive weights and
 * smoothings, docs/math/regularizers.md#exp-reparametrisation), with its transpose (pull-back of part gradients onto `θ`)
 * and its Jacobian (push-forward of a direction `dθ`).
 * @module
 */
import { ValidationError } from '@bilevel/core';

/** One potential parameter `p = factor·exp(Σ_{s ∈ sources} θ_s)`. */
export interface ExpLink {
  /** Indices into `θ`. */
  readonly sources: readonly number[];
  /** Constant factor (default 1), e.g. ½ for MAID's `½e^{θ₀}`. */
  readonly factor?: number;
}

/** Layout of {@link ParamMap}. */
export interface ParamMapLayout {
  /** Number of entries of `θ`. */
  readonly thetaLength: number;
  /** Where the operator's parameters start in `θ` (they are copied as they are). */
  readonly operatorOffset: number;
  /** Number of operator parameters (0 for a fixed operator). */
  readonly operatorLength: number;
  /** One link per potential parameter, in the potential's parameter order. */
  readonly potential: readonly ExpLink[];
  /** Names of the entries of `θ`, for messages. */
  readonly names: readonly string[];
}

/**
 * `θ ↦ (κ, φ)` with `κ = θ[offset : offset + m]` (operator) and `φ_k = c_k exp(Σ_{s∈S_k} θ_s)`
 * (potential). Its Jacobian is `∂κ/∂θ = [0 I 0]` and `∂φ_k/∂θ_s = φ_k` for `s ∈ S_k`, so
 * - pull-back: `g_θ[offset + i] += g_κ[i]`, `g_θ[s] += φ_k g_φ[k]` for `s ∈ S_k`;
 * - push-forward: `dκ = dθ[offset : …]`, `dφ_k = φ_k Σ_{s∈S_k} dθ_s`.
 */
export class ParamMap {
  /** The current potential parameters `φ` (set by {@link ParamMap.forward}). */
  readonly potentialValues: Float64Array;

  constructor(readonly layout: ParamMapLayout) {
    const { thetaLength, operatorOffset, operatorLength, potential, names } = layout;
    if (operatorOffset + operatorLength > thetaLength || names.length !== thetaLength) {
      throw new ValidationError('ParamMap: inconsistent layout (operator slice or names do not fit θ)');
    }
    for (const link of potential) {
      for (const s of link.sources) {
        if (!(s >= 0 && s < thetaLength)) throw new ValidationError(`ParamMap: source ${s} outside θ (length ${thetaLength})`);
      }
    }
    this.potentialValues = new Float64Array(potential.length);
  }

  /**
   * Write the operator parameters into `kappa` and the potential parameters into `phi`; throws
   * (leaving the stored `potentialValues` unchanged) when an exponential over- or underflows.
   */
  forward(theta: ArrayLike<number>, kappa: Float64Array, phi: Float64Array): void {
    const { operatorOffset, operatorLength, potential, names } = this.layout;
    for (let i = 0; i < operatorLength; i++) kappa[i] = theta[operatorOffset + i]!;
    for (let k = 0; k < potential.length; k++) {
      const link = potential[k]!;
      let e = 0;
      for (const s of link.sources) e += theta[s]!;
      const p = (link.factor ?? 1) * Math.exp(e);
      if (!(Number.isFinite(p) && p > 0)) {
        const which = link.sources.map((s) => `${names[s]} = ${theta[s]}`).join(', ');
        throw new ValidationError(`setParams: exp(${which}) over- or underflows; keep log-parameters within about ±700`);
      }
      phi[k] = p;
    }
    this.potentialValues.set(phi);
  }

  /** `grad += scale · Jᵀ [gKappa; gPhi]` (either part may be omitted: zero). */
  pullback(gKappa: ArrayLike<number> | undefined, gPhi: ArrayLike<number> | undefined, grad: Float64Array, scale = 1): void {
    const { operatorOffset, operatorLength, potential } = this.layout;
    if (gKappa) for (let i = 0; i < operatorLength; i++) grad[operatorOffset + i] = grad[operatorOffset + i]! + scale * gKappa[i]!;
    if (gPhi) {
      for (let k = 0; k < potential.length; k++) {
        const v = scale * this.potentialValues[k]! * gPhi[k]!;
        for (const s of potential[k]!.sources) grad[s] = grad[s]! + v;
      }
    }
  }

  /** `[dKappa; dPhi] = J dθ`. */
  pushforward(dTheta: ArrayLike<number>, dKappa: Float64Array, dPhi: Float64Array): void {
    const { operatorOffset, operatorLength, potential } = this.layout;
    for (let i = 0; i < operatorLength; i++) dKappa[i] = dTheta[operatorOffset + i]!;
    for (let k = 0; k < potential.length; k++) {
      let d = 0;
      for (const s of potential[k]!.sources) d += dTheta[s]!;
      dPhi[k] = this.potentialValues[k]! * d;
    }
  }
}
