/**
 * Closed-form spot checks against the formulas of docs/math/piggyback.md#prox-jacobians and
 * docs/math/certificates.md, min-norm subgradients
 * (certificates), aliasing of `proxJvp`, and validation messages.
 */
import { describe, expect, it } from 'vitest';
import { ConvergenceError, Rng, ValidationError, type Vec } from '@bilevel/core';
import {
  Box,
  GroupHuber,
  GroupL21,
  Huber,
  HuberConjugate,
  L1,
  L2,
  L2InfBall,
  QuadraticFidelity,
  scale,
  SeparableSum,
  SmoothAbs,
  SquaredL2,
} from '@bilevel/prox';
import { groupPoint, randomMatrix, uniformVec } from './helpers.js';

const rng = Rng.seeded(11);
const S = [2, 3, 4];
const n = 24;
const N2 = 12; // groups of the isotropic layout

function maxAbsDiff(a: Vec, b: Vec): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('Huber conjugate: the prox Jacobian table (docs/math/piggyback.md#prox-jacobians)', () => {
  const alpha = 0.3;
  const eps = 0.1;
  const sigma = 0.8;
  const k = 1 + (sigma * eps) / alpha;

  it('anisotropic: p = clip(w/(1 + σε/α), ±α), Jacobian u/(1 + σε/α) unclipped, 0 clipped', () => {
    const f = new HuberConjugate({ shape: S, alpha, epsilon: eps });
    const w = rng.normalVec(n).map((t) => 0.5 * t);
    const u = rng.normalVec(n);
    const p = f.prox(w, sigma, new Float64Array(n));
    const J = f.proxJvp(w, sigma, u, new Float64Array(n));
    let active = 0;
    for (let i = 0; i < n; i++) {
      const q = w[i]! / k;
      expect(p[i]).toBeCloseTo(Math.min(alpha, Math.max(-alpha, q)), 15);
      const clipped = Math.abs(q) > alpha;
      active += clipped ? 1 : 0;
      expect(J[i]).toBeCloseTo(clipped ? 0 : u[i]! / k, 15);
    }
    expect(active).toBeGreaterThan(0);
    expect(active).toBeLessThan(n);
  });

  it('isotropic: q = w/(1 + σε/α), p = q·min(1, α/‖q‖); active Jacobian (α/‖q‖)(u − q⟨q,u⟩/‖q‖²)/(1 + σε/α)', () => {
    const f = new HuberConjugate({ shape: S, groupSize: 2, alpha, epsilon: eps });
    const w = groupPoint(rng, n, 2, 0.05, 0.7);
    const u = rng.normalVec(n);
    const p = f.prox(w, sigma, new Float64Array(n));
    const J = f.proxJvp(w, sigma, u, new Float64Array(n));
    let active = 0;
    for (let j = 0; j < N2; j++) {
      const q = [w[j]! / k, w[j + N2]! / k];
      const uq = [u[j]!, u[j + N2]!];
      const r = Math.hypot(q[0]!, q[1]!);
      const s = Math.min(1, alpha / r);
      expect(p[j]).toBeCloseTo(q[0]! * s, 15);
      expect(p[j + N2]).toBeCloseTo(q[1]! * s, 15);
      if (r > alpha) {
        active++;
        const d = (q[0]! * uq[0]! + q[1]! * uq[1]!) / (r * r);
        expect(J[j]).toBeCloseTo(((alpha / r) * (uq[0]! - q[0]! * d)) / k, 14);
        expect(J[j + N2]).toBeCloseTo(((alpha / r) * (uq[1]! - q[1]! * d)) / k, 14);
      } else {
        expect(J[j]).toBeCloseTo(uq[0]! / k, 15);
      }
    }
    expect(active).toBeGreaterThan(0);
    expect(active).toBeLessThan(N2);
  });

  it('conjugate is α·Huber_ε with ∇f(t) = αt/max(ε, |t|) (docs/math/certificates.md#generalised-hessian-at-the-pair)', () => {
    const f = new HuberConjugate({ shape: S, alpha, epsilon: eps }).conjugate();
    expect(f).toBeInstanceOf(GroupHuber);
    const t = rng.normalVec(n).map((v) => 0.2 * v);
    const g = f.gradient(t, new Float64Array(n));
    for (let i = 0; i < n; i++) expect(g[i]).toBeCloseTo((alpha * t[i]!) / Math.max(eps, Math.abs(t[i]!)), 15);
    expect(new HuberConjugate({ shape: S, alpha, epsilon: eps }).strongConvexity).toBeCloseTo(eps / alpha, 15);
    expect(f.lipschitz).toBeCloseTo(alpha / eps, 14);
  });
});

