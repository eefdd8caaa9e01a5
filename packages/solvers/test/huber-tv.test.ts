import { describe, expect, it } from 'vitest';
import { ValidationError, anyOf, maxIterations, run, tolerance, type SaddleProblem, type SmoothProblem } from '@bilevel/core';
import { Gradient2D } from '@bilevel/operators';
import { HuberConjugate, L2InfBall, QuadraticFidelity } from '@bilevel/prox';
import { Fista, Pdhg, type PdhgOptions } from '@bilevel/solvers';
import { Grad2D, Huber, HuberConj, HuberTvSmooth, ShiftedQuadratic, ShiftedQuadraticConj, dist, maxRelDiff, testImage, resumedRun } from './fixtures.js';

interface Case {
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly alpha: number;
  readonly epsilon: number;
  readonly lambda: number;
  readonly seed: number;
}

function setup(c: Case) {
  const { C, H, W, alpha, epsilon, lambda } = c;
  const N = C * H * W;
  const b = new Float64Array(N);
  for (let ch = 0; ch < C; ch++) b.set(testImage(H, W, c.seed + ch), ch * H * W);
  const K = new Grad2D(C, H, W);
  const saddle: SaddleProblem = {
    K,
    g: new ShiftedQuadratic(lambda, b),
    fStar: new HuberConj(2 * N, 2, alpha, epsilon),
    f: new Huber(2 * N, 2, alpha, epsilon),
    gStar: new ShiftedQuadraticConj(lambda, b),
  };
  const fused = huberTvProblem(C, H, W, b, alpha, epsilon, lambda);
  const smooth: SmoothProblem = { h: new HuberTvSmooth(K, b, alpha, epsilon, lambda) };
  return { K, b, saddle, fused, smooth, N };
}

/**
 * The same problem from the workspace's parts, which the fused kernel recognises:
 * `(λ/2)‖x − b‖²` as `½‖√λ x − √λ b‖²`, `Gradient2D`, the isotropic Huber conjugate (the ball
 * alone for ε = 0).
 */
function huberTvProblem(C: number, H: number, W: number, b: Float64Array, alpha: number, epsilon: number, lambda = 1): SaddleProblem {
  const K = new Gradient2D({ channels: C, height: H, width: W });
  const d = Math.sqrt(lambda);
  const g = new QuadraticFidelity({ shape: K.domain, data: b.map((v) => d * v), ...(lambda === 1 ? {} : { diagonal: new Float64Array(b.length).fill(d) }) });
  const fStar = epsilon > 0 ? new HuberConjugate({ shape: K.range, groupSize: 2, alpha, epsilon }) : new L2InfBall({ shape: K.range, groupSize: 2, radius: alpha });
  return { K, g, fStar, ...(fStar instanceof HuberConjugate ? { f: fStar.conjugate() } : {}), gStar: g.conjugate() };
}

/** The fused Huber-TV kernel: `Pdhg` required to run it. */
function fusedPdhg(options: PdhgOptions = {}): Pdhg {
  return new Pdhg({ ...options, backend: 'wasm-f64' });
}

/** x̂ to machine precision by FISTA on the smooth primal (μ = λ, certificate ‖∇h‖/λ), and ŷ = ∇f(∇x̂). */
function reference(c: Case) {
  const { K, saddle, smooth, N } = setup(c);
  const solver = new Fista();
  const state = solver.init(smooth);
  const res = run(solver, state, { stop: anyOf(tolerance(1e-14), maxIterations(200000)), certificateEvery: 20 });
  expect(res.certificate.distance).toBeLessThan(1e-13);
  const xHat = Float64Array.from(state.x);
  const u = new Float64Array(2 * N);
  K.apply(xHat, u);
  const yHat = saddle.f!.gradient(u, new Float64Array(2 * N));
  return { xHat, yHat };
}

const square: Case = { C: 1, H: 12, W: 10, alpha: 0.15, epsilon: 0.05, lambda: 1, seed: 1 };
const colour: Case = { C: 2, H: 7, W: 9, alpha: 0.1, epsilon: 0.02, lambda: 2, seed: 3 };
const oneD: Case = { C: 1, H: 1, W: 40, alpha: 0.2, epsilon: 0.03, lambda: 1, seed: 5 };
const column: Case = { C: 1, H: 17, W: 1, alpha: 0.2, epsilon: 0.03, lambda: 1, seed: 6 };
// Narrow widths exercise the kernel's scalar edge columns next to (or instead of) its 2-wide SIMD loops.
const narrow: Case = { C: 1, H: 5, W: 2, alpha: 0.1, epsilon: 0.02, lambda: 1, seed: 7 };
const odd: Case = { C: 3, H: 4, W: 3, alpha: 0.1, epsilon: 0.02, lambda: 1.5, seed: 8 };
const wide: Case = { C: 1, H: 3, W: 37, alpha: 0.05, epsilon: 0.01, lambda: 1, seed: 9 };

