/**
 * The float64 reference backend: primitives against `@bilevel/operators` / `@bilevel/prox` and
 * their defining identities, the saddle iteration against `@bilevel/solvers`' PDHG, the
 * piggyback hypergradient against central finite differences, exact resumption and validation.
 */
import { Rng, ShapeError, ValidationError } from '@bilevel/core';
import {
  DisposedError,
  ReferenceBackend,
  operatorNorm,
  saddleHypergradient,
  saddleSteps,
  type SaddleFilterBank,
  type SaddleSpec,
} from '@bilevel/kernels';
import { ConvFilterBank, Gradient2D, withNorm } from '@bilevel/operators';
import { HuberConjugate, QuadraticFidelity } from '@bilevel/prox';
import { Pdhg } from '@bilevel/solvers';
import { describe, expect, it } from 'vitest';
import { relativeDistance } from '@bilevel/core/testing';
import { dot, expectGradientIntoOut, infNorm, maxScaledError, problem, randomBank } from './helpers.js';

const ref = new ReferenceBackend();
const H = 9;
const W = 11;
const n = H * W;
const grid = { height: H, width: W };
const rng = Rng.seeded(42);

describe('reference primitives', () => {
  it('gradient and divergence match Gradient2D (Neumann) and are adjoint', async () => {
    const D = new Gradient2D({ channels: 1, height: H, width: W });
    const x = rng.normalVec(n);
    const p = rng.normalVec(2 * n);
    const dx = await ref.gradient(x, grid);
    expect(maxScaledError(dx, D.apply(x, new Float64Array(2 * n)), () => 1)).toBeLessThan(1e-14);
    const div = await ref.divergence(p, grid);
    const dtp = D.adjoint(p, new Float64Array(n));
    expect(maxScaledError(div, dtp.map((v) => -v), () => 1)).toBeLessThan(1e-14);
    expect(Math.abs(dot(dx, p) + dot(x, div))).toBeLessThan(1e-12 * Math.sqrt(dot(dx, dx) * dot(p, p)));
  });

  it('handles one-row and one-column images', async () => {
    for (const g of [{ height: 1, width: 5 }, { height: 4, width: 1 }, { height: 1, width: 1 }]) {
      const m = g.height * g.width;
      const D = new Gradient2D({ channels: 1, ...g });
      const x = rng.normalVec(m);
      const p = rng.normalVec(2 * m);
      expect(maxScaledError(await ref.gradient(x, g), D.apply(x, new Float64Array(2 * m)), () => 1)).toBe(0);
      expect(maxScaledError(await ref.divergence(p, g), D.adjoint(p, new Float64Array(m)).map((v) => -v), () => 1)).toBeLessThan(1e-15);
    }
  });

  for (const boundary of ['zero', 'periodic'] as const) {
    it(`filter bank (${boundary}) matches ConvFilterBank: apply, adjoint, parameter correlation`, async () => {
      for (const k of [1, 3, 5]) {
        const bank = randomBank(3, k, boundary, k);
        const op = new ConvFilterBank({ inChannels: 1, outChannels: 3, height: H, width: W, kernelSize: k, boundary, kernels: bank.kernels });
        const x = rng.normalVec(n);
        const y = rng.normalVec(3 * n);
        const kx = await ref.filterApply(x, grid, bank);
        expect(maxScaledError(kx, op.apply(x, new Float64Array(3 * n)), () => 1)).toBeLessThan(1e-13);
        const kty = await ref.filterAdjoint(y, grid, bank);
        expect(maxScaledError(kty, op.adjoint(y, new Float64Array(n)), () => 1)).toBeLessThan(1e-13);
        const g = await ref.filterParamGrad(x, y, grid, bank);
        const g2 = new Float64Array(bank.kernels.length);
        op.paramVjp(x, y, g2);
        expect(maxScaledError(g, g2, () => 1)).toBeLessThan(1e-12);
        // ⟨K_k x, y⟩ is linear in k, so it equals ⟨k, ∇_k⟩ exactly
        expect(Math.abs(dot(kx, y) - dot(bank.kernels, g))).toBeLessThan(1e-12 * infNorm(g) * bank.kernels.length);
      }
    });
  }

  it('quadratic prox and its Jacobian match QuadraticFidelity', async () => {
    const v = rng.normalVec(n);
    const b = rng.normalVec(n);
    const dv = rng.normalVec(n);
    const g = new QuadraticFidelity({ shape: [n], data: b });
    expect(maxScaledError(await ref.proxQuadratic(v, b, 0.7), g.prox(v, 0.7, new Float64Array(n)), () => 1)).toBeLessThan(1e-15);
    expect(maxScaledError(await ref.proxQuadraticJvp(dv, 0.7), g.proxJvp(v, 0.7, dv, new Float64Array(n)), () => 1)).toBeLessThan(1e-15);
  });

  for (const isotropic of [false, true]) {
    it(`Huber-conjugate prox and Jacobian (${isotropic ? 'isotropic' : 'anisotropic'}) match HuberConjugate and finite differences`, async () => {
      const C = 3;
      const o = { sigma: 0.8, alpha: 0.9, epsilon: 0.05, isotropic, channels: C };
      const f = new HuberConjugate({ shape: [C, n], groupSize: isotropic ? C : 1, alpha: o.alpha, epsilon: o.epsilon });
      const w = rng.normalVec(C * n);
      const dw = rng.normalVec(C * n);
      const p = await ref.proxHuberConj(w, o);
      expect(maxScaledError(p, f.prox(w, o.sigma, new Float64Array(C * n)), () => 1)).toBeLessThan(1e-14);
      const j = await ref.proxHuberConjJvp(w, dw, o);
      expect(maxScaledError(j, f.proxJvp(w, o.sigma, dw, new Float64Array(C * n)), () => 1)).toBeLessThan(1e-13);
      const h = 1e-6;
      const fp = await ref.proxHuberConj(w.map((v, i) => v + h * dw[i]!), o);
      const fm = await ref.proxHuberConj(w.map((v, i) => v - h * dw[i]!), o);
      const fd = fp.map((v, i) => (v - fm[i]!) / (2 * h));
      // a kink between w ± h·dw makes the difference quotient meaningless there: skip those entries
      const kappa = 1 / (1 + (o.sigma * o.epsilon) / o.alpha);
      const nearKink = (i: number): boolean => {
        if (!isotropic) return Math.abs(Math.abs(kappa * w[i]!) - o.alpha) < 1e-4;
        const q = i % n;
        let s = 0;
        for (let c = 0; c < C; c++) s += (kappa * w[c * n + q]!) ** 2;
        return Math.abs(Math.sqrt(s) - o.alpha) < 1e-4;
      };
      expect(maxScaledError(j, fd, (i) => (nearKink(i) ? Infinity : 1))).toBeLessThan(1e-7);
    });
  }

  it('axpby, dot and sum of squares', async () => {
    const x = rng.normalVec(n);
    const y = rng.normalVec(n);
    const z = await ref.axpby(2, x, -3, y);
    expect(maxScaledError(z, x.map((v, i) => 2 * v - 3 * y[i]!), () => 1)).toBe(0);
    expect(await ref.dot(x, y)).toBeCloseTo(dot(x, y), 12);
    expect(await ref.sumOfSquares(x)).toBeCloseTo(dot(x, x), 12);
  });

  it('writes into out and leaves inputs untouched', async () => {
    const x = rng.normalVec(n);
    await expectGradientIntoOut(ref, x, grid);
    await expect(ref.gradient(x, grid, new Float64Array(3))).rejects.toThrow(ShapeError);
  });
});

