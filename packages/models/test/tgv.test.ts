/**
 * The `tgv` kind (second-order TGV in saddle form over `(x, w)`): its operator in the conformance
 * suite (adjoint, `paramVjp` against central differences, `norm()` ≥ power iteration,
 * `paramVjpBound`), the formula against a direct evaluation, the lifting (the saddle problem's
 * primal value is the TGV value at the minimising `w`, found by a direct minimisation over `w`),
 * the TGV property on an affine image, the training set, and the JSON round trip through the
 * registry. The piggyback hypergradient, its bound and training from a config are tested in
 * `apps/cli/test/tgv.test.ts` (this package may not depend on `@bilevel/hypergrad`).
 */
import { describe, expect, it } from 'vitest';
import { Rng, anyOf, maxIterations, run, shapeSize, tolerance, type LinearOperator, type Shape, type TwiceSmooth, type Vec } from '@bilevel/core';
import type { OperatorCase } from '@bilevel/core/testing';
import { describeOperatorSuite } from '@bilevel/core/testing/vitest';
import { Fista, Pdhg } from '@bilevel/solvers';
import { TrainingSet, modelFromJson, modelToJson, models, saddleReconstruction, type VariationalModel } from '@bilevel/models';

type Options = { huber?: number; auxiliaryWeight?: number; boundary?: 'neumann' | 'periodic' };

const tgvModel = (shape: Shape, alpha1: number, alpha0: number, options: Options = {}): VariationalModel =>
  models.build({ kind: 'tgv', options, theta: [Math.log(alpha1), Math.log(alpha0)] }, shape);

const operatorOf = (shape: Shape, theta: [number, number], boundary: 'neumann' | 'periodic'): LinearOperator =>
  models.build({ kind: 'tgv', options: { boundary }, theta }, shape).saddle!.K;

const operatorCases: OperatorCase[] = [
  { name: 'TGV K_θ(x, w) 1×5×6 Neumann', make: () => operatorOf([1, 5, 6], [Math.log(0.7), Math.log(1.3)], 'neumann') },
  { name: 'TGV K_θ(x, w) 2×4×5 periodic', make: () => operatorOf([2, 4, 5], [0.4, -0.9], 'periodic') },
  { name: 'TGV K_θ(x, w) 1×1×7 (one row)', make: () => operatorOf([1, 1, 7], [-0.2, 0.5], 'neumann') },
  { name: 'TGV K_θ(x, w) 1×6×4 α₀ ≫ α₁', make: () => operatorOf([1, 6, 4], [Math.log(0.05), Math.log(3)], 'neumann') },
];

describeOperatorSuite('TGV operator', operatorCases);

/** The Huber function `t²/2ε` (t ≤ ε), `t − ε/2` (t > ε). */
const huber = (t: number, eps: number): number => (t <= eps ? (t * t) / (2 * eps) : t - eps / 2);

/**
 * `Σ H_ε(α₁|∇x − w|) + Σ H_ε(α₀|Ew|_F)` by explicit loops: forward differences (Neumann: the last
 * one 0; periodic: wrapped), `Ew` the symmetric matrix `[[∂ₓw₁, e], [e, ∂ᵧw₂]]`, `e = ½(∂ᵧw₁ + ∂ₓw₂)`.
 */
function directEnergy(shape: Shape, x: Vec, w: Vec, alpha1: number, alpha0: number, eps: number, periodic: boolean): number {
  const [C, H, W] = shape as [number, number, number];
  const n = C * H * W;
  const at = (v: Vec, o: number, c: number, i: number, j: number): number => v[o + (c * H + i) * W + j]!;
  const dX = (v: Vec, o: number, c: number, i: number, j: number): number =>
    j < W - 1 ? at(v, o, c, i, j + 1) - at(v, o, c, i, j) : periodic ? at(v, o, c, i, 0) - at(v, o, c, i, j) : 0;
  const dY = (v: Vec, o: number, c: number, i: number, j: number): number =>
    i < H - 1 ? at(v, o, c, i + 1, j) - at(v, o, c, i, j) : periodic ? at(v, o, c, 0, j) - at(v, o, c, i, j) : 0;
  let total = 0;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const r1 = dX(x, 0, c, i, j) - at(w, 0, c, i, j);
        const r2 = dY(x, 0, c, i, j) - at(w, n, c, i, j);
        const e11 = dX(w, 0, c, i, j);
        const e22 = dY(w, n, c, i, j);
        const e12 = 0.5 * (dY(w, 0, c, i, j) + dX(w, n, c, i, j));
        total += huber(alpha1 * Math.hypot(r1, r2), eps) + huber(alpha0 * Math.sqrt(e11 * e11 + e22 * e22 + 2 * e12 * e12), eps);
      }
    }
  }
  return total;
}