describe('elementary closed forms', () => {
  it('L1: soft-thresholding; L2: block shrinkage of the whole vector', () => {
    const v = rng.normalVec(n);
    const p = new L1({ shape: S, weight: 0.4 }).prox(v, 0.5, new Float64Array(n));
    for (let i = 0; i < n; i++) expect(p[i]).toBeCloseTo(Math.sign(v[i]!) * Math.max(0, Math.abs(v[i]!) - 0.2), 15);
    const q = new L2({ shape: S, weight: 0.4 }).prox(v, 0.5, new Float64Array(n));
    const r = Math.hypot(...v);
    for (let i = 0; i < n; i++) expect(q[i]).toBeCloseTo(v[i]! * (1 - 0.2 / r), 15);
  });

  it('SmoothAbs prox solves p + τλ p/√(p² + ν²) = v', () => {
    const f = new SmoothAbs({ shape: S, weight: 0.7, nu: 0.05 });
    const v = rng.normalVec(n);
    const p = f.prox(v, 1.3, new Float64Array(n));
    for (let i = 0; i < n; i++) expect(p[i]! + (1.3 * 0.7 * p[i]!) / Math.hypot(p[i]!, 0.05) - v[i]!).toBeCloseTo(0, 13);
  });

  it('QuadraticFidelity mask: prox (v + τMb)/(1 + τ(M + μ)), ∇g* = (M + μ)⁻¹(w + Mb) (docs/math/piggyback.md#prox-jacobians)', () => {
    const b = uniformVec(1, n, -1, 1);
    const M = uniformVec(2, n, 0, 1).map((t) => (t < 0.5 ? 1 : 0));
    const g = new QuadraticFidelity({ shape: S, data: b, mask: M, mu: 0.1 });
    const v = rng.normalVec(n);
    const p = g.prox(v, 0.6, new Float64Array(n));
    const gs = g.conjugate().gradient(v, new Float64Array(n));
    for (let i = 0; i < n; i++) {
      expect(p[i]).toBeCloseTo((v[i]! + 0.6 * M[i]! * b[i]!) / (1 + 0.6 * (M[i]! + 0.1)), 15);
      expect(gs[i]).toBeCloseTo((v[i]! + M[i]! * b[i]!) / (M[i]! + 0.1), 14);
    }
  });

  it('QuadraticFidelity: ∇g* inverts ∇g (identity, diagonal, general A by CG)', () => {
    const make = [
      () => new QuadraticFidelity({ shape: S, data: uniformVec(3, n, -1, 1) }),
      () => new QuadraticFidelity({ shape: S, data: uniformVec(3, n, -1, 1), diagonal: uniformVec(4, n, 0.5, 2) }),
      () => new QuadraticFidelity({ shape: S, data: uniformVec(3, 30, -1, 1), operator: randomMatrix(30, n, 5, S), mu: 0.2, cg: { tol: 1e-14 } }),
    ];
    for (const mk of make) {
      const g = mk();
      const x = rng.normalVec(n);
      const back = g.conjugate().gradient(g.gradient(x, new Float64Array(n)), new Float64Array(n));
      expect(maxAbsDiff(back, x)).toBeLessThan(1e-11);
    }
  });

  it('QuadraticFidelity general A: prox satisfies (I + τAᵀA)p = v + τAᵀb; CG failures throw', () => {
    const A = randomMatrix(30, n, 6, S);
    const b = uniformVec(7, 30, -1, 1);
    const g = new QuadraticFidelity({ shape: S, data: b, operator: A, cg: { tol: 1e-13 } });
    const v = rng.normalVec(n);
    const p = g.prox(v, 2, new Float64Array(n));
    const lhs = g.hvp(p, p, new Float64Array(n)).map((t, i) => p[i]! + 2 * t);
    const Atb = A.adjoint(b, new Float64Array(n));
    expect(maxAbsDiff(lhs, v.map((t, i) => t + 2 * Atb[i]!))).toBeLessThan(1e-11);
    expect(g.cgIterations).toBeGreaterThan(0);
    const tight = new QuadraticFidelity({ shape: S, data: b, operator: A, cg: { tol: 1e-14, maxIter: 2 } });
    expect(() => tight.prox(v, 2, new Float64Array(n))).toThrow(ConvergenceError);
    expect(new QuadraticFidelity({ shape: S, data: b, operator: A }).conjugate).toBeUndefined();
  });
});

