/**
 * The convolutional ICNN (`conv-icnn`): convexity on random segments (and a control with negative
 * hidden weights), the formula against a direct evaluation, θ independent of the image size,
 * translation invariance, the exact epigraph lifting of its saddle form, and the conformance
 * suites for its lifted operator and smooth form.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '@bilevel/core';
import type { FunctionalCase, OperatorCase } from '@bilevel/core/testing';
import { describeFunctionalSuite, describeOperatorSuite } from '@bilevel/core/testing/vitest';
import { leakyRelu, smoothRelu } from '@bilevel/prox';
import { IcnnRegularizer, TrainingSet, icnnModel, models, type ModelSpec } from '@bilevel/models';
import { convexityViolation } from './convexity.js';
import { expectExactLifting } from './lifting.js';

type Options = Partial<ConstructorParameters<typeof IcnnRegularizer>[0]>;

const network = (o: Options = {}): IcnnRegularizer =>
  new IcnnRegularizer({ shape: [1, 8, 8], filters: 3, kernelSize: 3, hidden: 'convolutional', hiddenKernelSize: 3, units: 2, seed: 11, ...o });

describe('IcnnRegularizer with a convolutional hidden layer', () => {
  it('is convex on 3000 random segments (smoothed and not, random biases, boundaries)', () => {
    const rng = Rng.seeded(7);
    let worst = -Infinity;
    for (const [k, o] of [
      { smoothing: 0, hiddenSmoothing: 0 },
      { smoothing: 0.05, hiddenSmoothing: 0.02, boundary: 'zero' as const },
      { smoothing: 0.2, hiddenSmoothing: 0.1, slope: 0.4, hiddenKernelSize: 5, boundary: 'periodic' as const },
    ].entries()) {
      const reg = network({ ...o, seed: 30 + k, convBias: rng.normalVec(3).map((t) => 0.2 * t), hiddenBias: rng.normalVec(2).map((t) => 0.3 * t), outputWeights: [1, 0.4] });
      reg.setParams(reg.params.map((t, i) => (i >= reg.layout.hidden.offset ? 3 * rng.uniform() : 2 * t)));
      expect(reg.isConvex()).toBe(true);
      worst = Math.max(worst, convexityViolation((x) => reg.value(x), 64, rng, 1000));
    }
    expect(worst).toBeLessThanOrEqual(1e-13);
  });

  it('the convexity test has teeth: with negative hidden weights it finds violations', () => {
    const rng = Rng.seeded(8);
    // hidden units active (bias 5): R is then a signed sum of the convex σ(W₀x + b₀)
    const reg = network({ smoothing: 0, hiddenSmoothing: 0, hiddenBias: 5 });
    reg.setParams(reg.params.map((t, i) => (i >= reg.layout.hidden.offset ? 3 * rng.normal() : 2 * t)));
    expect(reg.isConvex()).toBe(false);
    const worst = convexityViolation((x) => reg.value(x), 64, rng, 500, false);
    expect(worst).toBeGreaterThan(1e-3);
  });

  it('matches a direct evaluation of Σ_m a_m Σ_p h((W_A ⋆ σ(W₀x + b₀))_{m,p} + b₁_m) (zero boundary)', () => {
    const rng = Rng.seeded(9);
    const [F, k, M, H, W] = [3, 3, 2, 6, 7];
    const o = { slope: 0.15, smoothing: 0.2, hiddenSmoothing: 0.1, convBias: [0.1, -0.2, 0.05], hiddenBias: [0.3, -0.1], outputWeights: [1, 2] };
    const reg = network({ ...o, shape: [1, H, W], boundary: 'zero' });
    const x = rng.normalVec(H * W);
    const correlate = (input: Float64Array, kern: Float64Array, cin: number, f: number, i: number, j: number): number => {
      let u = 0;
      for (let c = 0; c < cin; c++) {
        for (let a = 0; a < k; a++) {
          for (let b = 0; b < k; b++) {
            const ii = i + a - 1;
            const jj = j + b - 1;
            if (ii >= 0 && ii < H && jj >= 0 && jj < W) u += kern[((f * cin + c) * k + a) * k + b]! * input[c * H * W + ii * W + jj]!;
          }
        }
      }
      return u;
    };
    const z = new Float64Array(F * H * W);
    for (let f = 0; f < F; f++) {
      for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) z[f * H * W + i * W + j] = leakyRelu(o.convBias[f]! + correlate(x, reg.conv.params, 1, f, i, j), o.slope, o.smoothing);
    }
    let r = 0;
    for (let m = 0; m < M; m++) {
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < W; j++) r += o.outputWeights[m]! * smoothRelu(o.hiddenBias[m]! + correlate(z, reg.hidden.params, F, m, i, j), o.hiddenSmoothing);
      }
    }
    expect(Math.abs(reg.value(x) - r)).toBeLessThan(1e-13 * (1 + Math.abs(r)));
  });

  it('is translation-invariant: R(shift x) = R(x) with periodic boundaries', () => {
    const rng = Rng.seeded(10);
    const reg = network({ shape: [1, 8, 8], boundary: 'periodic', smoothing: 0.1, hiddenSmoothing: 0.1, convBias: 0.05, hiddenBias: -0.02 });
    const x = rng.normalVec(64);
    const shifted = x.map((_, p) => x[((Math.floor(p / 8) + 3) % 8) * 8 + ((p % 8) + 5) % 8]!);
    expect(Math.abs(reg.value(shifted) - reg.value(x))).toBeLessThan(1e-12 * Math.abs(reg.value(x)));
  });
});

describe('the conv-icnn kind', () => {
  const options = { filters: 4, filterSize: 3, hiddenFilterSize: 3, units: 2 };
  // R(x) = f(K(x, σ(W₀x + b₀))) (on the epigraph f_epi = 0): the model's regularizer at x
  const regularizer = (s: ModelSpec, shape: readonly number[], x: Float64Array): number => {
    const m = models.build(s, shape).saddle!;
    const X = new Float64Array(x.length + m.lifting!.auxiliarySize);
    X.set(x);
    m.lifting!.start(x, X.subarray(x.length));
    return m.f!.value(m.K.apply(X, new Float64Array(m.K.range[0]!)));
  };

  it('has a θ that does not depend on the image size: one model data builds on every size', () => {
    const spec = models.initial('conv-icnn', options, { derivativeWeight: 0.5 }, { rng: Rng.seeded(1), seed: 1, shape: [1, 8, 8] });
    expect(spec.theta.length).toBe(4 * 9 + 2 * 4 * 9);
    for (const shape of [[1, 8, 8], [1, 13, 21], [1, 64, 48]]) {
      expect(models.layout('conv-icnn', options, shape).length).toBe(spec.theta.length);
      const model = models.build(spec, shape);
      expect(model.spec().kind).toBe('conv-icnn');
      expect(model.saddle?.trainable).toBe(true);
    }
    // the pooled ICNN, for contrast, is tied to its size
    const pooled = models.initial('icnn', { filters: 4, filterSize: 3, poolFactor: 4, units: 2 }, {}, { rng: Rng.seeded(1), seed: 1, shape: [1, 8, 8] });
    expect(() => models.build(pooled, [1, 16, 16])).toThrow(/layout for images/);
  });

  it('colour: filters across 3 channels; a colour model refuses gray images by name', () => {
    const spec = models.initial('conv-icnn', { ...options, channels: 3 }, {}, { rng: Rng.seeded(2), seed: 2, shape: [3, 8, 8] });
    expect(spec.theta.length).toBe(4 * 27 + 2 * 4 * 9);
    expect(() => models.build(spec, [1, 8, 8])).toThrow(/span 3 channel\(s\).*images have 1/);
    expect(() => models.options('conv-icnn', { ...options, hiddenFilterSize: 4 })).toThrow(/hiddenFilterSize/);
  });

  it('TV-like start with pairs: ± pairs of random filters of norm r·w·√2, every feature weighted c(1 ± r), units distinct', () => {
    const o = { filters: 7, filterSize: 3, hiddenFilterSize: 3, units: 3 };
    const shape = [1, 8, 8];
    const [w, c, r] = [0.7, 0.05, 0.2];
    const start = (pairs: boolean) => Float64Array.from(models.initial('conv-icnn', o, { derivativeWeight: w, hiddenWeight: c, randomScale: r, pairs }, { rng: Rng.seeded(4), seed: 4, shape }).theta);
    const layout = models.layout('conv-icnn', o, shape);
    const kernels = layout.block('kernels');
    const hidden = layout.block('hidden');
    const filter = (theta: Float64Array, f: number) => Array.from(theta.subarray(kernels.offset + 9 * f, kernels.offset + 9 * (f + 1)));
    const unit = (theta: Float64Array, m: number) => Array.from(theta.subarray(hidden.offset + m * 7 * 9, hidden.offset + (m + 1) * 7 * 9));
    const norm = (v: number[]) => Math.hypot(...v);
    const paired = start(true);
    // filters 0–3: the differences, as without pairs
    for (let f = 0; f < 4; f++) expect(filter(paired, f)).toEqual(filter(start(false), f));
    expect(filter(paired, 0).filter((t) => t !== 0).sort()).toEqual([-w, w]);
    // 4, 5 a ± pair; 6 alone; each of norm r·w·√2
    expect(filter(paired, 5)).toEqual(filter(paired, 4).map((t) => -t));
    for (const f of [4, 6]) expect(norm(filter(paired, f))).toBeCloseTo(r * w * Math.SQRT2, 12);
    expect(filter(paired, 6)).not.toEqual(filter(paired, 4).map((t) => -t));
    // every hidden weight in c·[1 − r, 1 + r], the units different
    for (let t = hidden.offset; t < hidden.offset + hidden.size; t++) {
      expect(paired[t]).toBeGreaterThanOrEqual(c * (1 - r));
      expect(paired[t]).toBeLessThanOrEqual(c * (1 + r));
    }
    expect(unit(paired, 1)).not.toEqual(unit(paired, 0));
    // without pairs the units start identical on the differences' features (the symmetry `pairs` breaks)
    const plain = start(false);
    expect(unit(plain, 1).slice(0, 36)).toEqual(unit(plain, 0).slice(0, 36));
    expect(Math.max(...unit(plain, 0).slice(36))).toBeLessThan(r * (2 / 63) + 1e-15);
  });

  it('outputWeight a: a·h_{ω/a}(v/a) = h_ω(v), the same R with hidden weights W_A/a, and a dual better conditioned by 1/a²', () => {
    const S = 8;
    const shape = [1, S, S];
    const rng = Rng.seeded(13);
    const base = { ...options, smoothing: 0.02, hiddenSmoothing: 0.01, epigraphSmoothing: 0.5 };
    const spec = models.initial('conv-icnn', base, { derivativeWeight: 1, hiddenWeight: 0.01 }, { rng, seed: 3, shape });
    const a = 0.1;
    const hidden = models.layout('conv-icnn', base, shape).block('hidden');
    const scaled = {
      ...spec,
      options: { ...spec.options, outputWeight: a, hiddenSmoothing: base.hiddenSmoothing / a },
      theta: spec.theta.map((t, i) => (i >= hidden.offset ? t / a : t)),
    };
    for (let trial = 0; trial < 3; trial++) {
      const x = rng.normalVec(S * S).map((t) => 0.5 + 0.2 * t);
      const r = regularizer(spec, shape, x);
      expect(r).toBeGreaterThan(0);
      expect(Math.abs(regularizer(scaled, shape, x) - r)).toBeLessThan(1e-12 * r);
    }
    // μ_f* = min(ε, ω₁/a): 0.01 at a = 1, min(0.5, 0.1/0.1) = 0.5 at a = 0.1
    expect(models.build(spec, shape).saddle!.fStar.strongConvexity).toBeCloseTo(0.01, 12);
    expect(models.build(scaled, shape).saddle!.fStar.strongConvexity).toBeCloseTo(0.5, 12);
  });

  it('tvWeight start: R_θ(x) is TV of weight λ over D directions in closed form, λ·(π/2D)·Σ_p Σ_k |n_k·∇x_p| up to the hidden smoothing', () => {
    const [H, W] = [7, 9];
    const shape = [1, H, W];
    const rng = Rng.seeded(21);
    const lambda = 0.2;
    const base = { filters: 10, filterSize: 3, hiddenFilterSize: 3, units: 2, slope: 0.2, smoothing: 0, hiddenSmoothing: 1e-4, outputWeight: 0.3 };
    // forward differences with Neumann boundary (the last column / row has ∂ = 0): `Gradient2D`'s, and the symmetric boundary's
    const gradient = (x: Float64Array, i: number, j: number): [number, number] => [
      j + 1 < W ? x[i * W + j + 1]! - x[i * W + j]! : 0,
      i + 1 < H ? x[(i + 1) * W + j]! - x[i * W + j]! : 0,
    ];
    const directions = { 2: [[1, 0], [0, 1]], 4: [[1, 0], [0, 1], [Math.SQRT1_2, Math.SQRT1_2], [Math.SQRT1_2, -Math.SQRT1_2]] };
    for (const D of [2, 4] as const) {
      const spec = models.initial('conv-icnn', base, { derivativeWeight: 0.7, tvWeight: lambda, directions: D, randomScale: 0, pairs: true }, { rng, seed: 5, shape });
      for (let trial = 0; trial < 3; trial++) {
        const x = rng.normalVec(H * W).map((t) => 0.5 + 0.3 * t);
        let anisotropic = 0;
        let closed = 0;
        let isotropic = 0;
        for (let i = 0; i < H; i++) {
          for (let j = 0; j < W; j++) {
            const [gx, gy] = gradient(x, i, j);
            const S = directions[D].reduce((s, [ax, ay]) => s + Math.abs(ax! * gx + ay! * gy), 0);
            anisotropic += ((lambda * Math.PI) / (2 * D)) * S;
            // each of the 2 units: a·h_ω₁(v) with v = c(1 − a)w·S = λ(π/2D)·S/(2a)
            closed += 2 * base.outputWeight * smoothRelu(((lambda * Math.PI) / (2 * D)) * S / (2 * base.outputWeight), base.hiddenSmoothing);
            isotropic += lambda * Math.hypot(gx, gy);
          }
        }
        const r = regularizer(spec, shape, x);
        expect(Math.abs(r - closed)).toBeLessThan(1e-12 * closed);
        // the hidden smoothing shifts each pixel's value by at most Σ_m a_m·ω₁/2
        expect(Math.abs(r - anisotropic)).toBeLessThanOrEqual(2 * base.outputWeight * (base.hiddenSmoothing / 2) * H * W + 1e-12);
        // Σ_k |n_k·g|·π/(2D) over the directions of g: D = 2 in [1, √2]·(π/4)|g|, D = 4 in [1 + √2, 2(cos π/8 + cos 3π/8)]·(π/8)|g| = [0.948, 1.026]|g|
        const [lo, hi] = D === 2 ? [Math.PI / 4, (Math.SQRT2 * Math.PI) / 4] : [((1 + Math.SQRT2) * Math.PI) / 8, (2 * (Math.cos(Math.PI / 8) + Math.cos((3 * Math.PI) / 8)) * Math.PI) / 8];
        expect(anisotropic).toBeGreaterThanOrEqual(lo * isotropic);
        expect(anisotropic).toBeLessThanOrEqual(hi * isotropic);
      }
    }
    // D = 4 needs 8 difference filters; D is 2 or 4
    expect(() => models.initial('conv-icnn', { ...base, filters: 6 }, { derivativeWeight: 1, tvWeight: lambda, directions: 4 }, { rng, seed: 1, shape })).toThrow(/needs filters ≥ 8, got 6/);
    expect(() => models.initial('conv-icnn', base, { derivativeWeight: 1, directions: 3 }, { rng, seed: 1, shape })).toThrow(/directions/);
  });

  it('zeroMean: the projections make every first-layer filter zero-mean (R then ignores constants) and keep W_A ≥ 0; off, the filters keep their mean', () => {
    const shape = [1, 8, 8];
    const rng = Rng.seeded(23);
    const spec = models.initial('conv-icnn', options, { derivativeWeight: 1, hiddenWeight: 0.1 }, { rng, seed: 2, shape });
    const kernels = models.layout('conv-icnn', options, shape).block('kernels');
    // an Adam-like step of +0.01 on every entry: each filter gains a mean, W_A stays ≥ 0
    const stepped = Float64Array.from(spec.theta, (t) => t + 0.01);
    const projected = (zeroMean: boolean) => {
      const theta = Float64Array.from(stepped);
      for (const p of models.build({ ...spec, options: { ...spec.options, zeroMean } }, shape).projections) p(theta);
      return theta;
    };
    const mean = (theta: Float64Array, f: number) => theta.subarray(kernels.offset + 9 * f, kernels.offset + 9 * (f + 1)).reduce((a, b) => a + b, 0) / 9;
    const on = projected(true);
    const off = projected(false);
    for (let f = 0; f < options.filters; f++) {
      expect(Math.abs(mean(on, f))).toBeLessThan(1e-15);
      expect(mean(off, f)).toBeCloseTo(mean(stepped, f), 15);
    }
    const x = rng.normalVec(64).map((t) => 0.5 + 0.2 * t);
    const lifted = x.map((t) => t + 0.3);
    const R = (theta: Float64Array, image: Float64Array) => regularizer({ ...spec, theta: Array.from(theta) }, shape, image);
    expect(Math.abs(R(on, lifted) - R(on, x))).toBeLessThan(1e-12 * R(on, x));
    // without the projection the filters respond to the intensity
    expect(Math.abs(R(off, lifted) - R(off, x))).toBeGreaterThan(1e-3 * R(off, x));
  });

  it('lifts exactly: at z = σ(W₀x + b₀), g(x, z) + f(K(x, z)) = ½‖x − b‖² + R(x) + (γ/2)‖z‖²', () => {
    const S = 8;
    const rng = Rng.seeded(12);
    const target = rng.normalVec(S * S).map((t) => 0.5 + 0.1 * t);
    const degraded = target.map((t) => t + 0.1 * rng.normal());
    const R = network({ shape: [1, S, S], smoothing: 0.05, hiddenSmoothing: 0.05, convBias: [0.1, -0.1, 0.05], hiddenBias: [0.02, -0.03] });
    for (const gamma of [0, 0.3]) {
      const model = new TrainingSet(icnnModel(R, { zWeight: gamma, epigraphSmoothing: 0 }, undefined, 'conv-icnn'), [{ degraded, clean: target }]).saddleModel();
      expectExactLifting(R, model, degraded, gamma, rng.normalVec(S * S));
    }
  });
});

const operatorCases: OperatorCase[] = [
  { name: 'IcnnLiftedOperator 1×5×6, 2 filters 3×3, convolutional hidden 3×3, 3 units', make: () => network({ shape: [1, 5, 6], filters: 2, units: 3, convBias: 0 }).operator },
  { name: 'IcnnLiftedOperator 3×4×4, 2 filters 3×3×3 zero, hidden 5×5 periodic', make: () => network({ shape: [3, 4, 4], filters: 2, boundary: 'zero', hiddenKernelSize: 5, convBias: 0 }).operator },
];

describeOperatorSuite('convolutional ICNN operators', operatorCases);

const functionalCases: FunctionalCase[] = [
  {
    name: 'IcnnRegularizer 1×5×6, convolutional hidden, smoothed (ω₀=ω₁=0.2)',
    make: () => network({ shape: [1, 5, 6], smoothing: 0.2, hiddenSmoothing: 0.2, convBias: 0.05, hiddenBias: [0.1, -0.05] }),
    point: (r, n) => r.normalVec(n).map((t) => 0.5 + 0.3 * t),
  },
];

describeFunctionalSuite('convolutional ICNN regularizer', functionalCases);
