/**
 * The ICNN regularizer and its variational model: convexity of `R_θ` on random segments, the
 * formula against a direct evaluation, the projection hook, and the lifted saddle form over
 * `(x, z)` of `icnnModel` with a training set (exact lifting, moduli, NaN-padded targets, image
 * loss, feasible cold starts, validated options).
 */
import { describe, expect, it } from 'vitest';
import { Rng, ValidationError, type Vec } from '@bilevel/core';
import { leakyRelu, smoothRelu } from '@bilevel/prox';
import { IcnnRegularizer, TrainingSet, icnnModel, models } from '@bilevel/models';
import { convexityViolation } from './convexity.js';
import { expectExactLifting } from './lifting.js';

const network = (o: Partial<ConstructorParameters<typeof IcnnRegularizer>[0]> = {}): IcnnRegularizer =>
  new IcnnRegularizer({ shape: [1, 8, 8], filters: 3, kernelSize: 3, poolFactor: 2, units: 4, seed: 11, ...o });


describe('IcnnRegularizer', () => {
  it('is convex: R(tx + (1−t)y) ≤ tR(x) + (1−t)R(y) on 4000 random segments (smoothed and non-smoothed, random biases)', () => {
    const rng = Rng.seeded(7);
    let worst = -Infinity;
    let trials = 0;
    for (const [k, o] of [
      { smoothing: 0, hiddenSmoothing: 0 },
      { smoothing: 0.01, hiddenSmoothing: 0.01 },
      { smoothing: 0.3, hiddenSmoothing: 0.2, slope: 0 },
      { smoothing: 0.05, hiddenSmoothing: 0, slope: 0.5, kernelSize: 5, boundary: 'periodic' as const },
    ].entries()) {
      const reg = network({ ...o, seed: 20 + k, convBias: rng.normalVec(3).map((t) => 0.2 * t), hiddenBias: rng.normalVec(4).map((t) => 0.3 * t), outputWeights: [1, 0.5, 2, 0.3] });
      reg.setParams(reg.params.map((t, i) => (i >= reg.layout.hidden.offset ? 5 * rng.uniform() : 2 * t)));
      expect(reg.isConvex()).toBe(true);
      worst = Math.max(worst, convexityViolation((x) => reg.value(x), 64, rng, 1000));
      trials += 1000;
    }
    expect(trials).toBe(4000);
    expect(worst).toBeLessThanOrEqual(1e-13);
    console.warn(`ICNN convexity: worst relative violation over ${trials} segments ${worst.toExponential(2)} (≤ 0 up to rounding)`);
  });

  it('the convexity test has teeth: with negative hidden weights it finds violations', () => {
    const rng = Rng.seeded(8);
    const reg = network({ smoothing: 0, hiddenSmoothing: 0 });
    reg.setParams(reg.params.map((t, i) => (i >= reg.layout.hidden.offset ? 3 * rng.normal() : 2 * t)));
    expect(reg.isConvex()).toBe(false);
    const worst = convexityViolation((x) => reg.value(x), 64, rng, 500, false);
    expect(worst).toBeGreaterThan(1e-3);
    console.warn(`ICNN convexity with negative W_A (control): largest violation ${worst.toExponential(2)}`);
  });

  it('matches a direct evaluation of Σ_m a_m h(W_A·avgpool(σ(W₀x + b₀)) + b₁) (zero boundary)', () => {
    const rng = Rng.seeded(9);
    const [F, k, s, M, H, W] = [3, 3, 2, 4, 8, 8];
    const o = { slope: 0.15, smoothing: 0.2, hiddenSmoothing: 0.1, convBias: [0.1, -0.2, 0.05], hiddenBias: [0.3, -0.1, 0, 0.2], outputWeights: [1, 2, 0.5, 1.5] };
    const reg = network({ ...o, boundary: 'zero' });
    const x = rng.normalVec(H * W);
    const kern = reg.conv.params;
    const WA = reg.hidden.params;
    const z = new Float64Array(F * H * W);
    for (let f = 0; f < F; f++) {
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < W; j++) {
          let u = o.convBias[f]!;
          for (let a = 0; a < k; a++) {
            for (let b = 0; b < k; b++) {
              const ii = i + a - 1;
              const jj = j + b - 1;
              if (ii >= 0 && ii < H && jj >= 0 && jj < W) u += kern[f * k * k + a * k + b]! * x[ii * W + jj]!;
            }
          }
          z[f * H * W + i * W + j] = leakyRelu(u, o.slope, o.smoothing);
        }
      }
    }
    const P = F * (H / s) * (W / s);
    let r = 0;
    for (let m = 0; m < M; m++) {
      let v = o.hiddenBias[m]!;
      for (let f = 0; f < F; f++) {
        for (let I = 0; I < H / s; I++) {
          for (let J = 0; J < W / s; J++) {
            let mean = 0;
            for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) mean += z[f * H * W + (I * s + a) * W + J * s + b]! / (s * s);
            v += WA[m * P + f * (H / s) * (W / s) + I * (W / s) + J]! * mean;
          }
        }
      }
      r += o.outputWeights[m]! * smoothRelu(v, o.hiddenSmoothing);
    }
    expect(Math.abs(reg.value(x) - r)).toBeLessThan(1e-13 * (1 + Math.abs(r)));
  });

  it('names every parameter and exposes the layout θ = [W0; WA]', () => {
    const reg = network();
    const names = reg.paramNames();
    expect(names.length).toBe(reg.params.length);
    expect(reg.layout).toEqual({ kernels: { offset: 0, length: 27 }, hidden: { offset: 27, length: 4 * 3 * 4 * 4 }, size: 27 + 192 });
    expect(names[0]).toBe('W0[0][0][0,0]');
    expect(names[26]).toBe('W0[2][0][2,2]');
    expect(names[27]).toBe('WA[0][0,0,0]');
    expect(names.at(-1)).toBe('WA[3][2,3,3]');
    expect(new Set(names).size).toBe(names.length);
  });

  it('projection hook: clamps W_A to ≥ 0 in place, idempotent, kernels untouched; usable as an optimizer project option', () => {
    const reg = network();
    const theta = Float64Array.from(reg.params.map((t, i) => (i % 3 === 0 ? -Math.abs(t) - 0.1 : t)));
    const before = Float64Array.from(theta);
    const project: (theta: Float64Array) => void = reg.project;
    project(theta);
    const { hidden, kernels } = reg.layout;
    for (let i = kernels.offset; i < kernels.offset + kernels.length; i++) expect(theta[i]).toBe(before[i]);
    for (let i = hidden.offset; i < hidden.offset + hidden.length; i++) expect(theta[i]).toBe(Math.max(0, before[i]!));
    const again = Float64Array.from(theta);
    project(again);
    expect(again).toEqual(theta);
    reg.setParams(theta);
    expect(reg.isConvex()).toBe(true);
    expect(() => project(new Float64Array(3))).toThrow(ValidationError);
  });

  it('shares θ with its lifted operator K(x, z) = (W₀x, z, W_A·pool z)', () => {
    const reg = network({ convBias: 0 });
    const K = reg.operator;
    expect(K.params).toEqual(reg.params);
    const rng = Rng.seeded(10);
    const theta = rng.normalVec(reg.params.length);
    K.setParams(theta);
    expect(reg.params).toEqual(theta);
    const v = rng.normalVec(K.domain[0]!);
    const out = K.apply(v, new Float64Array(K.range[0]!));
    const x = v.subarray(0, 64);
    const z = v.subarray(64);
    expect(out.subarray(0, 192)).toEqual(reg.conv.apply(x, new Float64Array(192)));
    expect(out.subarray(192, 384)).toEqual(z);
    expect(out.subarray(384)).toEqual(reg.hidden.apply(z, new Float64Array(4)));
  });

  it('rejects bad options with messages that name them', () => {
    expect(() => new IcnnRegularizer({ shape: [1, 6, 6], poolFactor: 4 })).toThrow(/poolFactor/);
    expect(() => new IcnnRegularizer({ shape: [1, 8, 8], slope: 1 })).toThrow(/slope/);
    expect(() => new IcnnRegularizer({ shape: [1, 8, 8], kernelSize: 4 })).toThrow(/kernelSize/);
    expect(() => new IcnnRegularizer({ shape: [1, 8, 8], outputWeights: -1 })).toThrow(/outputWeights/);
    expect(() => new IcnnRegularizer({ shape: [1, 8, 8], filters: 2, kernels: [1, 2] })).toThrow(/kernels/);
  });
});


