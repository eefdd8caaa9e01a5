/**
 * Weakly convex experts: `PotentialDifference` and the FoE with `concave` experts in the
 * conformance suite (gradient, HVP, constants, parameter and mixed derivatives against finite
 * differences), the certified weak-convexity bound `ρ` against the Hessian's smallest eigenvalue,
 * and the `foe` kind's potential "weakly-convex" (the cap projection, the start at experts).
 */
import { describe, expect, it } from 'vitest';
import { Rng, ValidationError, dot, shapeSize, type Vec } from '@bilevel/core';
import type { FunctionalCase } from '@bilevel/core/testing';
import { describeFunctionalSuite } from '@bilevel/core/testing/vitest';
import { QuadraticFidelity, SmoothAbs } from '@bilevel/prox';
import { FieldsOfExperts, PotentialDifference, models, smoothObjective, smoothReconstruction } from '@bilevel/models';

/** A FoE with weakly convex experts (`d_i = ½e^{θ₀}·weight_i`, `η_i = smoothing_i`). */
const weak = (o: { boundary?: 'reflect' | 'periodic' | 'valid' | 'zero'; shape?: [number, number, number]; weight?: number; filterWeights?: number[]; concave?: number[] } = {}): FieldsOfExperts =>
  new FieldsOfExperts({
    shape: o.shape ?? [1, 6, 7],
    filters: 3,
    kernelSize: 3,
    seed: 11,
    boundary: o.boundary ?? 'reflect',
    weight: o.weight ?? 0.9,
    filterWeights: o.filterWeights ?? [1.2, 0.7, 2],
    smoothing: [0.3, 0.2, 0.25],
    concave: { weight: o.concave ?? [0.5, 0.3, 0.8], smoothing: [1.1, 0.9, 1.4] },
  });

const difference = (): PotentialDifference => {
  const shape = [6] as const;
  return new PotentialDifference(new SmoothAbs({ shape: [...shape], weight: 1.5, nu: 0.02 }), new SmoothAbs({ shape: [...shape], weight: 0.6, nu: 0.9 }));
};

const denoise = (reg: FieldsOfExperts, nonconvex = false): ReturnType<typeof smoothObjective> => {
  const n = shapeSize(reg.domain);
  return smoothObjective({ data: new QuadraticFidelity({ shape: reg.domain, data: Rng.seeded(31).normalVec(n) }), regularizer: reg, nonconvex });
};

const cases: FunctionalCase[] = [
  { name: 'PotentialDifference 1.5√(t² + 0.02²) − 0.6√(t² + 0.9²)', make: () => difference() },
  { name: 'FieldsOfExperts weakly convex, reflect, smooth form', make: () => weak().smooth() },
  { name: 'FieldsOfExperts weakly convex, 2 channels valid, smooth form', make: () => weak({ shape: [2, 6, 7], boundary: 'valid' }).smooth() },
  { name: 'smoothObjective ½‖x−b‖² + weakly convex FieldsOfExperts', make: () => denoise(weak({ weight: 0.2 })) },
];
describeFunctionalSuite('weakly convex experts', cases);

/** Smallest eigenvalue of the symmetric `H` (`n×n`, by its products) from the dense matrix's Jacobi sweeps. */
function smallestEigenvalue(n: number, apply: (v: Vec, out: Vec) => Vec): number {
  const A = Array.from({ length: n }, (_, j) => {
    const e = new Float64Array(n);
    e[j] = 1;
    return apply(e, new Float64Array(n));
  });
  // symmetric Jacobi eigenvalue iteration on the dense matrix
  const a = A.map((col, j) => Float64Array.from({ length: n }, (_, i) => 0.5 * (col[i]! + A[i]![j]!)));
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p]![q]! ** 2;
    if (off < 1e-26) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p]![q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k]![p]!;
          const akq = a[k]![q]!;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p]![k]!;
          const aqk = a[q]![k]!;
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Math.min(...a.map((row, i) => row[i]!));
}