describe('min-norm subgradients (docs/math/certificates.md#min-norm-subgradients)', () => {
  it('L2InfBall: interior → shift; sphere → shift + λ*y with λ* = max(0, −⟨shift,y⟩/‖y‖²); outside → ∞', () => {
    const f = new L2InfBall({ shape: [2, 3], groupSize: 2, radius: 1 });
    // groups: (y0, y3), (y1, y4), (y2, y5)
    const y = Float64Array.from([0.3, 0.6, 3, 0.4, 0.8, 0]); // interior, sphere, outside
    const shift = Float64Array.from([1, -0.6, 0, 2, -0.8, 1]); // on the sphere: inward (−y)
    const out = f.minNormSubgradient(y, shift, new Float64Array(6));
    expect([out[0], out[3]]).toEqual([1, 2]);
    expect(out[1]).toBeCloseTo(0, 15);
    expect(out[4]).toBeCloseTo(0, 15);
    expect(out[2]).toBe(Infinity);
    const outward = f.minNormSubgradient(y, Float64Array.from([0, 0.6, 0, 0, 0.8, 0]), new Float64Array(6));
    expect(outward[1]).toBeCloseTo(0.6, 15);
    // tangential + inward part: the normal component is removed
    const mixed = f.minNormSubgradient(y, Float64Array.from([0, -0.6 + 0.8, 0, 0, -0.8 - 0.6, 0]), new Float64Array(6));
    expect(mixed[1]).toBeCloseTo(0.8, 14);
    expect(mixed[4]).toBeCloseTo(-0.6, 14);
  });

  it('HuberConjugate: min-norm element is minimal among shift + (ε/α)y + λy, λ ≥ 0, at the boundary', () => {
    const f = new HuberConjugate({ shape: [2, 5], groupSize: 2, alpha: 0.5, epsilon: 0.2 });
    const y = f.prox(rng.normalVec(10).map((t) => 2 * t), 0.3, new Float64Array(10));
    const shift = rng.normalVec(10);
    const out = f.minNormSubgradient(y, shift, new Float64Array(10));
    for (let j = 0; j < 5; j++) {
      const yj = [y[j]!, y[j + 5]!];
      const base = [shift[j]! + 0.4 * yj[0]!, shift[j + 5]! + 0.4 * yj[1]!];
      const onSphere = Math.abs(Math.hypot(...yj) - 0.5) < 1e-12;
      let best = Math.hypot(...base);
      if (onSphere) for (let l = 0; l <= 2000; l++) best = Math.min(best, Math.hypot(base[0]! + (l / 100) * yj[0]!, base[1]! + (l / 100) * yj[1]!));
      expect(Math.hypot(out[j]!, out[j + 5]!)).toBeLessThanOrEqual(best + 1e-12);
      expect(Math.hypot(out[j]!, out[j + 5]!)).toBeGreaterThan(best - 1e-3);
    }
  });

  it('GroupL21 at x_j = 0: shift minus its projection onto the λ-ball', () => {
    const f = new GroupL21({ shape: [2, 2], groupSize: 2, weight: 0.5 });
    const out = f.minNormSubgradient(new Float64Array(4), Float64Array.from([0.3, 0.6, 0.4, 0.8]), new Float64Array(4));
    expect(out[0]).toBeCloseTo(0, 15);
    expect(out[2]).toBeCloseTo(0, 15);
    expect(out[1]).toBeCloseTo(0.6 * 0.5, 15);
    expect(out[3]).toBeCloseTo(0.8 * 0.5, 15);
  });

  it('Box: shift inside, max(shift, 0) on the upper bound, min(shift, 0) on the lower bound', () => {
    const f = new Box({ shape: [4], lower: -1, upper: 1 });
    const out = f.minNormSubgradient(Float64Array.from([0, 1, -1, 2]), Float64Array.from([-3, -3, -3, 0]), new Float64Array(4));
    expect(Array.from(out)).toEqual([-3, 0, -3, Infinity]);
  });
});

