/**
 * Hypergradient assembly from a piggyback result and the upper-level loss, in float64 on the
 * host.
 * @module
 */
import { assertLength, type Vec } from '@bilevel/core';
import type { SaddleState } from './backend.js';
import { filterParamGradRef } from './reference/filter-bank.js';
import { dotRef } from './reference/prox.js';
import { gradientRef } from './reference/stencil.js';
import { assertStateShape } from './run.js';
import { parseSaddleSpec, type SaddleSpec } from './spec.js';

/**
 * Number of learnable parameters of the spec's operator: `count·k²` filter coefficients, or
 * the 2 direction weights `(w_x, w_y)` of `K = diag(w_x D_x, w_y D_y)` (at `w = 1`) for the gradient.
 */
export function hypergradientSize(spec: Pick<SaddleSpec, 'operator'>): number {
  const op = spec.operator;
  return op.kind === 'gradient' ? 2 : op.count * op.kernelSize * op.kernelSize;
}

/**
 * The hypergradient `∇_θ L = ∂_θ[⟨K_θX, y⟩ + ⟨K_θx, Y⟩]` at a piggyback state
 * (docs/math/piggyback.md#assembly-with-paramvjp: `∇_K L = yXᵀ + Yxᵀ`, mapped to θ by the chain
 * rule), float64 on the host:
 * - filter bank: `g[c,a,b] = Σ_{i,j} y[c,i,j]·X̃[i+a−r, j+b−r] + Y[c,i,j]·x̃[i+a−r, j+b−r]`, the
 *   correlation of `y` with `X` plus `Y` with `x` (same boundary rule as `K`);
 * - gradient: the derivative with respect to direction weights `w_d` of
 *   `K = diag(w_x D_x, w_y D_y)` at `w = 1`, `g_d = ⟨(DX)_d, y_d⟩ + ⟨(Dx)_d, Y_d⟩`.
 * Exact at the saddle point and its adjoint; for iterates, the error is what the a-posteriori
 * bound of arXiv 2412.06436, Theorem 2 controls.
 */
export function saddleHypergradient(specIn: SaddleSpec, state: Pick<SaddleState, 'x' | 'y' | 'X' | 'Y'>): Float64Array {
  const spec = parseSaddleSpec(specIn);
  assertStateShape('hypergradient', spec, state);
  const { height: H, width: W } = spec;
  const n = H * W;
  const op = spec.operator;
  if (op.kind === 'filters') {
    const g = new Float64Array(hypergradientSize(spec));
    filterParamGradRef(state.X, state.y, H, W, op, g);
    filterParamGradRef(state.x, state.Y, H, W, op, g, 1, true);
    return g;
  }
  const dX = gradientRef(state.X, H, W, new Float64Array(2 * n));
  const dx = gradientRef(state.x, H, W, new Float64Array(2 * n));
  const g = new Float64Array(2);
  for (let d = 0; d < 2; d++) {
    const a = dX.subarray(d * n, (d + 1) * n);
    const b = dx.subarray(d * n, (d + 1) * n);
    g[d] = dotRef(a, state.y.subarray(d * n, (d + 1) * n)) + dotRef(b, state.Y.subarray(d * n, (d + 1) * n));
  }
  return g;
}

/** The upper-level loss `ℓ(x) = ½‖x − x†‖²` (float64). */
export function saddleLoss(target: Vec, x: Vec): number {
  assertLength('loss x', x, target.length);
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i]! - target[i]!;
    s += d * d;
  }
  return 0.5 * s;
}