describe('the weak-convexity bound ρ (∇²R ⪰ −ρI)', () => {
  it('PotentialDifference: −L_q ≤ φ″ ≤ max(L_p, L_q) on a fine grid, and the lower end is nearly reached', () => {
    const f = difference();
    const t = Float64Array.from({ length: 6 });
    const v = Float64Array.from({ length: 6 }, () => 1);
    const out = new Float64Array(6);
    let lo = Infinity;
    for (let s = -4; s <= 4; s += 1e-3) {
      t.fill(s);
      lo = Math.min(lo, f.hvp(t, v, out)[0]!);
      expect(out[0]!).toBeLessThanOrEqual(f.lipschitz);
    }
    expect(f.strongConvexity).toBeCloseTo(-0.6 / 0.9, 12);
    expect(lo).toBeGreaterThanOrEqual(f.strongConvexity);
    expect(lo).toBeLessThan(0.6 * f.strongConvexity);
  });

  it.each(['periodic', 'zero', 'valid', 'reflect'] as const)('%s boundary: λ_min(∇²R) ≥ −ρ at random points, and at x = 0 with vanishing convex parts λ_min is within the bound’s slack of −ρ', (boundary) => {
    // with c_i → 0, ∇²R(0) = −Σ_i (d_i/η_i)K_iᵀK_i: its smallest eigenvalue is −‖K_β‖², what ρ bounds
    const R = weak({ boundary, shape: [1, 8, 8], filterWeights: [1e-9, 1e-9, 1e-9] });
    const h = R.smooth();
    const n = 64;
    const rho = R.weakConvexity();
    expect(h.strongConvexity).toBe(-rho);
    const hessianAt = (x: Vec) => smallestEigenvalue(n, (v, out) => h.hvp(x, v, out));
    const atZero = hessianAt(new Float64Array(n));
    expect(atZero).toBeGreaterThanOrEqual(-rho * (1 + 1e-12));
    // measured λ_min/(−ρ): periodic 1.0000 (the bound is the response's maximum over frequencies), zero
    // 0.89 and valid 0.85 (restrictions of the plane's convolution to an 8×8 image), reflect 0.39 (the
    // bound counts the mirrored pixels twice per axis)
    const slack = { periodic: 1.01, zero: 1.25, valid: 1.25, reflect: 3 }[boundary];
    expect(atZero).toBeLessThan(-rho / slack);
    const r = Rng.seeded(3);
    for (let k = 0; k < 3; k++) expect(hessianAt(r.normalVec(n).map((s) => 0.4 * s))).toBeGreaterThanOrEqual(-rho * (1 + 1e-12));
  });

  it('is linear in the concave weights, 0 for convex experts, and follows setParams', () => {
    const R = weak();
    const rho = R.weakConvexity();
    const theta = Float64Array.from(R.params);
    for (let i = 0; i < 3; i++) theta[1 + 6 + i] = theta[1 + 6 + i]! + Math.log(2);
    expect(R.weakConvexityOf(theta)).toBeCloseTo(2 * rho, 9);
    expect(R.weakConvexity()).toBe(rho);
    R.setParams(theta);
    expect(R.weakConvexity()).toBeCloseTo(2 * rho, 9);
    expect(new FieldsOfExperts({ shape: [1, 6, 7], filters: 3, kernelSize: 3 }).weakConvexity()).toBe(0);
    expect(new FieldsOfExperts({ shape: [1, 6, 7], filters: 3, kernelSize: 3 }).smooth().strongConvexity).toBe(0);
  });

  it('data + R: μ = μ_data − ρ; refused with a named error when ρ ≥ μ_data; no saddle form', () => {
    const h = denoise(weak({ weight: 0.2 }));
    const R = weak({ weight: 0.2 });
    expect(R.weakConvexity()).toBeGreaterThan(0);
    expect(R.weakConvexity()).toBeLessThan(1);
    expect(h.strongConvexity).toBeCloseTo(1 - R.weakConvexity(), 14);
    expect(() => denoise(weak({ weight: 50 })).strongConvexity).toThrow(ValidationError);
    expect(() => denoise(weak({ weight: 50 })).strongConvexity).toThrow(/not strongly convex.*weak convexity/);
    // built nonconvex (non-convex experts), the signed modulus 1 − ρ ≤ 0 is reported, not refused
    const strong = weak({ weight: 50 });
    expect(strong.weakConvexity()).toBeGreaterThan(1);
    expect(denoise(strong, true).strongConvexity).toBeCloseTo(1 - strong.weakConvexity(), 12);
    expect(R.hasSaddleForm).toBe(false);
    expect(() => R.saddle()).toThrow(/no saddle form/);
  });
});

