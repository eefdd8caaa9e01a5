import { describe, expect, it } from 'vitest';
import { ConjugateGradient, Rng, ValidationError, anyOf, cg, maxIterations, run, tolerance, type Vec } from '@bilevel/core';
import { dist, solveDense, resumedRun } from './fixtures.js';

function spd(n: number, seed: number, shift = 0.1) {
  const rng = Rng.seeded(seed);
  const B = rng.normalVec(n * n);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) A[i * n + j] = A[i * n + j]! + B[k * n + i]! * B[k * n + j]!;
  for (let i = 0; i < n; i++) A[i * n + i] = A[i * n + i]! + shift;
  const b = rng.normalVec(n);
  let calls = 0;
  const op = (v: Vec, out: Vec): Vec => {
    calls++;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += A[i * n + j]! * v[j]!;
      out[i] = s;
    }
    return out;
  };
  return { A, b, op, calls: () => calls };
}

describe('conjugate gradients', () => {
  it('matches Gaussian elimination on small SPD systems', () => {
    for (const [n, seed] of [
      [3, 1],
      [8, 2],
      [20, 3],
    ] as const) {
      const { A, b, op } = spd(n, seed);
      const xd = solveDense(n, A, b);
      const r = cg(op, b, { rtol: 1e-14 });
      expect(r.reason).toBe('converged');
      expect(dist(r.x, xd) / Math.hypot(...xd)).toBeLessThan(1e-10);
      expect(r.residual).toBeLessThan(1e-12 * Math.hypot(...b) * 10);
      expect(r.iterations).toBeLessThanOrEqual(3 * n);
    }
  });

  it('reports the true residual, the recursive residual, the iteration count and the cost', () => {
    const { b, op, calls } = spd(10, 4);
    const r = cg(op, b, { atol: 1e-6, rtol: 0 });
    expect(r.reason).toBe('converged');
    expect(r.recursiveResidual).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(r.residual - r.recursiveResidual)).toBeLessThan(1e-9);
    expect(r.relativeResidual).toBeCloseTo(r.residual / Math.hypot(...b), 14);
    expect(r.cost.cgIterations).toBe(r.iterations);
    expect(r.cost.apply).toBe(r.iterations + 1); // + the final true residual
    expect(calls()).toBe(r.iterations + 1);
  });

  it('absolute vs relative tolerance: stops at max(atol, rtol‖b‖)', () => {
    const { b, op } = spd(15, 5);
    const bn = Math.hypot(...b);
    const rel = cg(op, b, { rtol: 1e-3 });
    expect(rel.recursiveResidual).toBeLessThanOrEqual(1e-3 * bn);
    const abs = cg(op, b, { atol: 1e-3 * bn * 10, rtol: 1e-8 });
    expect(abs.recursiveResidual).toBeLessThanOrEqual(1e-2 * bn);
    expect(abs.iterations).toBeLessThanOrEqual(rel.iterations);
  });

  it('stops with max-iterations at the cap', () => {
    const { b, op } = spd(30, 6, 1e-4);
    const r = cg(op, b, { rtol: 1e-15, maxIterations: 3 });
    expect(r.reason).toBe('max-iterations');
    expect(r.iterations).toBe(3);
  });

  it('warm start: from the solution it converges at once (one product for the residual)', () => {
    const { A, b, op } = spd(8, 7);
    const xd = solveDense(8, A, b);
    const x0 = Float64Array.from(xd);
    const r = cg(op, b, { x0, rtol: 1e-10 });
    expect(r.iterations).toBe(0);
    expect(r.reason).toBe('converged');
    expect(Array.from(x0)).toEqual(Array.from(xd));
    const out = new Float64Array(8);
    const r2 = cg(op, b, { x0: new Float64Array(8).fill(1), rtol: 1e-12, out });
    expect(r2.x).toBe(out);
    expect(dist(out, xd)).toBeLessThan(1e-9);
  });

  it('detects non-positive curvature (breakdown) on an indefinite matrix', () => {
    const n = 4;
    const diag = [1, 2, -3, 4];
    const op = (v: Vec, out: Vec): Vec => {
      for (let i = 0; i < n; i++) out[i] = diag[i]! * v[i]!;
      return out;
    };
    const r = cg(op, Float64Array.from([0, 0, 1, 0]), { rtol: 1e-12 });
    expect(r.reason).toBe('breakdown');
  });

  it('distance bound ‖b − Aq‖/μ ≥ ‖q − q̂‖ with μ ≤ λ_min', () => {
    const n = 12;
    const { A, b, op } = spd(n, 8, 0.5);
    const xd = solveDense(n, A, b);
    const solver = new ConjugateGradient({ rtol: 1e-14 });
    const state = solver.init({ A: op, b, mu: 0.5 });
    for (let k = 0; k < n && !state.halt; k++) {
      const c = solver.certificate(state);
      expect(c.distance).toBeGreaterThanOrEqual(dist(state.x, xd) * (1 - 1e-9));
      solver.step(state);
    }
  });

  it('resumable state: run() with criteria, and snapshot resume gives identical iterates', () => {
    const { b, op } = spd(20, 9, 0.01);
    const solver = new ConjugateGradient({ rtol: 1e-13 });
    const { uninterrupted: a, resumed: c } = resumedRun(solver, { A: op, b }, 12, 5);
    expect(Array.from(c.x)).toEqual(Array.from(a.x));
    const res = run(solver, solver.init({ A: op, b }), { stop: anyOf(tolerance(1e-6, 'residual'), maxIterations(200)), certificateEvery: 1 });
    expect(['converged']).toContain(res.reason);
    expect(res.certificate.residual).toBeLessThanOrEqual(1e-6);
  });

  it('validates options', () => {
    const { b, op } = spd(3, 1);
    expect(() => cg(op, b, { rtol: -1 })).toThrow(/rtol/);
    expect(() => cg(op, b, { maxIterations: 0 })).toThrow(/maxIterations/);
    expect(() => cg(op, b, { x0: new Float64Array(2) })).toThrow(/x0/);
    expect(() => new ConjugateGradient({ tol: 1 } as never)).toThrow(ValidationError);
  });
});
