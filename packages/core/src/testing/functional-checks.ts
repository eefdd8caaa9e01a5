/**
 * Checks for functionals, prox maps and conjugates, by their definitions.
 * @module
 */
import { dot, nrm2 } from '../blas.js';
import type { Functional, Proximable } from '../contracts/functional.js';
import type { Rng } from '../rng.js';
import type { Vec } from '../vec.js';

/** Result of {@link checkProxByDefinition}. */
export interface ProxDefinitionCheck {
  /**
   * Worst violation of the quadratic-growth inequality
   * `Φ(z) ≥ Φ(p) + ½‖z − p‖²` for `Φ = τf + ½‖· − v‖²`, relative to `1 + |Φ(p)|`
   * (≤ 0 up to rounding for the exact prox).
   */
  readonly violation: number;
  /** Number of perturbations tried. */
  readonly trials: number;
}

/**
 * The prox output `p = prox_{τf}(v)` minimises `Φ(z) = τ f(z) + ½‖z − v‖²`; as `Φ` is
 * 1-strongly convex, every `z` satisfies `Φ(z) ≥ Φ(p) + ½‖z − p‖²`. Test that on random
 * perturbations `z = p + d` at several scales, plus coordinate steps. This is stricter than
 * "beats random perturbations" (pyxu `test_math_prox`): a prox that is off by `Δ` violates the
 * inequality for about half of all small perturbations.
 */
export function checkProxByDefinition(f: Proximable, v: Vec, tau: number, rng: Rng, trials = 40): ProxDefinitionCheck {
  const n = v.length;
  const p = f.prox(v, tau, new Float64Array(n));
  const phi = (z: Vec): number => {
    let s = 0;
    for (let i = 0; i < n; i++) s += (z[i]! - v[i]!) ** 2;
    return tau * f.value(z) + 0.5 * s;
  };
  const phiP = phi(p);
  const base = 1 + Math.abs(phiP) + nrm2(n, p);
  const z = new Float64Array(n);
  let violation = -Infinity;
  const scales = [1e-1, 1e-2, 1e-3, 1e-4];
  for (let t = 0; t < trials; t++) {
    const scale = scales[t % scales.length]! * (1 + nrm2(n, p) / Math.sqrt(n));
    const d = rng.normalVec(n);
    if (t % 5 === 4) {
      d.fill(0);
      d[rng.int(0, n - 1)] = rng.normal();
    }
    const s = scale / Math.sqrt(dot(n, d, d) / n || 1);
    let dd = 0;
    for (let i = 0; i < n; i++) {
      z[i] = p[i]! + s * d[i]!;
      dd += (s * d[i]!) ** 2;
    }
    const gap = phi(z) - phiP - 0.5 * dd;
    if (Number.isFinite(gap)) violation = Math.max(violation, -gap / base);
  }
  return { violation, trials };
}

/**
 * Fenchel–Young: `f(x) + f*(y) ≥ ⟨x, y⟩` for all `x, y`, with equality when `y ∈ ∂f(x)`.
 * Equality is tested at `x = prox_{τf}(v)`, `y = (v − x)/τ`; the inequality at random pairs.
 * Returns `{ equalityGap, inequalityViolation }` relative to `1 + |⟨x, y⟩|`.
 */
export function checkFenchelYoung(
  f: Proximable,
  fStar: Functional,
  v: Vec,
  tau: number,
  rng: Rng,
  trials = 10,
): { equalityGap: number; inequalityViolation: number } {
  const n = v.length;
  const x = f.prox(v, tau, new Float64Array(n));
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = (v[i]! - x[i]!) / tau;
  const xy = dot(n, x, y);
  const equalityGap = Math.abs(f.value(x) + fStar.value(y) - xy) / (1 + Math.abs(xy));
  let inequalityViolation = -Infinity;
  for (let t = 0; t < trials; t++) {
    const a = rng.normalVec(n);
    const b = f.prox(rng.normalVec(n), tau, new Float64Array(n));
    for (let i = 0; i < n; i++) b[i] = (b[i]! - a[i]!) * rng.uniform() + a[i]!;
    const s = dot(n, a, b);
    const lhs = f.value(a) + fStar.value(b);
    if (Number.isFinite(lhs)) inequalityViolation = Math.max(inequalityViolation, (s - lhs) / (1 + Math.abs(s)));
  }
  return { equalityGap, inequalityViolation };
}

/**
 * Moreau decomposition: `v = prox_{τf}(v) + τ·prox_{τ⁻¹f*}(v/τ)`; returns the max absolute
 * residual relative to `1 + ‖v‖_∞`. Circular (always passes) when `fStar` is itself derived
 * through Moreau from `f`, so suites skip it then.
 */
export function moreauResidual(f: Proximable, fStar: Proximable, v: Vec, tau: number): number {
  const n = v.length;
  const p = f.prox(v, tau, new Float64Array(n));
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = v[i]! / tau;
  const q = fStar.prox(w, 1 / tau, new Float64Array(n));
  let m = 0;
  let vmax = 0;
  for (let i = 0; i < n; i++) {
    m = Math.max(m, Math.abs(v[i]! - p[i]! - tau * q[i]!));
    vmax = Math.max(vmax, Math.abs(v[i]!));
  }
  return m / (1 + vmax);
}

/**
 * Biconjugate check `f** = f` at the given points: max relative difference of values (both
 * infinite counts as agreement).
 */
export function biconjugateError(f: Functional, fStarStar: Functional, points: readonly Vec[]): number {
  let m = 0;
  for (const x of points) {
    const a = f.value(x);
    const b = fStarStar.value(x);
    if (a === Infinity && b === Infinity) continue;
    m = Math.max(m, Math.abs(a - b) / (1 + Math.abs(a)));
  }
  return m;
}
