/**
 * Total-variation regularizers on the 2-D forward-difference gradient `D: [C,H,W] → [2,C,H,W]`:
 * TV (`λ‖Dx‖_{2,1}`), Huber-TV (`α Huber_ε(Dx)`) and the smoothed TV of MAID
 * (`½e^{θ₀} Σ √((Dx)² + e^{2θ₁})`).
 * @module
 */
import { z, type Shape } from '@bilevel/core';
import { Gradient2D } from '@bilevel/operators';
import type { L2InfBall } from '@bilevel/prox';
import { GroupL21 } from '@bilevel/prox';
import type { HuberConjugate } from '@bilevel/prox';
import type { MoreauConjugate } from '@bilevel/prox';
import { GroupHuber } from '@bilevel/prox';
import { SmoothAbs } from '@bilevel/prox';
import { parseOptions, positiveNumber } from '@bilevel/core';
import { AnalysisRegularizer, type AnalysisParts, type SaddlePotential, type SmoothPotential } from './analysis.js';
import { fixedOperator } from './fixed-operator.js';
import { ParamMap } from './param-map.js';

/**
 * How the differences are grouped: `anisotropic` (each difference alone, `groupSize` 1),
 * `isotropic` (x- and y-difference of each pixel and channel, `groupSize` 2), `vectorial`
 * (all channels of a pixel, `groupSize` 2C; colour TV).
 */
export type TvMode = 'anisotropic' | 'isotropic' | 'vectorial';

/** Options shared by the TV regularizers. */
export interface TvBaseOptions {
  /** Image shape `[C, H, W]`. */
  readonly shape: Shape;
  /** Grouping of the differences (default: `isotropic` for TV and Huber-TV, `anisotropic` for SmoothedTV). */
  readonly mode?: TvMode;
  /** Boundary rule of the gradient (default `neumann`). */
  readonly boundary?: 'neumann' | 'periodic';
}

const imageShape = z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()], {
  error: 'must be an image shape [C, H, W] of positive integers',
});
const base = {
  shape: imageShape,
  mode: z.enum(['anisotropic', 'isotropic', 'vectorial']).optional(),
  boundary: z.enum(['neumann', 'periodic']).optional(),
};

/** The gradient `D` and the group size of `mode`. */
function gradientOf(shape: readonly [number, number, number], mode: TvMode, boundary: 'neumann' | 'periodic'): { D: Gradient2D; groupSize: number } {
  const [C, H, W] = shape;
  const D = new Gradient2D({ channels: C, height: H, width: W, boundary });
  return { D, groupSize: mode === 'anisotropic' ? 1 : mode === 'isotropic' ? 2 : 2 * C };
}

/** One entry `θ_i` of a TV regularizer: its name, initial value, and the factor `c` of the potential's i-th parameter `c·e^{θ_i}`. */
interface TvParameter {
  readonly name: string;
  readonly initial: number;
  readonly factor?: number;
}

/**
 * The analysis parts of a TV-type regularizer `R(x) = f(Dx)`: `K = D` fixed (no parameters) and
 * `θ_i ↦` the potential's i-th parameter `c_i·e^{θ_i}` (a {@link ParamMap} without operator block).
 */
function tvParts<F extends SaddlePotential>(what: string, D: Gradient2D, saddlePotential: F, smoothPotential: SmoothPotential | undefined, theta: readonly TvParameter[]): AnalysisParts<F> {
  return {
    what,
    operator: fixedOperator(D),
    saddlePotential,
    ...(smoothPotential ? { smoothPotential } : {}),
    map: new ParamMap({
      thetaLength: theta.length,
      operatorOffset: 0,
      operatorLength: 0,
      potential: theta.map((p, i) => ({ sources: [i], ...(p.factor !== undefined ? { factor: p.factor } : {}) })),
      names: theta.map((p) => p.name),
    }),
    theta: theta.map((p) => p.initial),
  };
}

/** Options of {@link TotalVariation}. */
export interface TotalVariationOptions extends TvBaseOptions {
  /** Weight `λ > 0` (default 0.1); `θ = [log λ]`. */
  readonly weight?: number;
}

/**
 * Total variation `R(x) = λ Σ_j ‖(Dx)_j‖` (Rudin–Osher–Fatemi 1992; isotropic form of Chambolle
 * 2004), with `θ = [log λ]` (`log_weight`).
 *
 * Saddle form: `K = D` (fixed, no parameters), `f = λ‖·‖_{2,1}` ({@link GroupL21}),
 * `f* = ι{‖y_j‖ ≤ λ}` (`L2InfBall`); `θ₀` maps to `f*`'s radius `λ = e^{θ₀}`. No smooth form.
 */
