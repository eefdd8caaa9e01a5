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
import type { GroupedOptions } from '@bilevel/prox';
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

/**
 * One entry `θ_i = log p` of a TV regularizer: the option giving the positive value `p` (default
 * `initial`), the name of `θ_i`, and the factor `c` of the potential's i-th parameter `c·e^{θ_i}`.
 */
interface TvParameter {
  readonly option: string;
  readonly name: string;
  readonly initial: number;
  readonly factor?: number;
}

/**
 * The analysis parts of a TV-type regularizer `R(x) = f(Dx)` from its `options`: the fields of
 * {@link TvBaseOptions} (`mode` by default `defaultMode`) and one positive number per entry of
 * `theta`. `K = D` fixed (no parameters); the potentials of the saddle and (when `smooth` is
 * given) the smooth form, built on `D`'s range with the group size of the mode (`anisotropic` 1,
 * `isotropic` 2, `vectorial` 2C); `θ_i ↦` the potential's i-th parameter `c_i·e^{θ_i}` (a
 * {@link ParamMap} without operator block), starting at `θ_i = log p_i`.
 */
function tvParts<F extends SaddlePotential>(
  what: string,
  options: TvBaseOptions,
  defaultMode: TvMode,
  theta: readonly TvParameter[],
  saddle: (potential: GroupedOptions) => F,
  smooth?: (potential: GroupedOptions) => SmoothPotential,
): AnalysisParts<F> {
  const schema = z.strictObject({ ...base, ...Object.fromEntries(theta.map((p) => [p.option, positiveNumber.optional()])) });
  const o = parseOptions(schema, options, what) as z.output<z.ZodObject<typeof base>> & Readonly<Record<string, number | undefined>>;
  const [C, H, W] = o.shape;
  const mode = o.mode ?? defaultMode;
  const D = new Gradient2D({ channels: C, height: H, width: W, boundary: o.boundary ?? 'neumann' });
  const potential = { shape: D.range, groupSize: mode === 'anisotropic' ? 1 : mode === 'isotropic' ? 2 : 2 * C };
  return {
    what,
    operator: fixedOperator(D),
    saddlePotential: saddle(potential),
    ...(smooth ? { smoothPotential: smooth(potential) } : {}),
    map: new ParamMap({
      thetaLength: theta.length,
      operatorOffset: 0,
      operatorLength: 0,
      potential: theta.map((p, i) => ({ sources: [i], ...(p.factor !== undefined ? { factor: p.factor } : {}) })),
      names: theta.map((p) => p.name),
    }),
    theta: theta.map((p) => Math.log(o[p.option] ?? p.initial)),
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
    super(tvParts('TotalVariation', options, 'isotropic', [{ option: 'weight', name: 'log_weight', initial: 0.1 }], (p) => new GroupL21(p)));
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
    const huber = (p: GroupedOptions): GroupHuber => new GroupHuber(p);
    const theta = [
      { option: 'alpha', name: 'log_alpha', initial: 0.1 },
      { option: 'epsilon', name: 'log_epsilon', initial: 0.05 },
    ];
    super(tvParts('HuberTV', options, 'isotropic', theta, huber, huber));
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
    const smoothAbs = (p: GroupedOptions): SmoothAbs => new SmoothAbs(p);
    const theta = [
      { option: 'weight', name: 'log_weight', initial: Math.exp(-5), factor: 0.5 },
      { option: 'nu', name: 'log_nu', initial: Math.exp(-5) },
    ];
    super(tvParts('SmoothedTV', options, 'anisotropic', theta, smoothAbs, smoothAbs));
  }
}