describe('reference saddle solve', () => {
  it('matches the PDHG of @bilevel/solvers with the same CP-2011 Algorithm 3 steps', async () => {
    for (const isotropic of [false, true]) {
      const spec = problem(H, W, { kind: 'gradient' }, isotropic, 3);
      const steps = saddleSteps(spec);
      const r = await ref.runSaddle(spec, steps, { iterations: 60, piggyback: false });
      const pdhg = new Pdhg({ scheme: 'linear', muG: 1, muFStar: spec.epsilon / spec.alpha, nuMax: 1, gap: false });
      const state = pdhg.init({
        K: withNorm(new Gradient2D({ channels: 1, height: H, width: W }), { value: operatorNorm(spec), kind: 'upper-bound' }),
        g: new QuadraticFidelity({ shape: [1, H, W], data: spec.data }),
        fStar: new HuberConjugate({ shape: [2, 1, H, W], groupSize: isotropic ? 2 : 1, alpha: spec.alpha, epsilon: spec.epsilon }),
      });
      expect(state.tau).toBeCloseTo(steps.tau, 14);
      expect(state.sigma).toBeCloseTo(steps.sigma, 14);
      for (let k = 0; k < 60; k++) pdhg.step(state);
      expect(maxScaledError(r.x, state.x, () => 1)).toBeLessThan(1e-12);
      expect(maxScaledError(r.y, state.y, () => 1)).toBeLessThan(1e-12);
    }
  });

  const cases: { name: string; op: SaddleSpec['operator'] }[] = [
    { name: 'filters zero', op: { kind: 'filters', ...randomBank(2, 3, 'zero', 5) } },
    { name: 'filters periodic', op: { kind: 'filters', ...randomBank(2, 3, 'periodic', 6) } },
  ];
  for (const { name, op } of cases) {
    for (const isotropic of [false, true]) {
      it(`piggyback hypergradient = central finite differences of the loss (${name}, ${isotropic ? 'iso' : 'aniso'})`, async () => {
        const bank = op as SaddleFilterBank & { kind: 'filters' };
        const mk = (kernels: Float64Array): SaddleSpec => ({ ...problem(8, 7, { ...bank, kernels }, isotropic, 9, 0.05, 0.02) });
        const solve = async (s: SaddleSpec) => ref.runSaddle(s, saddleSteps(s), { iterations: 1500 });
        const r = await solve(mk(bank.kernels));
        const g = saddleHypergradient(mk(bank.kernels), r);
        const h = 1e-5;
        for (const t of [0, 4, 13]) {
          const kp = bank.kernels.slice();
          const km = bank.kernels.slice();
          kp[t] = kp[t]! + h;
          km[t] = km[t]! - h;
          const fd = ((await solve(mk(kp))).loss! - (await solve(mk(km))).loss!) / (2 * h);
          expect(Math.abs(fd - g[t]!)).toBeLessThan(1e-6 * Math.max(1, Math.abs(g[t]!)));
        }
      });
    }
  }

  it('gradient-weight hypergradient: d/ds L(K = sD) = g_x + g_y (via α Huber_ε(s·) = sα Huber_{ε/s})', async () => {
    for (const isotropic of [false, true]) {
      const mk = (s: number): SaddleSpec => problem(8, 7, { kind: 'gradient' }, isotropic, 9, 0.05 * s, 0.02 / s);
      const solve = async (spec: SaddleSpec) => ref.runSaddle(spec, saddleSteps(spec), { iterations: 1500 });
      const g = saddleHypergradient(mk(1), await solve(mk(1)));
      const h = 1e-5;
      const fd = ((await solve(mk(1 + h))).loss! - (await solve(mk(1 - h))).loss!) / (2 * h);
      expect(Math.abs(fd - (g[0]! + g[1]!))).toBeLessThan(1e-6 * Math.abs(fd));
    }
  });

  it('a chunked run (warm = previous result) reproduces an uninterrupted run exactly', async () => {
    for (const op of [{ kind: 'gradient' as const }, { kind: 'filters' as const, ...randomBank(2, 3, 'zero', 7) }]) {
      const spec = problem(H, W, op, true, 4);
      const steps = saddleSteps(spec);
      const whole = await ref.runSaddle(spec, steps, { iterations: 30 });
      const half = await ref.runSaddle(spec, steps, { iterations: 17 });
      const rest = await ref.runSaddle(spec, steps, { iterations: 13, warm: half });
      for (const key of ['x', 'y', 'X', 'Y', 'xPrev', 'XPrev'] as const) expect(rest[key]).toEqual(whole[key]);
      expect(rest.loss).toBe(whole.loss);
    }
  });

  it('without piggyback returns X, Y as given and computes x, y as with it', async () => {
    const spec = problem(H, W, { kind: 'gradient' }, false, 4);
    const steps = saddleSteps(spec);
    const a = await ref.runSaddle(spec, steps, { iterations: 20 });
    const b = await ref.runSaddle(spec, steps, { iterations: 20, piggyback: false });
    expect(b.x).toEqual(a.x);
    expect(b.y).toEqual(a.y);
    expect(b.X).toEqual(new Float64Array(n));
    expect(a.piggyback).toBe(true);
    expect(b.piggyback).toBe(false);
    expect(relativeDistance(a.X, b.X)).toBeGreaterThan(0);
  });
});

