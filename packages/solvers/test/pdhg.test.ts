import { describe, expect, it } from 'vitest';
import { Rng, ShapeError, ValidationError, anyOf, maxIterations, run, tolerance, type SaddleProblem } from '@bilevel/core';
import {
  Pdhg,
  createSaddleCertificateWorkspace,
  pdhgSteps,
  saddleCertificate,
  snapshotFromJson,
  snapshotToJson,
  type PdhgOptions,
} from '@bilevel/solvers';
import { Gradient2D, withNorm } from '@bilevel/operators';
import { Dense, ShiftedQuadratic, ShiftedQuadraticConj, dist, solveDense, resumedRun } from './fixtures.js';

/**
 * Quadratic saddle problem with a closed-form solution:
 * g(x) = (μ_g/2)‖x − b‖², f*(y) = (κ/2)‖y − c‖² (so f(u) = ⟨u, c⟩ + ‖u‖²/(2κ)),
 * x̂ solves (μ_g I + KᵀK/κ) x = μ_g b − Kᵀc, ŷ = c + K x̂/κ.
 */
function quadraticProblem(seed: number, m = 7, n = 5, muG = 0.7, kappa = 0.4, scale = 2) {
  const rng = Rng.seeded(seed);
  const K = Dense.random(m, n, seed + 100, scale);
  const b = rng.normalVec(n);
  const c = rng.normalVec(m);
  const problem: SaddleProblem = {
    K,
    g: new ShiftedQuadratic(muG, b),
    fStar: new ShiftedQuadratic(kappa, c),
    f: new ShiftedQuadraticConj(kappa, c),
    gStar: new ShiftedQuadraticConj(muG, b),
  };
  const A = K.gram();
  for (let i = 0; i < n * n; i++) A[i] = A[i]! / kappa;
  for (let i = 0; i < n; i++) A[i * n + i] = A[i * n + i]! + muG;
  const rhs = new Float64Array(n);
  K.adjoint(c, rhs);
  for (let i = 0; i < n; i++) rhs[i] = muG * b[i]! - rhs[i]!;
  const xHat = solveDense(n, A, rhs);
  const yHat = new Float64Array(m);
  K.apply(xHat, yHat);
  for (let i = 0; i < m; i++) yHat[i] = c[i]! + yHat[i]! / kappa;
  return { problem, K, xHat, yHat, muG, kappa };
}

interface SchemeCase {
  readonly name: string;
  readonly options: (K: Dense) => PdhgOptions;
  readonly iterations: number;
  /** Certified distance to reach, and the accuracy then expected of x and y. */
  readonly tol: number;
  readonly accuracy: number;
}

const schemes: SchemeCase[] = [
  { name: 'plain', options: () => ({ scheme: 'plain' }), iterations: 3000, tol: 1e-12, accuracy: 1e-11 },
  // CP2011 Alg. 2 only guarantees ‖xᴺ − x̂‖ = O(1/N) and does not use μ_f*: slow but convergent.
  { name: 'accelerated', options: () => ({ scheme: 'accelerated' }), iterations: 5000, tol: 1e-3, accuracy: 1e-3 },
  { name: 'linear', options: () => ({ scheme: 'linear' }), iterations: 3000, tol: 1e-12, accuracy: 1e-11 },
  { name: 'linear, ν ≤ 1 cap', options: () => ({ scheme: 'linear', nuMax: 1 }), iterations: 3000, tol: 1e-12, accuracy: 1e-11 },
  {
    name: 'preconditioned',
    options: (K) => ({ preconditioning: { rowSums: K.rowSums(), colSums: K.colSums() } }),
    iterations: 4000,
    tol: 1e-12,
    accuracy: 1e-11,
  },
];

/**
 * `bound ≥ truth` up to the rounding of the reference solution (x̂ from Gaussian elimination is
 * accurate to ~1e-16; the quadratic bounds are tight along the slowest eigendirection).
 */
function expectBound(bound: number, truth: number): void {
  expect(bound).toBeGreaterThanOrEqual(truth * (1 - 1e-9) - 1e-15);
}

