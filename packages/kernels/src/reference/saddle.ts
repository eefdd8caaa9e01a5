/**
 * The float64 reference of the fused PDHG + piggyback iteration (plain JavaScript loops).
 * @module
 */
import type { SaddleState } from '../backend.js';
import type { SaddleSpec, SaddleSteps } from '../spec.js';
import { filterAdjointRef, filterApplyRef } from './filter-bank.js';
import { huberKappa } from './prox.js';

/**
 * Run `iterations` PDHG iterations from `state` (updated in place), with the piggyback
 * recursion when `piggyback` (docs/math/piggyback.md#the-piggyback-recursion, dual-first form of
 * Chambolle–Pock 2011):
 * ```
 * x̄ = x + θ(x − xPrev),            X̄ = X + θ(X − XPrev)
 * q = κ(y + σKx̄),  y⁺ = Π_α(q),    Y⁺ = DΠ_α(q)·κ(Y + σKX̄)          κ = 1/(1 + σε/α)
 * x⁺ = (x − τKᵀy⁺ + τb)/(1 + τ),   X⁺ = (X − τ(KᵀY⁺ + x − x†))/(1 + τ)
 * ```
 * (`Π_α`: clip or per-pixel ball projection). The gradient case runs fused loops
 * (`gradientSaddleRef`); a filter bank applies `K`, the prox steps and `Kᵀ` in separate passes.
 * The spec and steps must be validated.
 */
export function saddleIterateRef(spec: SaddleSpec, steps: SaddleSteps, state: SaddleState, iterations: number, piggyback: boolean): void {
  const op = spec.operator;
  if (op.kind === 'gradient') {
    gradientSaddleRef(spec, steps, state, iterations, piggyback);
    return;
  }
  const { height: H, width: W } = spec;
  const n = H * W;
  const C = op.count;
  const { tau, sigma, theta } = steps;
  const alpha = spec.alpha;
  const kappa = huberKappa({ sigma, alpha, epsilon: spec.epsilon });
  const b = spec.data;
  const t = spec.target;
  const { x, y, X, Y, xPrev, XPrev } = state;

  const xbar = new Float64Array(n);
  const Xbar = new Float64Array(n);
  const kx = new Float64Array(C * n);
  const kX = piggyback ? new Float64Array(C * n) : kx;
  const kty = new Float64Array(n);
  const ktY = piggyback ? new Float64Array(n) : kty;
  const q = new Float64Array(C);
  for (let p = 0; p < n; p++) {
    xbar[p] = x[p]! + theta * (x[p]! - xPrev[p]!);
    Xbar[p] = X[p]! + theta * (X[p]! - XPrev[p]!);
  }
  const s1 = 1 / (1 + tau);

  for (let it = 0; it < iterations; it++) {
    filterApplyRef(xbar, H, W, op, kx);
    if (piggyback) filterApplyRef(Xbar, H, W, op, kX);
    // dual step and its piggyback
    if (!spec.isotropic) {
      for (let i = 0; i < C * n; i++) {
        const qi = kappa * (y[i]! + sigma * kx[i]!);
        const active = qi > alpha || qi < -alpha;
        y[i] = qi > alpha ? alpha : qi < -alpha ? -alpha : qi;
        if (piggyback) Y[i] = active ? 0 : kappa * (Y[i]! + sigma * kX[i]!);
      }
    } else {
      for (let p = 0; p < n; p++) {
        let s2 = 0;
        for (let c = 0; c < C; c++) {
          const v = kappa * (y[c * n + p]! + sigma * kx[c * n + p]!);
          q[c] = v;
          s2 += v * v;
        }
        const nq = Math.sqrt(s2);
        const s = nq > alpha ? alpha / nq : 1;
        for (let c = 0; c < C; c++) y[c * n + p] = s * q[c]!;
        if (!piggyback) continue;
        if (nq > alpha) {
          let qu = 0;
          for (let c = 0; c < C; c++) {
            const u = kappa * (Y[c * n + p]! + sigma * kX[c * n + p]!);
            Y[c * n + p] = u;
            qu += q[c]! * u;
          }
          const proj = qu / s2;
          for (let c = 0; c < C; c++) Y[c * n + p] = s * (Y[c * n + p]! - proj * q[c]!);
        } else {
          for (let c = 0; c < C; c++) Y[c * n + p] = kappa * (Y[c * n + p]! + sigma * kX[c * n + p]!);
        }
      }
    }
    filterAdjointRef(y, H, W, op, kty);
    if (piggyback) filterAdjointRef(Y, H, W, op, ktY);
    // primal step and its piggyback; keep the previous iterates and the extrapolations
    for (let p = 0; p < n; p++) {
      const xo = x[p]!;
      const xn = (xo - tau * kty[p]! + tau * b[p]!) * s1;
      xPrev[p] = xo;
      x[p] = xn;
      xbar[p] = xn + theta * (xn - xo);
      if (piggyback) {
        const Xo = X[p]!;
        const Xn = (Xo - tau * ktY[p]! - tau * (xo - t![p]!)) * s1;
        XPrev[p] = Xo;
        X[p] = Xn;
        Xbar[p] = Xn + theta * (Xn - Xo);
      }
    }
  }
}