describe('validation', () => {
  const spec = problem(H, W, { kind: 'gradient' }, false);
  const steps = saddleSteps(spec);
  it('rejects bad specs, steps and options with messages naming the option', async () => {
    await expect(ref.runSaddle({ ...spec, alpha: 0 }, steps, { iterations: 1 })).rejects.toThrow(/alpha/);
    await expect(ref.runSaddle({ ...spec, data: new Float64Array(3) }, steps, { iterations: 1 })).rejects.toThrow(ShapeError);
    await expect(ref.runSaddle({ ...spec, operator: { kind: 'filters', ...randomBank(1, 2, 'zero', 1) } }, steps, { iterations: 1 })).rejects.toThrow(/odd/);
    await expect(ref.runSaddle({ ...spec, operator: { kind: 'filters', ...randomBank(1, 19, 'zero', 1) } }, steps, { iterations: 1 })).rejects.toThrow(/wider/);
    await expect(ref.runSaddle(spec, { ...steps, tau: 10 }, { iterations: 1 })).rejects.toThrow(/τσ‖K‖²/);
    await expect(ref.runSaddle(spec, steps, { iterations: 0 })).rejects.toThrow(ValidationError);
    await expect(ref.runSaddle({ ...spec, target: undefined }, steps, { iterations: 1, piggyback: true })).rejects.toThrow(/target/);
    await expect(ref.runSaddle(spec, steps, { iterations: 1, warm: { x: new Float64Array(2) } })).rejects.toThrow(/warm\.x/);
    await expect(ref.runSaddle(spec, steps, { iterations: 1, warm: { y: [1, 2] } as never })).rejects.toThrow(/warm\.y must be a Float64Array/);
    await expect(ref.proxHuberConj(new Float64Array(5), { sigma: 1, alpha: 1, epsilon: 0, isotropic: true, channels: 2 })).rejects.toThrow(/multiple/);
  });

  it('rejects calls after dispose', async () => {
    const b = new ReferenceBackend();
    await b.dispose();
    expect(b.disposed).toBe(true);
    await expect(b.dot(new Float64Array(1), new Float64Array(1))).rejects.toThrow(DisposedError);
  });
});