describe('icnnModel with a training set (lifted saddle form)', () => {
  const S = 8;
  const rng = Rng.seeded(12);
  const target = rng.normalVec(S * S).map((t) => 0.5 + 0.1 * t);
  const degraded = target.map((t) => t + 0.1 * rng.normal());
  const reg = () => new IcnnRegularizer({ shape: [1, S, S], filters: 2, kernelSize: 3, poolFactor: 4, units: 3, seed: 1, smoothing: 0.05, hiddenSmoothing: 0.05, convBias: [0.1, -0.1] });
  const make = (o: { zWeight: number; epigraphSmoothing: number }) => {
    const R = reg();
    const set = new TrainingSet(icnnModel(R, o), [{ degraded, clean: target }]);
    return { R, set, model: set.saddleModel(), liftedSize: S * S + R.auxiliarySize };
  };

  it('lifts exactly: at z = σ(W₀x + b₀), g(x, z) + f(K(x, z)) = ½‖x − b‖² + R(x) + (γ/2)‖z‖²', () => {
    for (const gamma of [0, 0.3]) {
      const { R, model } = make({ zWeight: gamma, epigraphSmoothing: 0 });
      expectExactLifting(R, model, degraded, gamma, rng.normalVec(S * S));
    }
  });

  it('reports its moduli: μ_g = min(1, γ), μ_f* = min(ε, ω₁/max a); g* and f exist only when they are strongly convex / smooth', () => {
    const { model: m } = make({ zWeight: 0.2, epigraphSmoothing: 0.03 });
    expect(m.sample(0).g.strongConvexity).toBeCloseTo(0.2, 14);
    expect(m.fStar.strongConvexity).toBeCloseTo(0.03, 14);
    expect(m.sample(0).gStar).toBeDefined();
    expect(typeof m.f?.gradient).toBe('function');
    expect(m.K.norm?.().kind).toBe('upper-bound');
    const { model: exact } = make({ zWeight: 0, epigraphSmoothing: 0 });
    expect(exact.sample(0).g.strongConvexity).toBe(0);
    expect(exact.fStar.strongConvexity).toBe(0);
    expect(exact.sample(0).gStar).toBeUndefined();
    expect(exact.f).toBeUndefined();
    expect(exact.fStar.hvpInverse).toBeUndefined();
  });

  it('pads targets with NaN on z, restricts losses to the image, and cold-starts feasibly', () => {
    const { set, model: m, liftedSize } = make({ zWeight: 0.1, epigraphSmoothing: 0.1 });
    const s = m.sample(0);
    expect(s.target.length).toBe(liftedSize);
    expect(Array.from(s.target.subarray(0, S * S))).toEqual(Array.from(target));
    expect(s.target.subarray(S * S).every(Number.isNaN)).toBe(true);
    const base = {
      convex: true,
      description: '½‖x − x†‖²',
      value: (x: Vec, t: Vec) => x.reduce((acc, v, i) => acc + 0.5 * (v - t[i]!) ** 2, 0),
      gradient(x: Vec, t: Vec, out: Vec) {
        for (let i = 0; i < x.length; i++) out[i] = x[i]! - t[i]!;
        return out;
      },
      lipschitz: () => 1,
    };
    const loss = set.loss(base);
    const X = rng.normalVec(liftedSize);
    expect(loss.value(X, s.target)).toBeCloseTo(base.value(X.subarray(0, S * S), target), 12);
    expect(Number.isNaN(base.value(X, s.target))).toBe(true);
    const grad = loss.gradient(X, s.target, new Float64Array(liftedSize).fill(7));
    expect(grad.subarray(S * S).every((v) => v === 0)).toBe(true);
    expect(grad[0]).toBeCloseTo(X[0]! - target[0]!, 14);
    const x0 = s.x0!;
    const f = (m.fStar as unknown as { conjugate(): { value(v: Vec): number } }).conjugate();
    expect(Number.isFinite(f.value(m.K.apply(x0, new Float64Array(m.K.range[0]!))))).toBe(true);
    expect(x0.subarray(0, S * S)).toEqual(degraded);
  });

  it('validates its options through the registry', () => {
    const base = { filters: 2, filterSize: 3, poolFactor: 4, units: 3 };
    expect(() => models.options('icnn', { ...base, zWeight: -1 })).toThrow(/zWeight/);
    expect(() => models.options('icnn', { ...base, hiddenSmoothing: 0 })).toThrow(/hiddenSmoothing/);
    expect(() => new TrainingSet(icnnModel(reg(), { zWeight: 0.1, epigraphSmoothing: 0.1 }), [])).toThrow(ValidationError);
    const spec = models.initial('icnn', base, {}, { rng: Rng.seeded(1), seed: 1, shape: [1, S, S] });
    // θ's length depends on the image size (one hidden weight per pooled cell).
    expect(() => models.build(spec, [1, S, 2 * S])).toThrow(/layout for images \[1, 8, 16\]/);
  });
});