const stepRules: { name: string; options: PdhgOptions }[] = [
  { name: 'linear', options: {} },
  { name: 'plain', options: { scheme: 'plain' } },
  { name: 'accelerated', options: { scheme: 'accelerated' } },
];

describe('Huber-TV denoising: PDHG (generic and fused) against FISTA on the smooth primal', () => {
  for (const c of [square, colour, oneD]) {
    const label = `${c.C}×${c.H}×${c.W}`;
    it(`${label}: generic PDHG, fused PDHG and FISTA agree to 1e-10`, () => {
      const { xHat, yHat } = reference(c);
      const { saddle, fused } = setup(c);
      const g = new Pdhg();
      const gs = g.init(saddle);
      const gr = run(g, gs, { stop: anyOf(tolerance(1e-11), maxIterations(20000)) });
      expect(gr.reason).toBe('converged');
      expect(dist(gs.x, xHat)).toBeLessThan(1e-10);
      expect(dist(gs.y, yHat)).toBeLessThan(1e-10);
      const f = fusedPdhg();
      const fs = f.init(fused);
      const fr = run(f, fs, { stop: anyOf(tolerance(1e-11), maxIterations(20000)) });
      expect(fr.reason).toBe('converged');
      expect(dist(fs.x, xHat)).toBeLessThan(1e-10);
      expect(dist(fs.y, yHat)).toBeLessThan(1e-10);
      expect(Math.abs(fr.certificate.gap)).toBeLessThan(1e-9);
    });

    it(`${label}: every certificate bounds the true distance (generic and fused, many iterations)`, () => {
      const { xHat, yHat } = reference(c);
      const { saddle, fused } = setup(c);
      for (const rule of stepRules) {
        const g = new Pdhg(rule.options);
        const gs = g.init(saddle);
        const f = fusedPdhg(rule.options);
        const fs = f.init(fused);
        let checked = 0;
        for (let k = 0; k < 600; k++) {
          if (k % 3 === 0) {
            const ex = dist(gs.x, xHat);
            const ey = dist(gs.y, yHat);
            if (ex < 1e-12 && ey < 1e-12) break;
            const cg = g.certificate(gs);
            const cf = f.certificate(fs);
            for (const cert of [cg, cf]) {
              expect(cert.epsX).toBeGreaterThanOrEqual(ex * (1 - 1e-9) - 1e-14);
              expect(cert.epsY).toBeGreaterThanOrEqual(ey * (1 - 1e-9) - 1e-14);
              expect(cert.gap).toBeGreaterThanOrEqual(-1e-12);
            }
            checked++;
          }
          g.step(gs);
          f.step(fs);
        }
        expect(checked).toBeGreaterThan(30);
      }
    });
  }

  for (const c of [square, colour, oneD, column, narrow, odd, wide]) {
    for (const rule of stepRules) {
      it(`${c.C}×${c.H}×${c.W}, ${rule.name}: fused iterates equal the generic ones to 1e-12`, () => {
        const { saddle, fused } = setup(c);
        const g = new Pdhg(rule.options);
        const gs = g.init(saddle);
        const f = fusedPdhg(rule.options);
        const fs = f.init(fused);
        // λ enters g as the diagonal √λ of a QuadraticFidelity: its strong convexity (√λ)² may round
        expect(Math.abs(fs.tau - gs.tau)).toBeLessThanOrEqual(1e-15 * gs.tau);
        expect(Math.abs(fs.sigma - gs.sigma)).toBeLessThanOrEqual(1e-15 * gs.sigma);
        for (let k = 0; k < 300; k++) {
          g.step(gs);
          f.step(fs);
          expect(maxRelDiff(fs.x, gs.x)).toBeLessThan(1e-12);
          expect(maxRelDiff(fs.y, gs.y)).toBeLessThan(1e-12);
        }
        const cg = g.certificate(gs);
        const cf = f.certificate(fs);
        for (const key of ['epsX', 'epsY', 'gap', 'primalObjective', 'dualObjective', 'primalResidual'] as const) {
          expect(Math.abs(cf[key] - cg[key])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(cg[key])));
        }
        expect(fs.cost).toEqual({ ...gs.cost, apply: fs.cost.apply, adjoint: fs.cost.adjoint, gradient: fs.cost.gradient });
      });
    }
  }
});