/**
 * The gradient case fused: the dual step computes the forward differences of `x̄`, `X̄` on the fly
 * (the last row/column get a zero offset, so their differences vanish), the primal step the
 * divergence of `y⁺`, `Y⁺` with 0/1 boundary weights; no `Kx̄` or `Kᵀy` arrays, one pass each.
 */
function gradientSaddleRef(spec: SaddleSpec, steps: SaddleSteps, state: SaddleState, iterations: number, piggyback: boolean): void {
  const { height: H, width: W, alpha, isotropic: iso } = spec;
  const n = H * W;
  const { tau, sigma, theta } = steps;
  const kappa = huberKappa({ sigma, alpha, epsilon: spec.epsilon });
  const b = spec.data;
  const t = spec.target ?? spec.data;
  const { x, X, xPrev, XPrev } = state;
  const y0 = state.y.subarray(0, n);
  const y1 = state.y.subarray(n, 2 * n);
  const Y0 = state.Y.subarray(0, n);
  const Y1 = state.Y.subarray(n, 2 * n);
  const xbar = new Float64Array(n);
  const Xbar = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    xbar[p] = x[p]! + theta * (x[p]! - xPrev[p]!);
    Xbar[p] = X[p]! + theta * (X[p]! - XPrev[p]!);
  }
  const a2 = alpha * alpha;
  const s1 = 1 / (1 + tau);
  for (let it = 0; it < iterations; it++) {
    // dual step: q = κ(y + σ∇x̄); the last column/row use a zero offset, so their difference is 0
    for (let i = 0; i < H; i++) {
      const r = i * W;
      const dy = i < H - 1 ? W : 0;
      const e = r + W;
      for (let p = r; p < e; p++) {
        const dx = p < e - 1 ? 1 : 0;
        const xb = xbar[p]!;
        const q0 = kappa * (y0[p]! + sigma * (xbar[p + dx]! - xb));
        const q1 = kappa * (y1[p]! + sigma * (xbar[p + dy]! - xb));
        if (iso) {
          const s2 = q0 * q0 + q1 * q1;
          const active = s2 > a2;
          const s = active ? alpha / Math.sqrt(s2) : 1;
          y0[p] = s * q0;
          y1[p] = s * q1;
          if (!piggyback) continue;
          const Xb = Xbar[p]!;
          const u0 = kappa * (Y0[p]! + sigma * (Xbar[p + dx]! - Xb));
          const u1 = kappa * (Y1[p]! + sigma * (Xbar[p + dy]! - Xb));
          const proj = active ? (q0 * u0 + q1 * u1) / s2 : 0;
          Y0[p] = s * (u0 - proj * q0);
          Y1[p] = s * (u1 - proj * q1);
        } else {
          y0[p] = q0 > alpha ? alpha : q0 < -alpha ? -alpha : q0;
          y1[p] = q1 > alpha ? alpha : q1 < -alpha ? -alpha : q1;
          if (!piggyback) continue;
          const Xb = Xbar[p]!;
          Y0[p] = q0 > alpha || q0 < -alpha ? 0 : kappa * (Y0[p]! + sigma * (Xbar[p + dx]! - Xb));
          Y1[p] = q1 > alpha || q1 < -alpha ? 0 : kappa * (Y1[p]! + sigma * (Xbar[p + dy]! - Xb));
        }
      }
    }
    // primal step: div y = ow·y₀[p] − lw·y₀[p−1] + a·y₁[p] − c·y₁[p−up], with the 0/1 weights
    // of the Neumann boundary (own/left x-difference, own/upper y-difference) and in-range indices
    for (let i = 0; i < H; i++) {
      const r = i * W;
      const e = r + W;
      const a = i < H - 1 ? 1 : 0;
      const c = i > 0 ? 1 : 0;
      const up = i > 0 ? W : 0;
      for (let p = r; p < e; p++) {
        const ow = p < e - 1 ? 1 : 0;
        const lw = p > r ? 1 : 0;
        const l = p - lw;
        const u = p - up;
        const div = ow * y0[p]! - lw * y0[l]! + a * y1[p]! - c * y1[u]!;
        const xo = x[p]!;
        const xn = (xo + tau * div + tau * b[p]!) * s1;
        xPrev[p] = xo;
        x[p] = xn;
        xbar[p] = xn + theta * (xn - xo);
        if (!piggyback) continue;
        const divY = ow * Y0[p]! - lw * Y0[l]! + a * Y1[p]! - c * Y1[u]!;
        const Xo = X[p]!;
        const Xn = (Xo + tau * divY - tau * (xo - t[p]!)) * s1;
        XPrev[p] = Xo;
        X[p] = Xn;
        Xbar[p] = Xn + theta * (Xn - Xo);
      }
    }
  }
}