describe('pdhg on a quadratic saddle problem (closed form)', () => {
  for (const sc of schemes) {
    it(`${sc.name}: converges to the closed-form saddle point`, () => {
      const { problem, K, xHat, yHat } = quadraticProblem(1);
      const solver = new Pdhg(sc.options(K));
      const state = solver.init(problem);
      const res = run(solver, state, { stop: anyOf(tolerance(sc.tol), maxIterations(sc.iterations)) });
      expect(res.reason).toBe('converged');
      expect(res.certificate.distance).toBeLessThanOrEqual(sc.tol);
      expect(dist(state.x, xHat)).toBeLessThan(sc.accuracy);
      expect(dist(state.y, yHat)).toBeLessThan(sc.accuracy);
      expect(Math.abs(res.certificate.gap)).toBeLessThan(sc.accuracy);
      expect(res.certificate.primalResidual).toBeLessThan(100 * sc.accuracy);
      expect(res.certificate.dualResidual).toBeLessThan(100 * sc.accuracy);
      expect(state.cost.iterations).toBe(res.iterations);
      expect(state.cost.prox).toBe(2 * res.iterations);
    });

    it(`${sc.name}: epsX, epsY bound the true distances at every iteration`, () => {
      for (const seed of [2, 3, 4]) {
        const { problem, K, xHat, yHat } = quadraticProblem(seed);
        const solver = new Pdhg(sc.options(K));
        const state = solver.init(problem);
        let checked = 0;
        for (let k = 0; k < 400; k++) {
          const c = solver.certificate(state);
          const ex = dist(state.x, xHat);
          const ey = dist(state.y, yHat);
          expectBound(c.epsX, ex);
          expectBound(c.epsY, ey);
          if (ex > 1e-13) checked++;
          expect(c.distance).toBe(Math.max(c.epsX, c.epsY));
          expect(c.gap).toBeGreaterThanOrEqual(-1e-12);
          solver.step(state);
        }
        expect(checked).toBeGreaterThan(20);
      }
    });
  }

  it('linear-rate scheme: log-error decreases linearly at least at the CP2011 Thm. 3 rate', () => {
    const { problem, xHat, yHat } = quadraticProblem(5);
    const solver = new Pdhg({ scheme: 'linear' });
    const state = solver.init(problem);
    const steps = state.work.steps;
    const ks: number[] = [];
    const logs: number[] = [];
    for (let k = 1; k <= 400; k++) {
      solver.step(state);
      const e = Math.hypot(dist(state.x, xHat), dist(state.y, yHat));
      if (e < 1e-12) break;
      if (k >= 10) {
        ks.push(k);
        logs.push(Math.log(e));
      }
    }
    // least-squares slope of log e_k against k
    const n = ks.length;
    const mk = ks.reduce((a, b) => a + b, 0) / n;
    const ml = logs.reduce((a, b) => a + b, 0) / n;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < n; i++) {
      sxy += (ks[i]! - mk) * (logs[i]! - ml);
      sxx += (ks[i]! - mk) ** 2;
      syy += (logs[i]! - ml) ** 2;
    }
    const slope = sxy / sxx;
    const r2 = (sxy * sxy) / (sxx * syy);
    expect(n).toBeGreaterThan(30);
    // Thm. 3 bounds squared distances by C ω^N, so distances decay at least like ω^{N/2}.
    expect(slope).toBeLessThan(0.5 * Math.log(steps.rate));
    expect(r2).toBeGreaterThan(0.95);
  });
});