describe('TV denoising of a 1-D step (ε = 0): closed form', () => {
  // min ½‖x − b‖² + α Σ|x_{j+1} − x_j| with b = 0 on n1 entries, 1 on n2: for α/n1 + α/n2 < 1,
  // x̂ = α/n1 on the left and 1 − α/n2 on the right (the jump shrinks by α(1/n1 + 1/n2)).
  const n1 = 12;
  const n2 = 8;
  const alpha = 0.6;
  const b = new Float64Array(n1 + n2);
  for (let j = n1; j < n1 + n2; j++) b[j] = 1;
  const xHat = new Float64Array(n1 + n2);
  for (let j = 0; j < n1 + n2; j++) xHat[j] = j < n1 ? alpha / n1 : 1 - alpha / n2;

  const K = new Grad2D(1, 1, n1 + n2);
  const saddle: SaddleProblem = { K, g: new ShiftedQuadratic(1, b), fStar: new HuberConj(2 * (n1 + n2), 2, alpha, 0) };
  const fused = huberTvProblem(1, 1, n1 + n2, b, alpha, 0);

  it('plain PDHG reaches the closed form to machine precision; fused and generic agree', () => {
    const g = new Pdhg({ scheme: 'plain' });
    const gs = g.init(saddle);
    run(g, gs, { stop: maxIterations(2000) });
    expect(dist(gs.x, xHat)).toBeLessThan(1e-12);
    const f = fusedPdhg({ scheme: 'plain' });
    const fs = f.init(fused);
    const r = run(f, fs, { stop: maxIterations(2000) });
    expect(dist(fs.x, xHat)).toBeLessThan(1e-12);
    // TV: f* is not strongly convex and f has no gradient; the gap certifies the primal distance,
    // √(2·gap/μ_g), which levels off at its rounding allowance.
    expect(r.certificate.distance).toBe(r.certificate.epsX);
    expect(r.certificate.distance).toBeGreaterThanOrEqual(dist(fs.x, xHat));
    expect(r.certificate.distance).toBeLessThan(1e-6);
    expect(Math.abs(r.certificate.gap)).toBeLessThan(1e-12);
  });

  it('accelerated PDHG (auto: μ_f* = 0) converges at the O(1/N) rate of CP2011 Thm. 2', () => {
    const g = new Pdhg();
    const gs = g.init(saddle);
    expect(gs.work.steps.kind).toBe('accelerated');
    const f = fusedPdhg();
    const fs = f.init(fused);
    const errors: number[] = [];
    for (let k = 1; k <= 4000; k++) {
      g.step(gs);
      f.step(fs);
      if (k % 1000 === 0) errors.push(k * dist(fs.x, xHat));
    }
    expect(maxRelDiff(fs.x, gs.x)).toBeLessThan(1e-12);
    // N·‖xᴺ − x̂‖ stays bounded (here it is nearly constant: once y has converged,
    // xⁿ⁺¹ − x̂ = (xⁿ − x̂)/(1 + τ_n) with τ_n ≈ 1/(γn)).
    for (const e of errors) expect(e).toBeLessThan(10);
    expect(errors[3]!).toBeLessThanOrEqual(errors[0]! * 1.01);
  });
});

describe('fused Huber-TV kernel (Pdhg on the wasm-f64 backend): state, resume, validation', () => {
  it('a resumed run gives the same iterates as an uninterrupted one (accelerated steps)', () => {
    const { fused } = setup(square);
    const f = fusedPdhg({ scheme: 'accelerated' });
    const { uninterrupted: a, resumed: c } = resumedRun(f, fused, 50, 21);
    expect(Array.from(c.x)).toEqual(Array.from(a.x));
    expect(Array.from(c.y)).toEqual(Array.from(a.y));
    expect(f.certificate(c)).toEqual(f.certificate(a));
  });

  it('warm start { x, y } from the solution stops at once', () => {
    const { xHat, yHat } = reference(square);
    const { fused } = setup(square);
    const f = fusedPdhg();
    const r = run(f, f.init(fused, { x: xHat, y: yHat }), { stop: anyOf(tolerance(1e-10), maxIterations(10)) });
    expect(r.reason).toBe('converged');
    expect(r.iterations).toBe(0);
  });

  it('detects NaN (the projected dual keeps Huber-TV iterates bounded, so NaN is the failure mode)', () => {
    const { fused, N } = setup(square);
    const f = fusedPdhg();
    const x = new Float64Array(N);
    x[5] = Number.NaN;
    const r = run(f, f.init(fused, { x }), { stop: maxIterations(100) });
    expect(r.reason).toBe('diverged');
    expect(r.iterations).toBe(1);
  });

  it('validates the options; the kernel runs only the problems it states', () => {
    const { fused, saddle } = setup(square);
    expect(() => fusedPdhg({ scheme: 'plain', tau: 1, sigma: 1 }).init(fused)).toThrow(ValidationError);
    expect(() => new Pdhg({ backend: 'gpu' } as never)).toThrow(/backend/);
    // the test fixtures do not describe themselves: the generic composition runs them
    expect(new Pdhg().init(saddle).work.kernel).toEqual({ name: 'generic', backend: 'js-f64' });
    expect(() => fusedPdhg().init(saddle)).toThrow(/no wasm-f64 kernel/);
    expect(new Pdhg().init(fused).work.kernel).toEqual({ name: 'huber-tv', backend: 'wasm-f64' });
  });
});
