/**
 * The solvers on the workspace's real operators and functionals (`@bilevel/operators`,
 * `@bilevel/prox`): Huber-TV denoising with `Gradient2D`, `HuberConjugate`, `QuadraticFidelity`,
 * and a dense-matrix problem whose norm is a power-iteration estimate.
 */
import { describe, expect, it } from 'vitest';
import {
  Rng,
  anyOf,
  maxIterations,
  run,
  tolerance,
  type SaddleProblem,
  type SmoothProblem,
  type TwiceSmooth,
  type Vec,
} from '@bilevel/core';
import { DenseMatrix, Gradient2D } from '@bilevel/operators';
import { Box, HuberConjugate, L2InfBall, QuadraticFidelity, addLinear, addQuadratic } from '@bilevel/prox';
import { Fista, Pdhg, pdhgSteps } from '@bilevel/solvers';
import { Grad2D, HuberTvSmooth, dist, maxRelDiff, testImage } from './fixtures.js';

function huberTv(C: number, H: number, W: number, alpha: number, epsilon: number, seed: number) {
  const N = C * H * W;
  const b = new Float64Array(N);
  for (let c = 0; c < C; c++) b.set(testImage(H, W, seed + c), c * H * W);
  const K = new Gradient2D({ channels: C, height: H, width: W, boundary: 'neumann' });
  const fStar = new HuberConjugate({ shape: K.range, groupSize: 2, alpha, epsilon });
  const g = new QuadraticFidelity({ shape: K.domain, data: b });
  const problem: SaddleProblem = { K, g, fStar, f: fStar.conjugate(), gStar: g.conjugate() };
  return { problem, b, N };
}

describe('PDHG on @bilevel/operators + @bilevel/prox', () => {
  it('Huber-TV: the fused kernel reproduces the generic iterates to 1e-12 (2×9×13, every scheme)', () => {
    const { problem } = huberTv(2, 9, 13, 0.12, 0.03, 11);
    for (const scheme of ['linear', 'plain', 'accelerated'] as const) {
      const g = new Pdhg({ scheme, backend: 'js-f64' });
      const gs = g.init(problem);
      const f = new Pdhg({ scheme });
      const fs = f.init(problem);
      expect(fs.work.kernel.backend).toBe('wasm-f64');
      expect(fs.tau).toBe(gs.tau);
      for (let k = 0; k < 200; k++) {
        g.step(gs);
        f.step(fs);
      }
      expect(maxRelDiff(fs.x, gs.x)).toBeLessThan(1e-12);
      expect(maxRelDiff(fs.y, gs.y)).toBeLessThan(1e-12);
    }
  });

  it('Huber-TV: converges to the FISTA solution of the smooth primal; certificates bound the error', () => {
    const C = 1;
    const H = 10;
    const W = 12;
    const alpha = 0.15;
    const epsilon = 0.05;
    const { problem, b, N } = huberTv(C, H, W, alpha, epsilon, 21);
    const smooth: SmoothProblem = { h: new HuberTvSmooth(new Grad2D(C, H, W), b, alpha, epsilon) };
    const fi = new Fista();
    const fsState = fi.init(smooth);
    run(fi, fsState, { stop: anyOf(tolerance(1e-14), maxIterations(100000)), certificateEvery: 20 });
    const xHat = fsState.x;
    const kx = problem.K.apply(xHat, new Float64Array(2 * N));
    const yHat = problem.f!.gradient(kx, new Float64Array(2 * N));

    const solver = new Pdhg();
    const state = solver.init(problem);
    for (let k = 0; k < 2000; k++) {
      const ex = dist(state.x, xHat);
      const ey = dist(state.y, yHat);
      if (ex < 1e-12 && ey < 1e-12) break;
      if (k % 5 === 0) {
        const c = solver.certificate(state);
        expect(c.epsX).toBeGreaterThanOrEqual(ex * (1 - 1e-9) - 1e-14);
        expect(c.epsY).toBeGreaterThanOrEqual(ey * (1 - 1e-9) - 1e-14);
      }
      solver.step(state);
    }
    expect(dist(state.x, xHat)).toBeLessThan(1e-10);
  });

  it('DenseMatrix with an estimated norm: the 1.01 safety factor is applied and PDHG matches FISTA', () => {
    const m = 9;
    const n = 6;
    const rng = Rng.seeded(3);
    const K = new DenseMatrix(m, n, rng.normalVec(m * n));
    expect(K.norm().kind).toBe('estimate');
    const b = rng.normalVec(n);
    const g = new QuadraticFidelity({ shape: [n], data: b, mu: 0.5 });
    const fStar = new HuberConjugate({ shape: [m], alpha: 0.7, epsilon: 0.2 });
    const problem: SaddleProblem = { K, g, fStar, f: fStar.conjugate(), gStar: g.conjugate() };
    const steps = pdhgSteps(problem);
    expect(steps.normK).toBeCloseTo(K.norm().value * 1.01, 12);

    // Smooth primal h(x) = g(x) + f(Kx) for FISTA.
    const f = fStar.conjugate();
    const kx = new Float64Array(m);
    const gk = new Float64Array(m);
    const tmp = new Float64Array(n);
    const h: TwiceSmooth = {
      shape: [n],
      strongConvexity: g.strongConvexity,
      lipschitz: g.lipschitz + f.lipschitz * steps.normK ** 2,
      value: (x: Vec) => g.value(x) + f.value(K.apply(x, kx)),
      gradient: (x: Vec, out: Vec) => {
        f.gradient(K.apply(x, kx), gk);
        K.adjoint(gk, out);
        g.gradient(x, tmp);
        for (let i = 0; i < n; i++) out[i] = out[i]! + tmp[i]!;
        return out;
      },
      hvp: () => {
        throw new Error('unused');
      },
    };
    const fi = new Fista();
    const fiState = fi.init({ h });
    const fr = run(fi, fiState, { stop: anyOf(tolerance(1e-13), maxIterations(100000)), certificateEvery: 5 });
    expect(fr.reason).toBe('converged');

    const solver = new Pdhg();
    const state = solver.init(problem);
    const res = run(solver, state, { stop: anyOf(tolerance(1e-12), maxIterations(100000)) });
    expect(res.reason).toBe('converged');
    expect(dist(state.x, fiState.x)).toBeLessThan(1e-11);
    expect(res.certificate.gap).toBeLessThan(1e-10);
  });
});