describe('pdhgSteps', () => {
  it('linear scheme: τ = ν/(2μ_g), σ = ν/(2μ_f*), ϑ = 1/(1+ν), τσ‖K‖² = 1', () => {
    const s = pdhgSteps({ normK: 2, muG: 0.5, muFStar: 0.25 });
    const nu = (2 * Math.sqrt(0.125)) / 2;
    expect(s.kind).toBe('linear');
    expect(s.nu).toBeCloseTo(nu, 15);
    expect(s.tau).toBeCloseTo(nu, 15);
    expect(s.sigma).toBeCloseTo(2 * nu, 15);
    expect(s.theta).toBeCloseTo(1 / (1 + nu), 15);
    expect(s.product).toBeCloseTo(1, 14);
    expect(s.rate).toBeCloseTo(1 / (1 + nu), 15);
  });

  it('nuMax caps ν (deepinv convention) and keeps τσ‖K‖² ≤ 1', () => {
    const s = pdhgSteps({ normK: 0.1, muG: 1, muFStar: 1 }, { nuMax: 1 });
    expect(s.nu).toBe(1);
    expect(s.theta).toBe(0.5);
    expect(s.product).toBeLessThan(1);
    const u = pdhgSteps({ normK: 0.1, muG: 1, muFStar: 1 });
    expect(u.nu).toBeCloseTo(20, 12);
  });

  it('auto picks linear / accelerated / plain from the moduli', () => {
    expect(pdhgSteps({ normK: 1, muG: 1, muFStar: 1 }).kind).toBe('linear');
    expect(pdhgSteps({ normK: 1, muG: 1 }).kind).toBe('accelerated');
    expect(pdhgSteps({ normK: 1 }).kind).toBe('plain');
    expect(pdhgSteps({ normK: 1, muG: 1, muFStar: 1 }, { tau: 0.5 }).kind).toBe('plain');
  });

  it('plain defaults: τ = σ = 0.99/‖K‖; one given step completes the pair', () => {
    const s = pdhgSteps({ normK: 4 });
    expect(s.tau).toBeCloseTo(0.99 / 4, 15);
    expect(s.sigma).toBeCloseTo(0.99 / 4, 15);
    const t = pdhgSteps({ normK: 4 }, { tau: 0.1 });
    expect(t.sigma).toBeCloseTo(0.99 ** 2 / (0.1 * 16), 15);
    const r = pdhgSteps({ normK: 4 }, { ratio: 4 });
    expect(r.sigma / r.tau).toBeCloseTo(4, 14);
  });

  it('an estimated ‖K‖ gets the 1.01 safety factor; exact, upper-bound and given norms do not', () => {
    expect(pdhgSteps({ normK: { value: 2, kind: 'estimate' } }).normK).toBeCloseTo(2.02, 15);
    expect(pdhgSteps({ normK: { value: 2, kind: 'estimate' } }, { normSafety: 1.1 }).normK).toBeCloseTo(2.2, 15);
    expect(pdhgSteps({ normK: { value: 2, kind: 'exact' } }).normK).toBe(2);
    expect(pdhgSteps({ normK: { value: 2, kind: 'upper-bound' } }).normK).toBe(2);
    expect(pdhgSteps({ normK: 2 }).normK).toBe(2);
    const { problem } = quadraticProblem(1);
    expect(pdhgSteps(problem).normKind).toBe('exact');
    // A norm attached to the operator (withNorm) is the operator's norm().
    const K = withNorm(new Gradient2D({ channels: 1, height: 4, width: 5 }), { value: 3, kind: 'upper-bound' });
    const tv = { K, g: problem.g, fStar: problem.fStar } as unknown as SaddleProblem;
    expect(pdhgSteps(tv, { muG: 1, muFStar: 0 })).toMatchObject({ normK: 3, normKind: 'upper-bound' });
  });

  it('accelerated: ϑ₀ = 1/√(1+2γτ₀), and the solver keeps τ_nσ_n constant', () => {
    const { problem } = quadraticProblem(1);
    const s = pdhgSteps(problem, { scheme: 'accelerated' });
    expect(s.theta).toBeCloseTo(1 / Math.sqrt(1 + 2 * s.gamma * s.tau), 15);
    const solver = new Pdhg({ scheme: 'accelerated' });
    const state = solver.init(problem);
    const p0 = state.tau * state.sigma;
    for (let k = 0; k < 50; k++) solver.step(state);
    expect(state.tau * state.sigma).toBeCloseTo(p0, 12);
    expect(state.tau).toBeLessThan(s.tau);
  });
});

