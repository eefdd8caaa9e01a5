import { describe, expect, it } from 'vitest';
import { Rng, ValidationError, anyOf, maxIterations, run, tolerance, type SmoothProblem, type TwiceSmooth, type Vec } from '@bilevel/core';
import {
  Fista,
  GradientDescent,
  smoothTolerance,
  type SmoothOptions,
} from '@bilevel/solvers';
import { dist, solveDense, resumedRun } from './fixtures.js';

/** `h(x) = ½xᵀAx − bᵀx` with `A = QᵀDQ`-like SPD built from a random matrix; x̂ = A⁻¹b. */
function quadratic(n: number, seed: number, mu: number, L: number, knownL = true) {
  const rng = Rng.seeded(seed);
  // A = μ I + (L − μ) · M/‖M‖ with M = BᵀB PSD, so μ ≤ λ(A) ≤ L with λ_max = L.
  const B = rng.normalVec(n * n);
  const M = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) M[i * n + j] = M[i * n + j]! + B[k * n + i]! * B[k * n + j]!;
  // λ_max(M) by power iteration
  let v = new Float64Array(n).fill(1);
  let lam = 0;
  for (let it = 0; it < 3000; it++) {
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) w[i] = w[i]! + M[i * n + j]! * v[j]!;
    lam = Math.hypot(...w);
    v = w.map((t) => t / lam);
  }
  const A = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) A[i] = ((L - mu) * M[i]!) / lam;
  for (let i = 0; i < n; i++) A[i * n + i] = A[i * n + i]! + mu;
  const b = rng.normalVec(n);
  const xHat = solveDense(n, A, b);
  const mv = (x: Vec, out: Vec): Vec => {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += A[i * n + j]! * x[j]!;
      out[i] = s;
    }
    return out;
  };
  const tmp = new Float64Array(n);
  const h: TwiceSmooth = {
    shape: [n],
    strongConvexity: mu,
    lipschitz: knownL ? L : Infinity,
    value: (x) => {
      mv(x, tmp);
      let s = 0;
      for (let i = 0; i < n; i++) s += 0.5 * x[i]! * tmp[i]! - b[i]! * x[i]!;
      return s;
    },
    gradient: (x, out) => {
      mv(x, out);
      for (let i = 0; i < n; i++) out[i] = out[i]! - b[i]!;
      return out;
    },
    hvp: (_x, v2, out) => mv(v2, out),
  };
  return { problem: { h } as SmoothProblem, xHat, A };
}

const solvers: { name: string; make: (o?: SmoothOptions) => Fista | GradientDescent; iterations: number }[] = [
  { name: 'fista', make: (o) => new Fista(o), iterations: 600 },
  { name: 'gradient descent', make: (o) => new GradientDescent(o), iterations: 6000 },
];