export class TotalVariation extends AnalysisRegularizer<L2InfBall, GroupL21> {
  constructor(options: TotalVariationOptions) {
    const o = parseOptions(z.strictObject({ ...base, weight: positiveNumber.optional() }), options, 'TotalVariation');
    const { D, groupSize } = gradientOf(o.shape, o.mode ?? 'isotropic', o.boundary ?? 'neumann');
    super(tvParts('TotalVariation', D, new GroupL21({ shape: D.range, groupSize }), undefined, [{ name: 'log_weight', initial: Math.log(o.weight ?? 0.1) }]));
  }
}

/** Options of {@link HuberTV}. */
export interface HuberTVOptions extends TvBaseOptions {
  /** Weight `α > 0` (default 0.1); `θ₀ = log α`. */
  readonly alpha?: number;
  /** Smoothing `ε > 0` (default 0.05); `θ₁ = log ε`. */
  readonly epsilon?: number;
}

/**
 * Huber total variation `R(x) = α Σ_j H_ε(‖(Dx)_j‖)` with `θ = [log α, log ε]`
 * (`log_alpha`, `log_epsilon`): the Huber-TV of arXiv 2412.06436
 * (docs/math/regularizers.md#analysis-regularizers).
 *
 * Saddle form: `K = D` (fixed), `f = α Huber_ε` ({@link GroupHuber}), `f* = ε/(2α)‖y‖² +
 * ι{‖y_j‖ ≤ α}` (`HuberConjugate`), `f*` parameters `[α, ε] = [e^{θ₀}, e^{θ₁}]`.
 * Smooth form: `∇R = Dᵀ(α Dx/max(ε, ‖Dx‖))`, Lipschitz `(α/ε)‖D‖²` (Hessian a.e.).
 */
export class HuberTV extends AnalysisRegularizer<HuberConjugate, GroupHuber> {
  constructor(options: HuberTVOptions) {
    const o = parseOptions(
      z.strictObject({ ...base, alpha: positiveNumber.optional(), epsilon: positiveNumber.optional() }),
      options,
      'HuberTV',
    );
    const { D, groupSize } = gradientOf(o.shape, o.mode ?? 'isotropic', o.boundary ?? 'neumann');
    super(
      tvParts('HuberTV', D, new GroupHuber({ shape: D.range, groupSize }), new GroupHuber({ shape: D.range, groupSize }), [
        { name: 'log_alpha', initial: Math.log(o.alpha ?? 0.1) },
        { name: 'log_epsilon', initial: Math.log(o.epsilon ?? 0.05) },
      ]),
    );
  }
}

/** Options of {@link SmoothedTV}. */
export interface SmoothedTVOptions extends TvBaseOptions {
  /** `e^{θ₀} > 0` (default `e^{−5}`, the MAID initialisation); the regularizer is `½·weight·Σψ`. */
  readonly weight?: number;
  /** Smoothing `ν = e^{θ₁} > 0` (default `e^{−5}`). */
  readonly nu?: number;
}

/**
 * The smoothed TV of MAID (arXiv 2308.10098, `TV_denoising.py`; docs/math/regularizers.md#smoothed-tv):
 * `R(x) = ½e^{θ₀} Σ_j √(‖(Dx)_j‖² + e^{2θ₁})`, anisotropic by default (each forward
 * difference alone), `θ = [θ₀, θ₁]` (`log_weight`, `log_nu`). With Neumann differences the
 * zero boundary differences add the constant `ν` per entry to the value (MAID sums interior
 * differences only); gradients and mixed derivatives are unaffected.
 *
 * Smooth form (docs/math/regularizers.md#mixed-derivatives): `∇R = ½e^{θ₀} Dᵀψ'(Dx)`,
 * `(Bᵀq)_{θ₀} = ½e^{θ₀}⟨Dᵀψ'(Dx), q⟩`, `(Bᵀq)_{θ₁} = ½e^{θ₀}⟨Dᵀ(−Dx ν²/ψ³), q⟩`;
 * potential `SmoothAbs` with `λ = ½e^{θ₀}`, `ν = e^{θ₁}`, Lipschitz `(λ/ν)‖D‖²`.
 * Saddle form: `K = D`, `f = SmoothAbs`, `f*` its conjugate `−ν√(λ² − ‖y_j‖²) + ι`
 * (prox through Moreau, flagged `derivedByMoreau`).
 */
export class SmoothedTV extends AnalysisRegularizer<MoreauConjugate, SmoothAbs> {
  constructor(options: SmoothedTVOptions) {
    const o = parseOptions(
      z.strictObject({ ...base, weight: positiveNumber.optional(), nu: positiveNumber.optional() }),
      options,
      'SmoothedTV',
    );
    const { D, groupSize } = gradientOf(o.shape, o.mode ?? 'anisotropic', o.boundary ?? 'neumann');
    super(
      tvParts('SmoothedTV', D, new SmoothAbs({ shape: D.range, groupSize }), new SmoothAbs({ shape: D.range, groupSize }), [
        { name: 'log_weight', initial: Math.log(o.weight ?? Math.exp(-5)), factor: 0.5 },
        { name: 'log_nu', initial: Math.log(o.nu ?? Math.exp(-5)) },
      ]),
    );
  }
}
