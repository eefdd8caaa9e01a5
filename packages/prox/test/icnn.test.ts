/**
 * The ICNN's functionals: the epigraph projection (variational inequality, brute force, Jacobian
 * per piece) and the dual faces (min-norm subgradients). The regularizer itself is tested in
 * `@bilevel/models`.
 */
import { describe, expect, it } from 'vitest';
import { Rng, nrm2 } from '@bilevel/core';
import {
  LeakyReluEpigraphConjugate,
  SmoothReluSumConjugate,
  leakyRelu,
  projectLeakyReluEpigraph,
} from '@bilevel/prox';

describe('epigraph projection of the (smoothed) leaky ReLU', () => {
  const configs = [
    { slope: 0.2, omega: 0 },
    { slope: 0.2, omega: 0.3 },
    { slope: 0, omega: 0.1 },
    { slope: 0.5, omega: 0.01 },
  ];

  /**
   * `trials` points `(p, t)` per config, both `scale·N(0, 1)` drawn from `rng` (lazily, so the
   * caller's own draws between points keep their order).
   */
  function* randomPoints(rng: Rng, trials: number, scale: number) {
    for (const { slope, omega } of configs) {
      for (let trial = 0; trial < trials; trial++) yield { slope, omega, p: scale * rng.normal(), t: scale * rng.normal() };
    }
  }

  it('satisfies the variational inequality ⟨u − Π(u), q − Π(u)⟩ ≤ 0 for q in the epigraph, and lands in it', () => {
    const rng = Rng.seeded(1);
    let worst = -Infinity;
    for (const { slope, omega, p, t } of randomPoints(rng, 400, 2)) {
      const { point } = projectLeakyReluEpigraph(p, t, slope, omega);
      expect(point[1]).toBeGreaterThanOrEqual(leakyRelu(point[0], slope, omega) - 1e-14);
      for (let k = 0; k < 20; k++) {
        const s = 2 * rng.normal();
        const q = [s, leakyRelu(s, slope, omega) + (k % 2) * rng.uniform()];
        const ip = (p - point[0]) * (q[0]! - point[0]) + (t - point[1]) * (q[1]! - point[1]);
        worst = Math.max(worst, ip / (1 + Math.hypot(p, t) ** 2));
      }
    }
    expect(worst).toBeLessThanOrEqual(1e-14);
    console.warn(`epigraph projection variational inequality: worst ${worst.toExponential(2)}`);
  });

  it('agrees with a brute-force minimisation of the distance to the graph', () => {
    const rng = Rng.seeded(2);
    let worst = 0;
    for (const { slope, omega, p, t } of randomPoints(rng, 100, 2)) {
      const { point, piece } = projectLeakyReluEpigraph(p, t, slope, omega);
      if (piece === 'inside') continue;
      // grid over s, then golden-section refinement around the best grid point
      const d = (s: number): number => (s - p) ** 2 + (leakyRelu(s, slope, omega) - t) ** 2;
      let best = -10;
      for (let s = -10; s <= 10; s += 1e-3) if (d(s) < d(best)) best = s;
      let lo = best - 2e-3;
      let hi = best + 2e-3;
      for (let it = 0; it < 200; it++) {
        const a = lo + 0.382 * (hi - lo);
        const b = lo + 0.618 * (hi - lo);
        if (d(a) < d(b)) hi = b;
        else lo = a;
      }
      const dist = Math.sqrt(Math.min(d(0.5 * (lo + hi)), d(0)));
      worst = Math.max(worst, Math.abs(Math.hypot(p - point[0], t - point[1]) - dist));
    }
    expect(worst).toBeLessThan(1e-9);
    console.warn(`epigraph projection vs brute force: worst distance error ${worst.toExponential(2)}`);
  });

  it('has the Jacobian of every piece (inside, left, right, kink, curved) against central differences', () => {
    const rng = Rng.seeded(3);
    const seen = new Set<string>();
    let worst = 0;
    for (const { slope, omega, p, t } of randomPoints(rng, 200, 1.5)) {
      const { jacobian, piece } = projectLeakyReluEpigraph(p, t, slope, omega);
      seen.add(piece);
      const h = 1e-7;
      for (let c = 0; c < 2; c++) {
        const dp = c === 0 ? h : 0;
        const dt = c === 1 ? h : 0;
        const plus = projectLeakyReluEpigraph(p + dp, t + dt, slope, omega);
        const minus = projectLeakyReluEpigraph(p - dp, t - dt, slope, omega);
        if (plus.piece !== piece || minus.piece !== piece) continue; // straddles a piece boundary
        for (let r = 0; r < 2; r++) {
          const fd = (plus.point[r]! - minus.point[r]!) / (2 * h);
          worst = Math.max(worst, Math.abs(fd - jacobian[r]![c]!));
        }
      }
      expect(jacobian[0][1]).toBe(jacobian[1][0]);
    }
    expect([...seen].sort()).toEqual(['curved', 'inside', 'kink', 'left', 'right']);
    expect(worst).toBeLessThan(1e-6);
    console.warn(`epigraph projection Jacobian vs central differences (h = 1e-7): worst entry error ${worst.toExponential(2)}`);
  });
});

