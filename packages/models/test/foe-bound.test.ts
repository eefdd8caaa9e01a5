/**
 * The certified constants of MAID's bound for the smooth Fields of Experts
 * (`fieldsOfExpertsBoundConstants`, docs/math/implicit.md#the-smooth-fields-of-experts) against
 * the quantities they bound, measured on random instances (gray and colour, random filters,
 * weights and smoothings): `‖B(x̃)‖` by power iteration on `BᵀB`, `‖B(x) − B(y)‖/‖x − y‖` and
 * `‖A(x)⁻¹ − A(y)⁻¹‖/‖x − y‖` (dense inverses) for points within the radius.
 */
import { describe, expect, it } from 'vitest';
import { Rng, nrm2, powerIteration, type LinearOperator, type ParametricSmooth, type Vec } from '@bilevel/core';
import { models, smoothReconstruction, type ModelSpec } from '@bilevel/models';

interface Instance {
  readonly spec: ModelSpec;
  readonly shape: [number, number, number];
}

/** A random smooth FoE: `m` filters `k×k×C`, log-weights and log-smoothings drawn around the defaults. */
function randomFoe(rng: Rng, C: number, m: number, k: number, boundary: string, S: number): Instance {
  const options = { potential: 'smooth', filters: m, filterSize: k, channels: C, boundary };
  const spec = models.initial('foe', options, { filterScale: 1 + 2 * rng.uniform() }, { rng, seed: 1, shape: [C, S, S] });
  const theta = [...spec.theta];
  theta[0] = -1 + 2 * rng.uniform();
  for (let i = 0; i < m; i++) {
    theta[1 + i] = -1 + 2 * rng.uniform();
    theta[1 + m + i] = -3 + 2 * rng.uniform();
  }
  return { spec: { ...spec, theta }, shape: [C, S, S] };
}

/** `h = ½‖x − b‖² + R` of an instance, and its model's constants at `(x, radius)`. */
function objective(inst: Instance, b: Vec) {
  const model = models.build(inst.spec, inst.shape);
  const h = smoothReconstruction(model, { degraded: b }).problem.h as ParametricSmooth;
  return { h, constants: (x: Vec, r: number) => model.smooth!.boundConstants!(h, x, r) };
}

/** `B(x)` as a linear operator `dθ ↦ ∂_θ∇h(x)·dθ`. */
function mixed(h: ParametricSmooth, x: Vec): LinearOperator {
  return {
    domain: [h.params.length],
    range: [x.length],
    apply: (d, out) => h.mixedJvp(x, d, out),
    adjoint: (q, out) => {
      h.mixedVjp(x, q, out.fill(0));
      return out;
    },
  };
}

/** `B(x) − B(y)`. */
function difference(h: ParametricSmooth, x: Vec, y: Vec): LinearOperator {
  const t = new Float64Array(x.length);
  const s = new Float64Array(h.params.length);
  return {
    domain: [h.params.length],
    range: [x.length],
    apply: (d, out) => {
      h.mixedJvp(x, d, out);
      h.mixedJvp(y, d, t);
      for (let i = 0; i < out.length; i++) out[i] = out[i]! - t[i]!;
      return out;
    },
    adjoint: (q, out) => {
      h.mixedVjp(x, q, out.fill(0));
      h.mixedVjp(y, q, s.fill(0));
      for (let i = 0; i < out.length; i++) out[i] = out[i]! - s[i]!;
      return out;
    },
  };
}

/** Dense `A(x)⁻¹` (Gauss–Jordan on the Hessian assembled from hvp's). */
function inverseHessian(h: ParametricSmooth, x: Vec): Float64Array[] {
  const n = x.length;
  const e = new Float64Array(n);
  const rows: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    e.fill(0);
    e[j] = 1;
    rows.push(h.hvp(x, e, new Float64Array(n)));
  }
  const a = rows.map((r, i) => {
    const row = new Float64Array(2 * n);
    row.set(r);
    row[n + i] = 1;
    return row;
  });
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i]![k]!) > Math.abs(a[p]![k]!)) p = i;
    [a[k], a[p]] = [a[p]!, a[k]!];
    const piv = a[k]![k]!;
    for (let j = 0; j < 2 * n; j++) a[k]![j] = a[k]![j]! / piv;
    for (let i = 0; i < n; i++) {
      if (i === k) continue;
      const f = a[i]![k]!;
      if (f !== 0) for (let j = 0; j < 2 * n; j++) a[i]![j] = a[i]![j]! - f * a[k]![j]!;
    }
  }
  return a.map((r) => r.slice(n));
}