describe('pdhg option validation', () => {
  const { problem } = quadraticProblem(1);
  const L = problem.K.norm!().value;

  it('rejects τσ‖K‖² ≥ 1 naming tau, sigma and ‖K‖', () => {
    const bad = () => new Pdhg({ scheme: 'plain', tau: 1.01 / L, sigma: 1 / L }).init(problem);
    expect(bad).toThrow(ValidationError);
    expect(bad).toThrow(/tau.*sigma/);
    expect(bad).toThrow(/‖K‖ = /);
    expect(bad).toThrow(/≥ 1/);
    expect(() => pdhgSteps({ normK: 2 }, { tau: 1, sigma: 0.3 })).toThrow(/tau·sigma·‖K‖² = 1\.2 ≥ 1/);
  });

  it('rejects accelerated steps with τ₀σ₀‖K‖² > 1 and accepts = 1', () => {
    expect(() => pdhgSteps({ normK: 2, muG: 1 }, { scheme: 'accelerated', tau: 1, sigma: 0.3 })).toThrow(/tau.*sigma.*> 1/);
    expect(pdhgSteps({ normK: 2, muG: 1 }, { scheme: 'accelerated', tau: 0.5, sigma: 0.5 }).product).toBe(1);
  });

  it('rejects invalid values and unknown keys, naming the option', () => {
    expect(() => new Pdhg({ tau: -1 })).toThrow(/tau/);
    expect(() => new Pdhg({ sigma: Number.NaN })).toThrow(/sigma/);
    expect(() => new Pdhg({ normSafety: 0.5 })).toThrow(/normSafety/);
    expect(() => new Pdhg({ stepFactor: 1.5 })).toThrow(/stepFactor/);
    expect(() => new Pdhg({ theta: 2 })).toThrow(/theta/);
    expect(() => new Pdhg({ scheme: 'fast' as never })).toThrow(/scheme/);
    expect(() => new Pdhg({ tua: 1 } as never)).toThrow(/tua/);
  });

  it('rejects schemes whose strong convexity is missing, naming the moduli', () => {
    expect(() => pdhgSteps({ normK: 1, muG: 1 }, { scheme: 'linear' })).toThrow(/muFStar/);
    expect(() => pdhgSteps({ normK: 1 }, { scheme: 'accelerated' })).toThrow(/muG/);
    expect(() => pdhgSteps({ normK: 1, muG: 1, muFStar: 1 }, { scheme: 'linear', tau: 1 })).toThrow(/nu/);
  });

  it('rejects ν above 2√(μ_g μ_f*)/‖K‖ and ϑ below 1/(1+ν)', () => {
    expect(() => pdhgSteps({ normK: 1, muG: 1, muFStar: 1 }, { nu: 3 })).toThrow(/nu = 3 exceeds/);
    expect(() => pdhgSteps({ normK: 1, muG: 1, muFStar: 1 }, { theta: 0.2 })).toThrow(/theta/);
  });

  it('rejects preconditioning with wrong lengths or missing proxDiagonal', () => {
    const K = problem.K as Dense;
    expect(() => pdhgSteps(problem, { preconditioning: { rowSums: new Float64Array(3), colSums: K.colSums() } })).toThrow(/rowSums/);
    const noDiag: SaddleProblem = {
      ...problem,
      fStar: { shape: problem.fStar.shape, strongConvexity: 0.4, value: () => 0, prox: (v, _t, o) => o.set(v) ?? o, proxJvp: (_v, _t, d, o) => o.set(d) ?? o },
    };
    expect(() => new Pdhg({ preconditioning: { rowSums: K.rowSums(), colSums: K.colSums() } }).init(noDiag)).toThrow(/proxDiagonal/);
  });

  it('rejects mismatched shapes and warm starts of the wrong length', () => {
    const wrong: SaddleProblem = { ...problem, g: new ShiftedQuadratic(1, new Float64Array(4)) };
    expect(() => new Pdhg().init(wrong)).toThrow(ShapeError);
    expect(() => new Pdhg().init(problem, { x: new Float64Array(2) })).toThrow(/warm start x/);
  });

  it('rejects restored steps that violate the rule (saved for another problem)', () => {
    expect(() => new Pdhg({ scheme: 'plain' }).init(problem, { tau: 1, sigma: 1 })).toThrow(/warm start tau/);
  });
});