describe('smooth solvers on strongly convex quadratics (closed form)', () => {
  for (const s of solvers) {
    it(`${s.name}: converges to A⁻¹b with the certificate ‖∇h‖/μ ≤ tol`, () => {
      const { problem, xHat } = quadratic(12, 1, 0.05, 5);
      const solver = s.make();
      const state = solver.init(problem);
      const res = run(solver, state, { stop: anyOf(tolerance(1e-10), maxIterations(s.iterations)), certificateEvery: 5 });
      expect(res.reason).toBe('converged');
      expect(res.certificate.distance).toBeLessThanOrEqual(1e-10);
      expect(dist(state.x, xHat)).toBeLessThanOrEqual(1e-10);
    });

    it(`${s.name}: ‖∇h(x)‖/μ bounds ‖x − x̂‖ at every iteration`, () => {
      for (const seed of [2, 3]) {
        const { problem, xHat } = quadratic(10, seed, 0.1, 4);
        const solver = s.make();
        const state = solver.init(problem);
        for (let k = 0; k < 300; k++) {
          const c = solver.certificate(state);
          const e = dist(state.x, xHat);
          if (e < 1e-12) break; // x̂ itself is accurate to ~cond·1e-16
          expect(c.distance).toBeGreaterThanOrEqual(e * (1 - 1e-9));
          solver.step(state);
        }
      }
    });

    it(`${s.name}: backtracking finds a step when L is unknown`, () => {
      const { problem, xHat } = quadratic(10, 4, 0.1, 40, false);
      const solver = s.make();
      const state = solver.init(problem);
      expect(state.work.backtracking).toBe(true);
      const res = run(solver, state, { stop: anyOf(tolerance(1e-9), maxIterations(20 * s.iterations)) });
      expect(res.reason).toBe('converged');
      expect(dist(state.x, xHat)).toBeLessThan(1e-9);
      expect(state.tau).toBeLessThan(2 / 40);
      expect(state.backtracks).toBeGreaterThan(0);
    });

    it(`${s.name}: resume from a snapshot gives identical iterates`, () => {
      const { problem } = quadratic(8, 5, 0.1, 3);
      const { uninterrupted: a, resumed: c } = resumedRun(s.make(), problem, 30, 11);
      expect(Array.from(c.x)).toEqual(Array.from(a.x));
      expect(c.t).toBe(a.t);
      expect(c.iteration).toBe(30);
    });
  }

  it('fista beats gradient descent on an ill-conditioned problem (κ = 1000)', () => {
    const { problem } = quadratic(30, 6, 0.01, 10);
    const f = run(new Fista(), new Fista().init(problem), { stop: anyOf(tolerance(1e-8), maxIterations(100000)) });
    const g = run(new GradientDescent(), new GradientDescent().init(problem), { stop: anyOf(tolerance(1e-8), maxIterations(100000)) });
    expect(f.reason).toBe('converged');
    expect(g.reason).toBe('converged');
    expect(f.iterations * 3).toBeLessThan(g.iterations);
  });

  it('fista momentum: t_1 = 1, t_k → 1/√q (CP2016 Alg. 5 with t_0 = 0)', () => {
    const { problem } = quadratic(6, 7, 0.5, 2);
    const solver = new Fista();
    const state = solver.init(problem);
    expect(state.t).toBe(0);
    solver.step(state);
    expect(state.t).toBe(1);
    for (let k = 0; k < 200; k++) solver.step(state);
    expect(state.t).toBeCloseTo(1 / Math.sqrt(0.5 / 2), 10);
  });

  it('gradient descent certificate costs no gradient; fista certificate costs one', () => {
    const { problem } = quadratic(6, 8, 0.5, 2);
    const gd = new GradientDescent();
    const s1 = gd.init(problem);
    const g0 = s1.cost.gradient;
    gd.certificate(s1);
    expect(s1.cost.gradient).toBe(g0);
    const fi = new Fista();
    const s2 = fi.init(problem);
    fi.certificate(s2);
    expect(s2.cost.gradient).toBe(1);
  });

  it('validates options, naming them', () => {
    const { problem } = quadratic(6, 9, 0.5, 2);
    expect(() => new Fista({ tau: 1 }).init(problem)).toThrow(/tau·L = 2 exceeds 1/);
    expect(() => new GradientDescent({ tau: 1.2 }).init(problem)).toThrow(/tau/);
    expect(new GradientDescent({ tau: 0.9 }).init(problem).tau).toBe(0.9);
    expect(() => new Fista({ shrink: 2 })).toThrow(/shrink/);
    expect(() => new Fista({ mu: -1 })).toThrow(/mu/);
    expect(() => new Fista({ backtrack: true } as never)).toThrow(ValidationError);
    const unknownL = quadratic(6, 9, 0.5, 2, false).problem;
    expect(() => new Fista({ backtracking: false }).init(unknownL)).toThrow(/lipschitz/);
  });

  it('stops with diverged when the step is far too large (user lipschitz wrong)', () => {
    const { problem } = quadratic(6, 10, 0.5, 20);
    const solver = new GradientDescent({ lipschitz: 0.1 });
    const res = run(solver, solver.init(problem), { stop: maxIterations(10000) });
    expect(res.reason).toBe('diverged');
  });
});

/**
 * A separable non-convex `h(x) = Σ_i ½(x_i − b_i)² − a√(x_i² + 1)`: `h″ = 1 − a/(x² + 1)^{3/2} ∈ [1 − a, 1]`,
 * so with `a = 2` the signed modulus is −1 and `L = 1`. For `b = 0` the stationary points solve
 * `x(1 − 2/√(x² + 1)) = 0`: the local maximum 0 and the minimisers `±√3`.
 */
function doubleWell(b: Float64Array): TwiceSmooth {
  const a = 2;
  return {
    shape: [b.length],
    strongConvexity: -1,
    lipschitz: 1,
    value: (x) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += 0.5 * (x[i]! - b[i]!) ** 2 - a * Math.sqrt(x[i]! * x[i]! + 1);
      return s;
    },
    gradient: (x, out) => {
      for (let i = 0; i < x.length; i++) out[i] = x[i]! - b[i]! - (a * x[i]!) / Math.sqrt(x[i]! * x[i]! + 1);
      return out;
    },
    hvp: (x, v, out) => {
      for (let i = 0; i < x.length; i++) out[i] = (1 - a / (x[i]! * x[i]! + 1) ** 1.5) * v[i]!;
      return out;
    },
  };
}

describe('smooth solvers on a non-convex h (signed modulus ≤ 0)', () => {
  it.each(solvers)('$name runs with μ = 0, certifies no distance and reaches the minimiser of its basin in ‖∇h‖', ({ make }) => {
    const h = doubleWell(new Float64Array(4));
    const solver = make();
    const state = solver.init({ h }, { x: Float64Array.from([0.3, -0.2, 5, -4]) });
    expect(state.work.mu).toBe(0);
    const stop = smoothTolerance(h, 1e-10);
    expect(stop.description).toBe('gradientNorm ≤ 1e-10');
    const r = run(solver, state, { stop: anyOf(stop, maxIterations(20000)), certificateEvery: 1 });
    expect(r.reason).toBe('converged');
    expect(r.certificate.distance).toBe(Infinity);
    expect(r.certificate.gradientNorm).toBeLessThanOrEqual(1e-10);
    const s3 = Math.sqrt(3);
    [s3, -s3, s3, -s3].forEach((v, i) => expect(state.x[i]).toBeCloseTo(v, 9));
  });

  it('smoothTolerance stops on the certified distance ‖∇h‖/μ when μ > 0', () => {
    const { problem } = quadratic(6, 11, 0.5, 2);
    expect(smoothTolerance(problem.h, 1e-6).description).toBe('distance ≤ 0.000001');
    expect(smoothTolerance({ strongConvexity: 0 }, 1e-6).description).toBe('gradientNorm ≤ 0.000001');
  });
});
