/**
 * The piggyback solver: PDHG and its adjoint through the one primal–dual update, driven by the
 * run loop of core. On a quadratic problem (Huber conjugate that never clips) the adjoint
 * solution is a linear solve; the loss-only solver is PDHG; resumed runs are exact.
 */
import { describe, expect, it } from 'vitest';
import { Rng, anyOf, maxIterations, run, type Loss } from '@bilevel/core';
import { DenseMatrix } from '@bilevel/operators';
import { HuberConjugate, QuadraticFidelity } from '@bilevel/prox';
import { Pdhg, Piggyback, piggybackTolerance, restoreState, serializeState, type PiggybackProblem } from '@bilevel/solvers';
import { dist, solveDense } from './fixtures.js';

const squared: Loss = {
  convex: true,
  description: '½‖x − x†‖²',
  value: (x, t) => 0.5 * x.reduce((s, v, i) => s + (v - t[i]!) ** 2, 0),
  gradient: (x, t, out) => {
    for (let i = 0; i < x.length; i++) out[i] = x[i]! - t[i]!;
    return out;
  },
  lipschitz: () => 1,
};

/** `g = ½‖x − b‖²`, `K` dense `m×n`, `f* = (κ/2)‖y‖²` (a Huber conjugate whose ball is never reached). */
function quadratic(seed: number, n = 6, m = 9, kappa = 0.3) {
  const rng = Rng.seeded(seed);
  const a = rng.normalVec(m * n).map((t) => t / Math.sqrt(n));
  const K = new DenseMatrix(m, n, a);
  const b = rng.normalVec(n);
  const target = rng.normalVec(n);
  const g = new QuadraticFidelity({ shape: [n], data: b });
  const fStar = new HuberConjugate({ shape: [m], alpha: 1e6, epsilon: kappa * 1e6 });
  const problem: PiggybackProblem = { K, g, fStar, f: fStar.conjugate(), gStar: g.conjugate(), loss: squared, target };
  // x̂ = (I + KᵀK/κ)⁻¹b, X̂ = −(I + KᵀK/κ)⁻¹(x̂ − x†), Ŷ = KX̂/κ.
  const M = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = i === j ? 1 : 0;
      for (let k = 0; k < m; k++) s += (a[k * n + i]! * a[k * n + j]!) / kappa;
      M[i * n + j] = s;
    }
  }
  const xHat = solveDense(n, M, b);
  const XHat = solveDense(n, M, xHat.map((v, i) => -(v - target[i]!)));
  const YHat = K.apply(XHat, new Float64Array(m)).map((v) => v / kappa);
  return { problem, xHat, XHat, YHat };
}

describe('Piggyback solver', () => {
  it('converges to the exact adjoint of a quadratic problem under the run loop and its tolerance', () => {
    const { problem, xHat, XHat, YHat } = quadratic(1);
    const solver = new Piggyback();
    const state = solver.init(problem);
    const r = run(solver, state, { stop: anyOf(piggybackTolerance({ epsilon: 1e-11, delta: 1e-11 }), maxIterations(20000)), certificateEvery: 5 });
    expect(r.reason).toBe('converged');
    expect(r.certificate.epsX).toBeLessThanOrEqual(1e-11);
    expect(r.certificate.deltaY).toBeLessThanOrEqual(1e-11);
    expect(dist(state.x, xHat)).toBeLessThan(1e-10);
    expect(dist(state.X, XHat)).toBeLessThan(1e-9);
    expect(dist(state.Y, YHat)).toBeLessThan(1e-9);
    expect(state.cost.adjointIterations).toBe(state.cost.iterations);
  });

  it('without the adjoint it is PDHG (same iterates, δ = 0, no adjoint work)', () => {
    const { problem } = quadratic(2);
    const primal = new Piggyback({ adjoint: false });
    const s = primal.init(problem);
    const pdhg = new Pdhg({ gap: false });
    const p = pdhg.init(problem);
    for (let k = 0; k < 50; k++) {
      primal.step(s);
      pdhg.step(p);
    }
    expect(Array.from(s.x)).toEqual(Array.from(p.x));
    expect(Array.from(s.y)).toEqual(Array.from(p.y));
    const c = primal.certificate(s);
    expect(c.epsX).toBe(pdhg.certificate(p).epsX);
    expect([c.deltaX, c.deltaY]).toEqual([0, 0]);
    expect(s.X.length).toBe(0);
    expect(s.cost.adjointIterations).toBe(0);
  });

  it('a resumed run (JSON snapshot) gives the same iterates and adjoints', () => {
    const { problem } = quadratic(3);
    const solver = new Piggyback({ scheme: 'plain' });
    const a = solver.init(problem);
    for (let k = 0; k < 30; k++) solver.step(a);
    const b = solver.init(problem);
    for (let k = 0; k < 11; k++) solver.step(b);
    const c = restoreState(solver, problem, serializeState(b));
    for (let k = 11; k < 30; k++) solver.step(c);
    for (const key of ['x', 'y', 'X', 'Y', 'XPrev'] as const) expect(Array.from(c[key])).toEqual(Array.from(a[key]));
    expect(solver.certificate(c)).toEqual(solver.certificate(a));
  });

  it('refuses non-constant steps', () => {
    expect(() => new Piggyback({ scheme: 'accelerated' })).toThrow(/constant steps/);
    const { problem } = quadratic(4);
    const colSums = new Float64Array(6).fill(1);
    const rowSums = new Float64Array(9).fill(1);
    expect(() => new Piggyback({ preconditioning: { rowSums, colSums } } as never).init(problem)).toThrow(/constant steps|preconditioning/);
  });
});
