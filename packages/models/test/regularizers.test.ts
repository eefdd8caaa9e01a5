/**
 * Regularizers: smooth forms and smooth objectives in the conformance suite (gradient, HVP,
 * constants, mixed derivatives against finite differences), saddle parts in the suite, the
 * saddle `gatherGradient` against finite differences over θ, and the models' formulas.
 */
import { describe, expect, it } from 'vitest';
import { Rng, shapeSize, type Vec } from '@bilevel/core';
import { checkGradient, type FunctionalCase } from '@bilevel/core/testing';
import { describeFunctionalSuite, describeOperatorSuite } from '@bilevel/core/testing/vitest';
import { ConvFilterBank, Gradient2D } from '@bilevel/operators';
import { QuadraticFidelity } from '@bilevel/prox';
import { FieldsOfExperts, fixedOperator, HuberTV, SmoothedTV, smoothObjective, TotalVariation, type AnalysisRegularizer } from '@bilevel/models';
import { without } from '@bilevel/core/testing';

const IMG = [1, 5, 6] as const;
const RGB = [2, 4, 5] as const;

const huberTV = (): HuberTV => new HuberTV({ shape: [...IMG], alpha: 0.3, epsilon: 1.1 });
const smoothedTV = (): SmoothedTV => new SmoothedTV({ shape: [...IMG], weight: 0.8, nu: 0.4 });
const foe = (): FieldsOfExperts =>
  new FieldsOfExperts({
    shape: [...IMG],
    filters: 3,
    kernelSize: 3,
    seed: 4,
    weight: 0.9,
    filterWeights: [1.2, 0.7, 2],
    smoothing: [0.3, 0.8, 0.5],
  });
const foeRgb = (): FieldsOfExperts =>
  new FieldsOfExperts({ shape: [...RGB], filters: 2, kernelSize: 3, boundary: 'symmetric', seed: 5, smoothing: 0.6, weight: 2 });

/** Valid boundary: the experts sum over the 4×5 positions where a whole 3×3×2 filter fits in the 6×7 image. */
const foeValid = (): FieldsOfExperts =>
  new FieldsOfExperts({ shape: [2, 6, 7], filters: 3, kernelSize: 3, boundary: 'valid', seed: 6, weight: 1.3, filterWeights: [0.8, 1.5, 1], smoothing: [0.4, 0.6, 0.3] });

const denoise = (reg: AnalysisRegularizer): ReturnType<typeof smoothObjective> => {
  const n = shapeSize(reg.domain);
  return smoothObjective({ data: new QuadraticFidelity({ shape: reg.domain, data: Rng.seeded(31).normalVec(n) }), regularizer: reg });
};

const cases: FunctionalCase[] = [
  { name: 'HuberTV isotropic, smooth form', make: () => huberTV().smooth() },
  { name: 'HuberTV anisotropic periodic, smooth form', make: () => new HuberTV({ shape: [...RGB], mode: 'anisotropic', boundary: 'periodic', alpha: 0.5, epsilon: 0.9 }).smooth() },
  { name: 'HuberTV vectorial, smooth form', make: () => new HuberTV({ shape: [...RGB], mode: 'vectorial', alpha: 0.5, epsilon: 1.5 }).smooth() },
  { name: 'SmoothedTV (MAID, anisotropic), smooth form', make: () => smoothedTV().smooth() },
  { name: 'SmoothedTV isotropic, smooth form', make: () => new SmoothedTV({ shape: [...RGB], mode: 'isotropic', weight: 0.4, nu: 0.2 }).smooth() },
  { name: 'FieldsOfExperts 3 filters 3×3 reflect, smooth form', make: () => foe().smooth() },
  { name: 'FieldsOfExperts 2→2 channels symmetric, smooth form', make: () => foeRgb().smooth() },
  { name: 'FieldsOfExperts 2→3 channels valid, smooth form', make: () => foeValid().smooth() },
  { name: 'smoothObjective ½‖x−b‖² + SmoothedTV', make: () => denoise(smoothedTV()) },
  { name: 'smoothObjective ½‖x−b‖² + FieldsOfExperts', make: () => denoise(foe()) },
  { name: 'smoothObjective ½‖x−b‖² + FieldsOfExperts valid', make: () => denoise(foeValid()) },
  { name: 'smoothObjective ½‖x−b‖² + HuberTV', make: () => denoise(huberTV()) },
  { name: 'TotalVariation saddle fStar (L2InfBall)', make: () => new TotalVariation({ shape: [...IMG], weight: 0.6 }).saddle().fStar },
  { name: 'HuberTV saddle f (GroupHuber)', make: () => huberTV().saddle().f },
  {
    name: 'HuberTV saddle fStar (HuberConjugate, isotropic)',
    make: () => without(huberTV().saddle().fStar, 'valueParamGrad'),
  },
  {
    name: 'FieldsOfExperts saddle fStar (per-filter HuberConjugate)',
    make: () => without(foe().saddle().fStar, 'valueParamGrad'),
    point: (r, m) => r.normalVec(m).map((t) => 0.4 * t),
  },
];