describe('PDHG stops on a tolerance with indicator-type f* and g (docs/math/certificates.md#gap-based-distances)', () => {
  /** Run to `distance ≤ tol`, then compare with a reference solution from a long run. */
  function certifiedRun(problem: SaddleProblem, tol: number, scheme?: 'plain', backend: 'js-f64' | 'auto' = 'js-f64') {
    const solver = new Pdhg({ ...(scheme ? { scheme } : {}), backend });
    const state = solver.init(problem);
    const r = run(solver, state, { stop: anyOf(tolerance(tol), maxIterations(20_000)) });
    const ref = solver.init(problem);
    run(solver, ref, { stop: maxIterations(60_000) });
    return { r, state, truth: dist(state.x, ref.x) };
  }

  it('isotropic TV denoising (f* = ι of the L2,∞ ball, f = α‖·‖₂,₁ without a gradient): the gap certifies x', () => {
    const b = testImage(12, 14, 3);
    const K = new Gradient2D({ channels: 1, height: 12, width: 14 });
    const problem: SaddleProblem = { K, g: new QuadraticFidelity({ shape: K.domain, data: b }), fStar: new L2InfBall({ shape: K.range, groupSize: 2, radius: 0.1 }) };
    // The plain scheme: the accelerated one (the default when μ_f* = 0) shrinks the gap slowly here.
    for (const backend of ['js-f64', 'auto'] as const) {
      const { r, state, truth } = certifiedRun(problem, 1e-4, 'plain', backend);
      expect(state.work.kernel.name).toBe(backend === 'auto' ? 'huber-tv' : 'generic');
      expect(r.reason).toBe('converged');
      expect(r.certificate.distance).toBe(r.certificate.epsX);
      expect(r.certificate.distance).toBeLessThanOrEqual(1e-4);
      expect(r.certificate.distance).toBeGreaterThanOrEqual(truth);
    }
  });

  it('Huber-TV (the Lemma 2 stationarity bounds), generic and fused', () => {
    const { problem } = huberTv(1, 12, 14, 0.1, 0.02, 4);
    for (const backend of ['js-f64', 'auto'] as const) {
      const { r, truth } = certifiedRun({ K: problem.K, g: problem.g, fStar: problem.fStar }, 1e-8, undefined, backend);
      expect(r.reason).toBe('converged');
      expect(r.certificate.distance).toBeGreaterThanOrEqual(truth);
    }
  });

  it('box-constrained Huber-TV, g = ½‖x − b‖² + ι[0.35, 0.65] (min-norm subgradient of g)', () => {
    const { problem, b } = huberTv(1, 12, 14, 0.1, 0.02, 5);
    const g = addQuadratic(addLinear(new Box({ shape: problem.K.domain, lower: 0.35, upper: 0.65 }), b.map((t) => -t)), 1);
    const { r, state, truth } = certifiedRun({ K: problem.K, g, fStar: problem.fStar }, 1e-8);
    expect(r.reason).toBe('converged');
    expect(r.certificate.distance).toBeGreaterThanOrEqual(truth);
    expect(Math.min(...state.x)).toBeGreaterThanOrEqual(0.35);
    expect(Math.max(...state.x)).toBeLessThanOrEqual(0.65);
    let clamped = 0;
    for (const t of state.x) if (t === 0.35 || t === 0.65) clamped++;
    expect(clamped).toBeGreaterThan(0);
  });
});