function matrixOperator(M: readonly Float64Array[]): LinearOperator {
  const n = M.length;
  return {
    domain: [n],
    range: [n],
    apply: (v, out) => {
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += M[i]![j]! * v[j]!;
        out[i] = s;
      }
      return out;
    },
    adjoint: (v, out) => {
      out.fill(0);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[j] = out[j]! + M[i]![j]! * v[i]!;
      return out;
    },
  };
}

const CASES: [string, number, number, number, string, number][] = [
  ['gray, 4 filters 3×3, reflect', 1, 4, 3, 'reflect', 8],
  ['gray, 3 filters 5×5, symmetric', 1, 3, 5, 'symmetric', 8],
  ['colour, 3 filters 3×3×3, zero', 3, 3, 3, 'zero', 5],
  ['gray, 3 filters 3×3, valid', 1, 3, 3, 'valid', 8],
  ['colour, 2 filters 3×3×3, valid', 3, 2, 3, 'valid', 5],
];

describe('fieldsOfExpertsBoundConstants (smooth FoE, certified)', () => {
  it.each(CASES)('%s: ‖B‖, L_B and L_{A⁻¹} bound the measured quantities on random instances', (_name, C, m, k, boundary, S) => {
    const rng = Rng.seeded(17 + C + m + k);
    const ratios = { normB: Infinity, lipB: Infinity, lipAInv: Infinity };
    for (let trial = 0; trial < 4; trial++) {
      const inst = randomFoe(rng, C, m, k, boundary, S);
      const n = C * S * S;
      const b = rng.normalVec(n).map((t) => 0.5 + 0.2 * t);
      const { h, constants } = objective(inst, b);
      const x = rng.normalVec(n).map((t) => 0.5 + 0.3 * t);
      const radius = 0.05 + 0.5 * rng.uniform();
      const c = constants(x, radius);
      expect(c.certified).toBe(true);
      const normB = powerIteration(mixed(h, x), { maxIter: 500, rtol: 1e-12, seed: trial }).value;
      expect(c.normB).toBeGreaterThanOrEqual(normB);
      ratios.normB = Math.min(ratios.normB, c.normB / normB);
      for (const scale of [1, 0.1]) {
        const dir = rng.normalVec(n);
        const y = x.map((v, i) => v + (scale * radius * dir[i]!) / nrm2(n, dir));
        const dist = scale * radius;
        const lipB = powerIteration(difference(h, x, y), { maxIter: 300, rtol: 1e-10, seed: trial }).value / dist;
        expect(c.lipB).toBeGreaterThanOrEqual(lipB);
        ratios.lipB = Math.min(ratios.lipB, c.lipB / lipB);
        if (n <= 75) {
          const Ax = inverseHessian(h, x);
          const Ay = inverseHessian(h, y);
          const lipA = powerIteration(matrixOperator(Ax.map((r, i) => r.map((v, j) => v - Ay[i]![j]!))), { maxIter: 300, rtol: 1e-10 }).value / dist;
          expect(c.lipAInv).toBeGreaterThanOrEqual(lipA);
          ratios.lipAInv = Math.min(ratios.lipAInv, c.lipAInv / lipA);
        }
      }
    }
    console.warn(`FoE bound constants (${_name}): smallest bound/measured ‖B‖ ${ratios.normB.toFixed(2)}, L_B ${ratios.lipB.toFixed(1)}, L_A⁻¹ ${ratios.lipAInv.toFixed(1)}`);
  });

  it('makes the smooth FoE certified (MAID may train it) and refuses a colour model on gray images', () => {
    const spec = models.initial('foe', { potential: 'smooth', filters: 2, filterSize: 3 }, {}, { rng: Rng.seeded(1), seed: 1, shape: [1, 8, 8] });
    expect(models.build(spec, [1, 8, 8]).smooth?.certified).toBe(true);
    const colour = models.initial('foe', { potential: 'smooth', filters: 2, filterSize: 3, channels: 3 }, {}, { rng: Rng.seeded(1), seed: 1, shape: [3, 8, 8] });
    expect(colour.theta.length).toBe(1 + 4 + 2 * 27);
    expect(() => models.build(colour, [1, 8, 8])).toThrow(/span 3 channel\(s\).*images have 1/);
  });
});