const concat = (a: Vec, b: Vec): Float64Array => {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

/** `f(K(x, w))`, the saddle form's potential at the lifted point. */
function potential(model: VariationalModel, x: Vec, w: Vec): number {
  const { K, f } = model.saddle!;
  return f!.value(K.apply(concat(x, w), new Float64Array(shapeSize(K.range))));
}

/**
 * `min_w φ(w)`, `φ(w) = f(K(x, w)) + (γ/2)‖w‖²`, by FISTA on `w` alone to `‖w − w*‖ ≤ tol` (`φ` is
 * smooth and γ-strongly convex): `∇φ(w) = [Kᵀ∇f(K(x, w))]_w + γw`.
 */
function minimiseOverW(model: VariationalModel, x: Vec, gamma: number, tol = 1e-12): { w: Float64Array; value: number } {
  const { K, f } = model.saddle!;
  const n = x.length;
  const m = shapeSize(K.range);
  const u = new Float64Array(m);
  const du = new Float64Array(m);
  const back = new Float64Array(3 * n);
  const normK = K.norm!().value;
  const phi: TwiceSmooth = {
    shape: [2 * n],
    strongConvexity: gamma,
    lipschitz: normK * normK * f!.lipschitz + gamma,
    value: (w) => potential(model, x, w) + (gamma / 2) * w.reduce((s, t) => s + t * t, 0),
    gradient(w, out) {
      K.apply(concat(x, w), u);
      f!.gradient(u, du);
      K.adjoint(du, back);
      for (let i = 0; i < 2 * n; i++) out[i] = back[n + i]! + gamma * w[i]!;
      return out;
    },
    hvp: () => {
      throw new Error('not needed');
    },
  };
  const fista = new Fista();
  const state = fista.init({ h: phi }, { x: new Float64Array(2 * n) });
  const r = run(fista, state, { stop: anyOf(tolerance(tol), maxIterations(200_000)) });
  expect(r.reason).toBe('converged');
  return { w: Float64Array.from(state.x), value: phi.value(state.x) };
}

describe('tgv: the formula', () => {
  for (const [shape, periodic] of [
    [[1, 5, 6], false],
    [[2, 4, 3], true],
  ] as const) {
    it(`f(K(x, w)) = Σ H_ε(α₁|∇x − w|) + Σ H_ε(α₀|Ew|_F) by direct evaluation (${shape.join('×')}, ${periodic ? 'periodic' : 'Neumann'})`, () => {
      const rng = Rng.seeded(4);
      const n = shapeSize(shape);
      const model = tgvModel(shape, 0.7, 1.9, { huber: 0.3, boundary: periodic ? 'periodic' : 'neumann' });
      for (let k = 0; k < 3; k++) {
        // scaled so that both pieces of the Huber function occur
        const x = rng.normalVec(n).map((t) => 0.4 * t);
        const w = rng.normalVec(2 * n).map((t) => 0.3 * t);
        const direct = directEnergy(shape, x, w, 0.7, 1.9, 0.3, periodic);
        expect(potential(model, x, w)).toBeCloseTo(direct, 12);
      }
    });
  }
});

describe('tgv: the lifted saddle problem', () => {
  const shape: Shape = [1, 6, 7];
  const n = shapeSize(shape);
  const gamma = 0.05;
  const rng = Rng.seeded(11);
  // a ramp with an edge, plus noise
  const b = Float64Array.from({ length: n }, (_, p) => 0.05 * (p % 7) + (Math.floor(p / 7) >= 3 ? 0.4 : 0) + 0.05 * rng.normal());
  const model = tgvModel(shape, 0.15, 0.3, { huber: 0.01, auxiliaryWeight: gamma });

  it('its primal value at the PDHG solution is ½‖x̂ − b‖² + TGV(x̂) with the minimising w (direct minimisation over w), and x̂ minimises ½‖x − b‖² + TGV(x)', () => {
    const { problem, x0, image } = saddleReconstruction(model, { degraded: b });
    expect(x0.length).toBe(3 * n);
    expect([...x0.subarray(n)].every((t) => t === 0)).toBe(true);
    const pdhg = new Pdhg({ gap: false });
    const state = pdhg.init(problem, { x: x0 });
    const r = run(pdhg, state, { stop: anyOf(tolerance(1e-11), maxIterations(200_000)), certificateEvery: 10 });
    expect(r.reason).toBe('converged');
    const x = Float64Array.from(image(state.x));
    const wHat = state.x.subarray(n);
    const fit = (z: Vec): number => 0.5 * z.reduce((s, t, i) => s + (t - b[i]!) ** 2, 0);

    const direct = minimiseOverW(model, x, gamma);
    let dw = 0;
    for (let i = 0; i < 2 * n; i++) dw = Math.max(dw, Math.abs(direct.w[i]! - wHat[i]!));
    expect(dw).toBeLessThan(1e-8);
    const primal = problem.g.value(state.x) + potential(model, x, wHat);
    expect(primal).toBeCloseTo(fit(x) + direct.value, 12);
    // the regularizer is active: the solution is far from b, and w is not 0
    expect(Math.sqrt(2 * fit(x))).toBeGreaterThan(0.1);
    expect(direct.w.reduce((s, t) => s + t * t, 0)).toBeGreaterThan(1e-3);

    // x̂ minimises the reduced objective J(x) = ½‖x − b‖² + min_w φ_x(w) (1-strongly convex)
    const J = (z: Vec): number => fit(z) + minimiseOverW(model, z, gamma).value;
    const J0 = fit(x) + direct.value;
    const h = 1e-3;
    for (let k = 0; k < 3; k++) {
      const d = rng.normalVec(n);
      const norm = Math.sqrt(d.reduce((s, t) => s + t * t, 0));
      for (const s of [h, -h]) {
        const moved = J(x.map((t, i) => t + (s * d[i]!) / norm));
        expect(moved - J0).toBeGreaterThan(0.4 * h * h); // ≥ ½h² up to the solve accuracy
      }
    }
  });

  it('charges an affine image only at the boundary (TGV), far less than its Huber-TV value', () => {
    const s: Shape = [1, 10, 10];
    const ramp = Float64Array.from({ length: 100 }, (_, p) => 0.05 * (p % 10));
    const m = tgvModel(s, 1, 1, { huber: 0.01, auxiliaryWeight: 0.01 });
    const tgvValue = minimiseOverW(m, ramp, 0.01, 1e-8).value;
    const tvValue = potential(m, ramp, new Float64Array(200)); // w = 0: Σ H_ε(α₁|∇x|)
    expect(tvValue).toBeCloseTo(90 * (0.05 - 0.005), 10); // 9 differences of 0.05 in each of 10 rows
    expect(tgvValue).toBeLessThan(0.15 * tvValue);
  });
});

describe('tgv: the model', () => {
  it('round-trips through its JSON and the registry bit for bit, and rebuilds the same operator', () => {
    const shape: Shape = [1, 6, 5];
    const spec = models.initial('tgv', { huber: 0.003, auxiliaryWeight: 0.2, boundary: 'periodic' }, { logAlpha1: 0.1 + 0.2, logAlpha0: -1 / 3 }, { rng: Rng.seeded(0), seed: 0, shape });
    expect(spec.theta).toEqual([0.1 + 0.2, -1 / 3]);
    const back = modelFromJson(modelToJson(spec));
    const a = models.build(spec, shape);
    const b = models.build(back, shape);
    expect(Float64Array.from(b.params)).toEqual(Float64Array.from(spec.theta));
    expect(b.spec()).toEqual(spec);
    expect(b.paramNames()).toEqual(['log_alpha1', 'log_alpha0']);
    const v = Rng.seeded(2).normalVec(90);
    const ka = a.saddle!.K.apply(v, new Float64Array(150));
    const kb = b.saddle!.K.apply(v, new Float64Array(150));
    expect(kb).toEqual(ka);
    expect(models.report(spec)).toEqual({ 'α₁ = e^θ₀ (first order)': Math.exp(0.1 + 0.2), 'α₀ = e^θ₁ (second order)': Math.exp(-1 / 3), 'α₀/α₁': Math.exp(-1 / 3) / Math.exp(0.1 + 0.2) });
  });

  it('gives a trainable saddle model with strongly convex g and f*, image-only targets and its θ', () => {
    const shape: Shape = [1, 4, 4];
    const model = tgvModel(shape, 0.1, 0.2, { huber: 0.004, auxiliaryWeight: 0.3 });
    const clean = Float64Array.from({ length: 16 }, (_, p) => p / 16);
    const set = new TrainingSet(model, [{ clean, degraded: clean.map((t, i) => t + 0.01 * Math.cos(i)) }]);
    const saddle = set.saddleModel();
    const s = saddle.sample(0);
    expect(s.g.strongConvexity).toBeCloseTo(0.3, 14); // (√γ)²
    expect(saddle.fStar.strongConvexity).toBe(0.004);
    expect(s.target.subarray(0, 16)).toEqual(clean);
    expect([...s.target.subarray(16)].every(Number.isNaN)).toBe(true);
    expect([...saddle.params]).toEqual([Math.log(0.1), Math.log(0.2)]);
    expect(saddle.K.paramVjpBound!()).toBeGreaterThan(0);
    // the dual term keeps the capabilities of the Lemma 3 certificates
    expect(typeof saddle.fStar.hvpInverse).toBe('function');
  });

  it('refuses bad options with messages naming them', () => {
    expect(() => models.options('tgv', { huber: 0 })).toThrow(/huber/);
    expect(() => models.options('tgv', { auxiliaryWeight: -1 })).toThrow(/auxiliaryWeight/);
    expect(() => models.options('tgv', { mode: 'anisotropic' })).toThrow(/mode/);
    expect(() => models.initial('tgv', {}, { logAlpha0: 800 }, { rng: Rng.seeded(0), seed: 0, shape: [1, 4, 4] })).toThrow(/logAlpha0/);
  });
});
