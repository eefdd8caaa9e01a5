/**
 * The saddle problems the gpu.js kernels run, read off the one problem description of
 * `@bilevel/core` (docs/architecture.md#kernels-and-backends).
 * @module
 */
import { asKind, type SaddleDescription, type Vec } from '@bilevel/core';
import { describedHuberConjugate, describedQuadratic, describedScale, describedSquaredError } from '@bilevel/solvers';
import { FILTER_BOUNDARIES, type FilterBank } from '../grid.js';

/**
 * The problem of a gpu.js saddle kernel: `min_x max_y ⟨Kx, y⟩ + g(x) − f*(y)` with `K = s·B`,
 * `B` the forward-difference gradient (Neumann) of a `channels`-channel image or a
 * single-channel filter bank, `g(x) = (λ/2)‖x‖² − ⟨c, x⟩ + γ`, `f*` a single-block Huber
 * conjugate (or the ball, `ε = 0`) over groups of `groupSize` of the `planes` dual planes
 * (planes `p, p + R, …, p + (G − 1)R`, `R = planes/G`: the groups of `HuberConjugate`, `N`
 * entries apart), and for the piggyback the loss `(c_ℓ/2)‖x − x†‖²`.
 */
export interface GpuJsSaddleParams {
  /** Rows `H`. */
  readonly height: number;
  /** Columns `W`. */
  readonly width: number;
  /** Image channels (1 for a filter bank). */
  readonly channels: number;
  /** Dual planes: `2·channels` for the gradient (x-differences first), `count` for a bank. */
  readonly planes: number;
  /** The base operator `B`. */
  readonly operator: { readonly kind: 'gradient' } | ({ readonly kind: 'filters' } & Required<FilterBank>);
  /** `s` in `K = s·B`. */
  readonly scale: number;
  /** `λ`, the curvature of `g`. */
  readonly lambda: number;
  /** `c`, the linear term of `g`. */
  readonly c: Vec;
  /** Radius `α`. */
  readonly alpha: number;
  /** Smoothing `ε ≥ 0`. */
  readonly epsilon: number;
  /** Entries per group of `f*` (a divisor of `planes`). */
  readonly groupSize: number;
  /** The loss of the piggyback: `c_ℓ` and `x†`. */
  readonly loss?: { readonly scale: number; readonly target: Vec };
}

/** `B` of a description: the Neumann gradient, or a single-channel zero/periodic filter bank. */
function baseOperator(d: SaddleDescription['K']): Pick<GpuJsSaddleParams, 'height' | 'width' | 'channels' | 'planes' | 'operator'> | undefined {
  const g = asKind(d, 'gradient-2d');
  if (g) return g.boundary === 'neumann' ? { height: g.height, width: g.width, channels: g.channels, planes: 2 * g.channels, operator: { kind: 'gradient' } } : undefined;
  const f = asKind(d, 'filter-bank');
  const boundary = FILTER_BOUNDARIES.find((b) => b === f?.boundary);
  if (!f || !boundary || f.inChannels !== 1 || f.kernelSize > 2 * Math.min(f.height, f.width) - 1) return undefined;
  const operator = { kind: 'filters' as const, kernels: f.kernels, kernelSize: f.kernelSize, count: f.outChannels, boundary };
  return { height: f.height, width: f.width, channels: 1, planes: f.outChannels, operator };
}

/**
 * The problem a description states for the gpu.js kernels (see {@link GpuJsSaddleParams}), or
 * `undefined`; with `piggyback` also a squared-error loss and a Huber conjugate (`ε > 0`: Lemma 3
 * needs `μ_f* > 0`).
 */
export function gpuJsSaddleParams(d: SaddleDescription, piggyback: boolean): GpuJsSaddleParams | undefined {
  const scaled = describedScale(d.K);
  const base = scaled && baseOperator(scaled.base);
  if (!base) return undefined;
  const n = base.channels * base.height * base.width;
  const g = describedQuadratic(d.g, n);
  const f = describedHuberConjugate(d.fStar, base.planes * base.height * base.width);
  if (!g || !f || base.planes % f.groupSize !== 0) return undefined;
  const params = { ...base, scale: scaled.scale, lambda: g.lambda, c: g.c, alpha: f.alpha, epsilon: f.epsilon, groupSize: f.groupSize };
  if (!piggyback) return params;
  const loss = describedSquaredError(d, n);
  return f.huber && loss ? { ...params, loss } : undefined;
}