describeFunctionalSuite('prox regularizers', cases);

describeOperatorSuite('prox operators', [
  { name: 'fixedOperator(Gradient2D 2×4×5)', make: () => fixedOperator(new Gradient2D({ channels: 2, height: 4, width: 5 })) },
  { name: 'FieldsOfExperts saddle K (filter bank)', make: () => foe().saddle().K },
  { name: 'FieldsOfExperts saddle K (filter bank, valid)', make: () => foeValid().saddle().K },
]);

/**
 * `Φ(θ) = ⟨K_θx, y⟩ + ⟨prox_{σf*_θ}(w), v⟩ + f_θ(z)` and its gradient assembled from part
 * gradients through `gatherGradient`, as a piggyback estimator does.
 */
function saddleGradientError(make: () => AnalysisRegularizer, seed: number): number {
  const reg = make();
  const { K, fStar, f } = reg.saddle();
  const r = Rng.seeded(seed);
  const n = shapeSize(K.domain);
  const m = shapeSize(K.range);
  const x = r.normalVec(n);
  const y = r.normalVec(m);
  const w = r.normalVec(m).map((t) => 0.3 * t);
  const v = r.normalVec(m);
  const z = r.normalVec(m);
  const sigma = 0.7;
  const Kx = new Float64Array(m);
  const p = new Float64Array(m);
  const phi = (theta: Vec): number => {
    reg.setParams(theta);
    K.apply(x, Kx);
    fStar.prox(w, sigma, p);
    let s = 0;
    for (let i = 0; i < m; i++) s += Kx[i]! * y[i]! + p[i]! * v[i]!;
    return s + f.value(z);
  };
  const theta = Float64Array.from(reg.params);
  const parts = reg.saddle().partGradients();
  K.paramVjp(x, y, parts.K);
  fStar.proxParamVjp!(w, sigma, v, parts.fStar);
  (f as unknown as { valueParamGrad(x: Vec, g: Float64Array): void }).valueParamGrad(z, parts.fStar);
  const grad = new Float64Array(theta.length);
  reg.saddle().gatherGradient(parts, grad);
  return checkGradient(phi, grad, theta, r, { directions: 4 }).relError;
}

describe('saddle forms', () => {
  it.each([
    ['TotalVariation', () => new TotalVariation({ shape: [...IMG], weight: 0.6 })],
    ['HuberTV', huberTV],
    ['SmoothedTV', smoothedTV],
    ['FieldsOfExperts', foe],
    ['FieldsOfExperts RGB', foeRgb],
    ['FieldsOfExperts valid', foeValid],
  ] as const)('%s: gatherGradient of K.paramVjp, fStar.proxParamVjp and f.valueParamGrad matches FD over θ', (_, make) => {
    expect(saddleGradientError(make, 3)).toBeLessThan(1e-7);
  });

  it('parts are persistent and follow setParams', () => {
    const reg = huberTV();
    const s = reg.saddle();
    expect(reg.saddle()).toBe(s);
    reg.setParams([Math.log(0.2), Math.log(0.07)]);
    expect(Array.from(s.fStar.params)).toEqual([0.2, 0.07].map((t) => expect.closeTo(t, 15)));
    expect(Array.from(s.f.params as Float64Array)).toEqual(Array.from(s.fStar.params));
    expect(s.fStar.strongConvexity).toBeCloseTo(0.07 / 0.2, 14);
  });

  it('TV: K is the fixed gradient (no parameters), f* the L2,∞ ball of radius λ', () => {
    const reg = new TotalVariation({ shape: [...RGB], weight: 0.25 });
    const { K, fStar } = reg.saddle();
    expect(K.params.length).toBe(0);
    expect(K.range).toEqual([2, ...RGB]);
    expect(fStar.params[0]).toBeCloseTo(0.25, 15);
    expect(() => reg.smooth()).toThrow(/no smooth form/);
    expect(reg.hasSmoothForm).toBe(false);
  });

  it('FoE: f* has one (α_i, ε_i) per filter: α_i = ½e^{θ₀+θ_i}, ε_i = e^{s_i}', () => {
    const reg = foe();
    const fs = reg.saddle().fStar;
    const t = reg.params;
    for (let i = 0; i < 3; i++) {
      expect(fs.params[i]).toBeCloseTo(0.5 * Math.exp(t[0]! + t[1 + i]!), 14);
      expect(fs.params[3 + i]).toBeCloseTo(Math.exp(t[4 + i]!), 14);
    }
  });
});