describe('aliasing and side effects', () => {
  it('proxJvp allows out === dv and does not mutate v', () => {
    const fs = [
      new HuberConjugate({ shape: S, groupSize: 2, alpha: 0.3, epsilon: 0.1 }),
      new GroupHuber({ shape: S, groupSize: 2 }),
      new SmoothAbs({ shape: S, groupSize: 2, weight: 0.5, nu: 0.2 }),
      new L1({ shape: S, weight: 0.3 }),
      scale(new Huber({ shape: S }), 2),
      new SeparableSum([new L1({ shape: [10] }), new SquaredL2({ shape: [14] })]),
      new QuadraticFidelity({ shape: S, data: uniformVec(8, 30, -1, 1), operator: randomMatrix(30, n, 9, S) }),
    ];
    for (const f of fs) {
      const v = rng.normalVec(n);
      const v0 = Float64Array.from(v);
      const dv = rng.normalVec(n);
      const separate = f.proxJvp(v, 0.7, dv, new Float64Array(n));
      f.proxJvp(v, 0.7, dv, dv);
      expect(maxAbsDiff(separate, dv)).toBeLessThan(1e-12);
      expect(Array.from(v)).toEqual(Array.from(v0));
    }
  });
});

describe('validation', () => {
  it('rejects bad options with messages naming the option', () => {
    expect(() => new L1({ shape: S, weight: -1 })).toThrow(/weight: must be > 0, got -1/);
    expect(() => new HuberConjugate({ shape: S, alpha: [0.1, Number.NaN] })).toThrow(/alpha: entry 1 must be finite, got NaN/);
    expect(() => new GroupHuber({ shape: S, epsilon: Infinity })).toThrow(/epsilon: must be finite, got Infinity/);
    expect(() => new GroupL21({ shape: S, groupSize: 5 })).toThrow(/groupSize 5 must be a positive divisor/);
    expect(() => new HuberConjugate({ shape: S, groupSize: 2, alpha: [1, 2, 3, 4, 5] })).toThrow(/5 per-block parameters/);
    expect(() => new SmoothAbs({ shape: S, weight: [1, 2], nu: [1, 2, 3] })).toThrow(/equal lengths/);
    expect(() => new L1({ shape: [0, 3] })).toThrow(/shape/);
    expect(() => new L1({ shape: S, lambda: 1 } as never)).toThrow(/Unrecognized key/);
    expect(() => new Box({ shape: [2], lower: 1, upper: 0 })).toThrow(/lower bound 1 exceeds upper bound 0/);
    expect(() => new QuadraticFidelity({ shape: [3], data: [1, 2, 3], mask: [1, 0.5, 0] })).toThrow(/mask: entry 1 is 0.5/);
    expect(() => new QuadraticFidelity({ shape: [3], data: [1, 2] })).toThrow(/data: expected length 3/);
    expect(() => new QuadraticFidelity({ shape: [3], data: [1, Number.NaN, 2] })).toThrow(/data: entry 1 is NaN/);
    expect(() => new QuadraticFidelity({ shape: [3], data: [1, 2, 3], mu: -0.1 })).toThrow(/mu: must be ≥ 0/);
    expect(() => new QuadraticFidelity({ shape: [4], data: [1, 2, 3, 4], operator: randomMatrix(3, 3, 1) })).toThrow(/domain 3 does not match shape 4/);
    expect(() => scale(new L1({ shape: S }), -2)).toThrow(/factor must be a finite number > 0/);
  });

  it('setParams checks positivity and length, naming the parameter', () => {
    const f = new HuberConjugate({ shape: S, groupSize: 2, alpha: [0.1, 0.2, 0.3], epsilon: 0.1 });
    expect(f.paramNames()).toEqual(['alpha[0]', 'alpha[1]', 'alpha[2]', 'epsilon[0]', 'epsilon[1]', 'epsilon[2]']);
    expect(() => f.setParams([0.1, 0.2, -0.3, 1, 1, 1])).toThrow(/alpha\[2\] must be a finite number > 0/);
    expect(() => f.setParams([0.1])).toThrow(ValidationError);
  });
});