describe('foe kind, potential "weakly-convex"', () => {
  const shape = [1, 10, 10] as const;
  const options = { filters: 4, filterSize: 5, potential: 'weakly-convex', maxWeakConvexity: 0.3, boundary: 'valid' };

  it('θ = [θ₀, θ_i, s_i, r_i, q_i, kernels]; the cap projection keeps ρ ≤ maxWeakConvexity and scales only the concave weights', () => {
    const spec = models.initial('foe', options, { logConcaveWeight: 2, logWeight: 0 }, { rng: Rng.seeded(1), seed: 1, shape: [...shape] });
    const model = models.build(spec, [...shape]);
    expect(model.paramNames().slice(9, 17)).toEqual([...['0', '1', '2', '3'].map((i) => `log_concave_weight[${i}]`), ...['0', '1', '2', '3'].map((i) => `log_concave_smoothing[${i}]`)]);
    expect(model.layout.length).toBe(1 + 16 + 4 * 25);
    const R = new FieldsOfExperts({ shape: [...shape], filters: 4, kernelSize: 5, boundary: 'valid', concave: { weight: 1, smoothing: 1 } });
    const theta = Float64Array.from(spec.theta);
    // the start is capped already (logConcaveWeight 2 alone would put ρ far above 0.3)
    expect(R.weakConvexityOf(theta)).toBeLessThanOrEqual(0.3);
    expect(R.weakConvexityOf(theta)).toBeGreaterThan(0.3 * (1 - 1e-9));
    for (let i = 9; i < 13; i++) theta[i] = theta[i]! + Math.log(3);
    expect(R.weakConvexityOf(theta)).toBeCloseTo(0.9, 6);
    const before = Float64Array.from(theta);
    for (const p of model.projections) p(theta);
    expect(R.weakConvexityOf(theta)).toBeLessThanOrEqual(0.3);
    expect(R.weakConvexityOf(theta)).toBeGreaterThan(0.3 * (1 - 1e-9));
    const shift = theta[9]! - before[9]!;
    for (let i = 9; i < 13; i++) expect(theta[i]! - before[i]!).toBeCloseTo(shift, 14);
    for (let i = 13; i < 17; i++) expect(theta[i]).toBe(before[i]);
    // below the cap it changes nothing (beyond the zero-mean projection)
    const again = Float64Array.from(theta);
    for (const p of model.projections) p(again);
    expect([...again.subarray(0, 17)]).toEqual([...theta.subarray(0, 17)]);
    model.setParams(theta);
    const h = smoothObjective({ data: new QuadraticFidelity({ shape: [...shape], data: new Float64Array(100) }), regularizer: model.smooth!.R });
    expect(h.strongConvexity).toBeGreaterThanOrEqual(0.7 * (1 - 1e-12));
  });

  it('starts at a smooth FoE’s experts: R_θ is that FoE less the concave experts', () => {
    const smooth = models.initial('foe', { filters: 4, filterSize: 3, boundary: 'reflect' }, { logWeight: -1, logSmoothing: -2 }, { rng: Rng.seeded(2), seed: 2, shape: [...shape] });
    const experts = models.experts(smooth);
    const expertsData = { ...experts, kernels: [...experts.kernels], weights: [...experts.weights], smoothings: [...experts.smoothings] };
    // 3×3 experts centred in 5×5 filters: exact with a boundary that extends the image (not with "valid")
    const spec = models.initial('foe', { ...options, boundary: 'reflect' }, { experts: expertsData, logConcaveWeight: -40 }, { rng: Rng.seeded(3), seed: 3, shape: [...shape] });
    expect(() => models.initial('foe', options, { experts: expertsData }, { rng: Rng.seeded(3), seed: 3, shape: [...shape] })).toThrow(/boundary "valid"/);
    const a = models.build(smooth, [...shape]).smooth!.R;
    const b = models.build(spec, [...shape]).smooth!.R;
    const x = Rng.seeded(4).normalVec(100);
    expect(Math.abs(b.value(x) - a.value(x))).toBeLessThan(1e-12 * Math.abs(a.value(x)));
    const ga = a.gradient(x, new Float64Array(100));
    const gb = b.gradient(x, new Float64Array(100));
    expect(Math.sqrt(dot(100, ga, ga))).toBeGreaterThan(0);
    for (let i = 0; i < 100; i++) expect(gb[i]!).toBeCloseTo(ga[i]!, 12);
    expect(() => models.experts(spec)).toThrow(/not a sum of convex experts/);
  });

  it('maxWeakConvexity null: no cap (ρ may exceed 1), the smooth form is marked nonconvex and its lower level reports the signed μ = 1 − ρ', () => {
    const o = { ...options, maxWeakConvexity: null };
    const spec = models.initial('foe', o, { logConcaveWeight: 2, logWeight: 0 }, { rng: Rng.seeded(1), seed: 1, shape: [...shape] });
    const capped = models.initial('foe', options, { logConcaveWeight: 2, logWeight: 0 }, { rng: Rng.seeded(1), seed: 1, shape: [...shape] });
    const R = new FieldsOfExperts({ shape: [...shape], filters: 4, kernelSize: 5, boundary: 'valid', concave: { weight: 1, smoothing: 1 } });
    const rho = R.weakConvexityOf(Float64Array.from(spec.theta));
    expect(rho).toBeGreaterThan(1);
    // the same start, capped only where the cap is given
    expect(R.weakConvexityOf(Float64Array.from(capped.theta))).toBeLessThanOrEqual(0.3);
    const model = models.build(spec, [...shape]);
    expect(model.smooth!.nonconvex).toBe(true);
    expect(models.build(capped, [...shape]).smooth!.nonconvex).toBe(false);
    expect(model.formula).toMatch(/uncapped.*non-convex experts/);
    // only the zero-mean projection: θ's weights are left as they are
    const theta = Float64Array.from(spec.theta);
    for (const p of model.projections) p(theta);
    expect([...theta.subarray(0, 17)]).toEqual([...spec.theta.slice(0, 17)]);
    const { problem } = smoothReconstruction(model, { degraded: new Float64Array(100) });
    expect(problem.h.strongConvexity).toBeCloseTo(1 - rho, 10);
  });

  it('refuses experts that do not fit, experts with "huber", and a cap outside (0, 1)', () => {
    const smooth = models.initial('foe', { filters: 3, filterSize: 3 }, {}, { rng: Rng.seeded(2), seed: 2, shape: [...shape] });
    const e = models.experts(smooth);
    const data = { ...e, kernels: [...e.kernels], weights: [...e.weights], smoothings: [...e.smoothings] };
    const init = (o: object, i: object) => () => models.initial('foe', o, i, { rng: Rng.seeded(1), seed: 1, shape: [...shape] });
    expect(init(options, { experts: data })).toThrow(/do not fit 4 filters/);
    expect(init({ ...options, filters: 3, potential: 'huber' }, { experts: data })).toThrow(/not "huber"/);
    expect(init({ ...options, maxWeakConvexity: 1 }, {})).toThrow(/maxWeakConvexity/);
  });
});