describe('dual blocks: faces and min-norm subgradients', () => {
  it('LeakyReluEpigraphConjugate: (w − y)/σ ∈ ∂f*(y) at y = prox_{σf*}(w), so the min-norm element of ∂f*(y) − (w − y)/σ is 0', () => {
    const rng = Rng.seeded(4);
    for (const o of [
      { slope: 0.2, smoothing: 0 },
      { slope: 0.2, smoothing: 0.3, epsilon: 0.4 },
      { slope: 0, smoothing: 0.05, epsilon: 0.1 },
    ]) {
      const f = new LeakyReluEpigraphConjugate({ shape: [2, 50], bias: 0.1, ...o });
      for (const sigma of [0.3, 2]) {
        const w = rng.normalVec(100).map((t) => 3 * t);
        const y = f.prox(w, sigma, new Float64Array(100));
        const shift = w.map((t, i) => -(t - y[i]!) / sigma);
        const s = f.minNormSubgradient(y, shift, new Float64Array(100));
        expect(nrm2(100, s) / (1 + nrm2(100, shift))).toBeLessThan(1e-11);
      }
    }
  });

  it('LeakyReluEpigraphConjugate: min-norm subgradients satisfy the subgradient inequality at random feasible points', () => {
    const rng = Rng.seeded(5);
    const f = new LeakyReluEpigraphConjugate({ shape: [2, 40], slope: 0.25, smoothing: 0.2, epsilon: 0.3, bias: -0.05 });
    const y = f.prox(rng.normalVec(80).map((t) => 2 * t), 0.7, new Float64Array(80));
    const shift = rng.normalVec(80);
    const s = f.minNormSubgradient(y, shift, new Float64Array(80));
    const g = s.map((v, i) => v - shift[i]!); // an element of ∂f*(y)
    const fy = f.value(y);
    let worst = -Infinity;
    for (let k = 0; k < 200; k++) {
      const y2 = f.prox(rng.normalVec(80).map((t) => 2 * t), 0.5 + rng.uniform(), new Float64Array(80));
      let lin = 0;
      for (let i = 0; i < 80; i++) lin += g[i]! * (y2[i]! - y[i]!);
      worst = Math.max(worst, fy + lin - f.value(y2));
    }
    expect(worst).toBeLessThanOrEqual(1e-10);
  });

  it('SmoothReluSumConjugate: the same Moreau check on the box faces', () => {
    const rng = Rng.seeded(6);
    const f = new SmoothReluSumConjugate({ shape: [60], smoothing: 0.05, weight: 0.7, bias: 0.1 });
    const w = rng.normalVec(60);
    const y = f.prox(w, 0.9, new Float64Array(60));
    const shift = w.map((t, i) => -(t - y[i]!) / 0.9);
    expect(nrm2(60, f.minNormSubgradient(y, shift, new Float64Array(60)))).toBeLessThan(1e-12);
  });
});