describe('pdhg warm start and resume', () => {
  for (const sc of schemes) {
    it(`${sc.name}: a resumed run gives the same iterates as an uninterrupted one`, () => {
      const { problem, K } = quadraticProblem(7);
      const solver = new Pdhg(sc.options(K));
      const { uninterrupted: a, resumed: c } = resumedRun(solver, problem, 40, 13, (s) => snapshotFromJson(JSON.parse(JSON.stringify(snapshotToJson(s)))));
      expect(Array.from(c.x)).toEqual(Array.from(a.x));
      expect(Array.from(c.y)).toEqual(Array.from(a.y));
      expect(c.iteration).toBe(40);
      expect(c.tau).toBe(a.tau);
      expect(c.theta).toBe(a.theta);
      const ca = solver.certificate(a);
      const cc = solver.certificate(c);
      expect(cc.distance).toBe(ca.distance);
      expect(cc.primalResidual).toBe(ca.primalResidual);
      expect(cc.dualResidual).toBe(ca.dualResidual);
    });
  }

  it('warm start from { x, y } of a solved problem converges at once; init never keeps the caller arrays', () => {
    const { problem, xHat, yHat } = quadraticProblem(8);
    const solver = new Pdhg();
    const x0 = Float64Array.from(xHat);
    const state = solver.init(problem, { x: x0, y: Float64Array.from(yHat) });
    expect(state.x).not.toBe(x0);
    const res = run(solver, state, { stop: anyOf(tolerance(1e-10), maxIterations(100)) });
    expect(res.reason).toBe('converged');
    expect(res.iterations).toBe(0);
    solver.step(state);
    expect(Array.from(x0)).toEqual(Array.from(xHat));
  });

  it('warm start reduces the iterations needed after a perturbation of the problem', () => {
    const p1 = quadraticProblem(9, 7, 5, 0.7, 0.4);
    const p2 = quadraticProblem(9, 7, 5, 0.72, 0.41);
    const solver = new Pdhg();
    const s1 = solver.init(p1.problem);
    run(solver, s1, { stop: anyOf(tolerance(1e-9), maxIterations(5000)) });
    const cold = run(solver, solver.init(p2.problem), { stop: anyOf(tolerance(1e-9), maxIterations(5000)) });
    const warm = run(solver, solver.init(p2.problem, { x: s1.x, y: s1.y }), { stop: anyOf(tolerance(1e-9), maxIterations(5000)) });
    expect(warm.reason).toBe('converged');
    expect(warm.iterations).toBeLessThan(cold.iterations);
  });
});

describe('pdhg divergence and certificates without capabilities', () => {
  it('stops with diverged when a wrong norm() on the operator makes the iteration blow up', () => {
    const { problem } = quadraticProblem(1, 7, 5, 0.01, 0.01, 30);
    const lying = Object.assign(Object.create(problem.K) as typeof problem.K, { norm: () => ({ value: 0.05, kind: 'upper-bound' as const }) });
    const solver = new Pdhg({ scheme: 'plain' });
    const res = run(solver, solver.init({ ...problem, K: lying }), { stop: maxIterations(100000) });
    expect(res.reason).toBe('diverged');
    expect(res.iterations).toBeLessThan(100000);
  });

  it('without f / gStar the certificate uses the conjugates of f* and g; without those the distance is Infinity', () => {
    const { problem } = quadraticProblem(1);
    const bare: SaddleProblem = { K: problem.K, g: problem.g, fStar: problem.fStar };
    const solver = new Pdhg();
    const state = solver.init(bare);
    for (let k = 0; k < 5; k++) solver.step(state);
    const derived = solver.certificate(state);
    const full = saddleCertificate(problem, state.x, state.y, createSaddleCertificateWorkspace(problem));
    for (const key of ['epsX', 'epsY', 'gap', 'distance'] as const) expect(derived[key]).toBe(full[key]);
    // Functionals without conjugates: nothing to certify with.
    const opaque = <T extends object>(f: T): T => Object.assign(Object.create(f) as T, { conjugate: undefined });
    const hidden: SaddleProblem = { K: problem.K, g: opaque(problem.g), fStar: opaque(problem.fStar) };
    const s2 = solver.init(hidden);
    solver.step(s2);
    const c = solver.certificate(s2);
    expect(c.distance).toBe(Infinity);
    expect(c.gap).toBe(Infinity);
    expect(Number.isFinite(c.primalResidual)).toBe(true);
  });

  it('saddleCertificate standalone equals the solver certificate and charges its cost', () => {
    const { problem } = quadraticProblem(3);
    const solver = new Pdhg();
    const state = solver.init(problem);
    for (let k = 0; k < 20; k++) solver.step(state);
    const ws = createSaddleCertificateWorkspace(problem);
    const cost = { ...state.cost };
    const before = cost.apply + cost.adjoint;
    const a = saddleCertificate(problem, state.x, state.y, ws, { cost });
    expect(cost.apply + cost.adjoint - before).toBe(4);
    const b = solver.certificate(state);
    expect(a.epsX).toBeCloseTo(b.epsX, 12);
    expect(a.epsY).toBeCloseTo(b.epsY, 12);
    expect(a.gap).toBeCloseTo(b.gap, 12);
  });
});