describe('model formulas', () => {
  const r = Rng.seeded(9);

  it('SmoothedTV value is ½e^{θ₀} Σ √((Dx)² + e^{2θ₁}) (MAID TV_denoising.py)', () => {
    const reg = new SmoothedTV({ shape: [...RGB], weight: 0.8, nu: 0.3 });
    const D = new Gradient2D({ channels: RGB[0], height: RGB[1], width: RGB[2] });
    const x = r.normalVec(shapeSize(RGB));
    const Dx = D.apply(x, new Float64Array(2 * shapeSize(RGB)));
    let s = 0;
    for (const t of Dx) s += Math.sqrt(t * t + 0.09);
    expect(reg.smooth().value(x)).toBeCloseTo(0.5 * 0.8 * s, 12);
    expect(reg.paramNames()).toEqual(['log_weight', 'log_nu']);
    expect(reg.params[0]).toBeCloseTo(Math.log(0.8), 15);
  });

  it('FieldsOfExperts value is ½e^{θ₀} Σ_i e^{θ_i} Σ_p √((k_i⋆x)_p² + ν_i²)', () => {
    const reg = foe();
    const K = new ConvFilterBank({
      inChannels: 1,
      outChannels: 3,
      height: IMG[1],
      width: IMG[2],
      kernelSize: 3,
      boundary: 'reflect',
      kernels: reg.params.slice(7),
    });
    const x = r.normalVec(shapeSize(IMG));
    const u = K.apply(x, new Float64Array(3 * IMG[1] * IMG[2]));
    const HW = IMG[1] * IMG[2];
    const w = [1.2, 0.7, 2];
    const nu = [0.3, 0.8, 0.5];
    let s = 0;
    for (let i = 0; i < 3; i++) for (let p = 0; p < HW; p++) s += w[i]! * Math.sqrt(u[i * HW + p]! ** 2 + nu[i]! ** 2);
    expect(reg.smooth().value(x)).toBeCloseTo(0.5 * 0.9 * s, 12);
  });

  it('FieldsOfExperts with MAID sizes has 2449 parameters in MAID order', () => {
    const reg = new FieldsOfExperts({ shape: [1, 12, 12], filters: 48, kernelSize: 7 });
    expect(reg.params.length).toBe(2449);
    const names = reg.paramNames();
    expect(names.length).toBe(2449);
    expect(names[0]).toBe('log_weight');
    expect(names[1]).toBe('log_filter_weight[0]');
    expect(names[49]).toBe('log_smoothing[0]');
    expect(names[97]).toBe('kernel[0][0][0,0]');
    // default kernels: zero mean per filter
    let mean = 0;
    for (let t = 0; t < 49; t++) mean += reg.params[97 + t]!;
    expect(Math.abs(mean)).toBeLessThan(1e-12);
    expect(reg.params[0]).toBeCloseTo(-3, 14);
  });

  it('smooth objective constants: μ = 1 for denoising, L = 1 + L_R', () => {
    const reg = huberTV();
    const h = denoise(reg);
    expect(h.strongConvexity).toBe(1);
    const D = new Gradient2D({ channels: 1, height: IMG[1], width: IMG[2] });
    expect(h.lipschitz).toBeCloseTo(1 + (0.3 / 1.1) * D.norm().value ** 2, 12);
  });

  it('HuberTV smooth value equals the saddle potential at Kx', () => {
    const reg = huberTV();
    const x = r.normalVec(shapeSize(IMG));
    const { K, f } = reg.saddle();
    const Kx = K.apply(x, new Float64Array(shapeSize(K.range)));
    expect(reg.smooth().value(x)).toBeCloseTo(f.value(Kx), 13);
  });
});

describe('regularizer validation', () => {
  it('rejects negative, NaN and infinite weights naming the option', () => {
    expect(() => new HuberTV({ shape: [1, 4, 4], alpha: -1 })).toThrow(/alpha: must be > 0/);
    expect(() => new SmoothedTV({ shape: [1, 4, 4], nu: Number.NaN })).toThrow(/nu: must be finite/);
    expect(() => new FieldsOfExperts({ shape: [1, 4, 4], filters: 2, kernelSize: 3, filterWeights: [1, -2] })).toThrow(/filterWeights/);
    expect(() => new FieldsOfExperts({ shape: [1, 4, 4], filters: 2, kernelSize: 4 })).toThrow(/kernelSize: must be odd/);
    expect(() => new TotalVariation({ shape: [4, 4] as never })).toThrow(/shape/);
  });

  it('setParams rejects wrong lengths, non-finite entries and overflowing log-parameters', () => {
    const reg = huberTV();
    expect(() => reg.setParams([0])).toThrow(/expected length 2/);
    expect(() => reg.setParams([0, Number.NaN])).toThrow(/entry 1/);
    expect(() => reg.setParams([0, -800])).toThrow(/log_epsilon/);
  });
});
