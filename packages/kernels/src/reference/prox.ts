/**
 * Float64 reference loops of the elementwise prox maps of the built-in functionals and their
 * Jacobian-vector products (docs/math/piggyback.md#prox-jacobians), plus `axpby` and the
 * reductions.
 * @module
 */
import type { Vec } from '@bilevel/core';
import type { HuberConjOptions } from '../backend.js';

/** Guard of `α/‖q‖` and `⟨q,u⟩/‖q‖²` at `q = 0` (the inactive branch never uses them there). */
export const TINY = 1e-30;

/** `κ = 1/(1 + σε/α)`, the scaling of the quadratic part of the Huber conjugate's prox. */
export function huberKappa(o: Pick<HuberConjOptions, 'sigma' | 'alpha' | 'epsilon'>): number {
  return 1 / (1 + (o.sigma * o.epsilon) / o.alpha);
}

/** `out = (v + τb)/(1 + τ)`, the prox of `τ·½‖· − b‖²`. */
export function proxQuadraticRef(v: Vec, b: Vec, tau: number, out: Vec): Vec {
  const s = 1 / (1 + tau);
  for (let i = 0; i < v.length; i++) out[i] = (v[i]! + tau * b[i]!) * s;
  return out;
}

/** `out = dv/(1 + τ)`. */
export function proxQuadraticJvpRef(dv: Vec, tau: number, out: Vec): Vec {
  const s = 1 / (1 + tau);
  for (let i = 0; i < dv.length; i++) out[i] = dv[i]! * s;
  return out;
}

/**
 * `out = prox_{σf*}(w)` for `f*(y) = ε/(2α)‖y‖² + ι{|y| ≤ α}` (anisotropic: clip `κw` to
 * `[−α, α]`) or `ι{‖y_p‖ ≤ α}` over the `C` channels of each pixel (isotropic: scale `κw_p` by
 * `min(1, α/‖κw_p‖)`); `w` is channel-first `[C, n]`.
 */
export function proxHuberConjRef(w: Vec, o: HuberConjOptions, out: Vec): Vec {
  const kappa = huberKappa(o);
  const alpha = o.alpha;
  if (!o.isotropic) {
    for (let i = 0; i < w.length; i++) {
      const q = kappa * w[i]!;
      out[i] = q > alpha ? alpha : q < -alpha ? -alpha : q;
    }
    return out;
  }
  const C = o.channels;
  const n = w.length / C;
  for (let p = 0; p < n; p++) {
    let s2 = 0;
    for (let c = 0; c < C; c++) {
      const q = kappa * w[c * n + p]!;
      s2 += q * q;
    }
    const nq = Math.sqrt(s2);
    const s = nq > alpha ? alpha / nq : 1;
    for (let c = 0; c < C; c++) out[c * n + p] = s * kappa * w[c * n + p]!;
  }
  return out;
}

/**
 * `out = D prox_{σf*}(w) · dw` (symmetric): anisotropic `κ·dw` where `|κw| ≤ α`, else 0;
 * isotropic `κ·dw` on inactive pixels (`‖q‖ ≤ α`), `κ(α/‖q‖)(dw − q⟨q, dw⟩/‖q‖²)` on active ones.
 */
export function proxHuberConjJvpRef(w: Vec, dw: Vec, o: HuberConjOptions, out: Vec): Vec {
  const kappa = huberKappa(o);
  const alpha = o.alpha;
  if (!o.isotropic) {
    for (let i = 0; i < w.length; i++) {
      const q = kappa * w[i]!;
      out[i] = q <= alpha && q >= -alpha ? kappa * dw[i]! : 0;
    }
    return out;
  }
  const C = o.channels;
  const n = w.length / C;
  for (let p = 0; p < n; p++) {
    let s2 = 0;
    let qu = 0;
    for (let c = 0; c < C; c++) {
      const q = kappa * w[c * n + p]!;
      s2 += q * q;
      qu += q * kappa * dw[c * n + p]!;
    }
    const nq = Math.sqrt(s2);
    if (nq > alpha) {
      const s = alpha / nq;
      const proj = qu / Math.max(s2, TINY);
      for (let c = 0; c < C; c++) out[c * n + p] = s * (kappa * dw[c * n + p]! - proj * kappa * w[c * n + p]!);
    } else {
      for (let c = 0; c < C; c++) out[c * n + p] = kappa * dw[c * n + p]!;
    }
  }
  return out;
}

/** `out = a·x + b·y`. */
export function axpbyRef(a: number, x: Vec, b: number, y: Vec, out: Vec): Vec {
  for (let i = 0; i < x.length; i++) out[i] = a * x[i]! + b * y[i]!;
  return out;
}

/** `⟨x, y⟩` (float64, sequential). */
export function dotRef(x: Vec, y: Vec): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}
