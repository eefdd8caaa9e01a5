/**
 * Conformance suite of the calculus (scaling, argument transforms, added terms, separable sums,
 * Moreau conjugates and envelopes), plus closed-form spot checks of the flattened transforms.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '@bilevel/core';
import type { FunctionalCase } from '@bilevel/core/testing';
import { describeFunctionalSuite } from '@bilevel/core/testing/vitest';
import {
  addLinear,
  addQuadratic,
  argScale,
  conjugateByMoreau,
  GroupHuber,
  GroupL21,
  Huber,
  HuberConjugate,
  L1,
  L2InfBall,
  moreauEnvelope,
  NonNegative,
  QuadraticFidelity,
  scale,
  SeparableSum,
  SmoothAbs,
  SquaredL2,
  translate,
  TransformedFunctional,
} from '@bilevel/prox';
import { groupPoint, uniformVec, without } from './helpers.js';

const S = [3, 4];
const n = 12;
const b = uniformVec(21, n, -1, 1);
const c = uniformVec(22, n, -0.5, 0.5);

const cases: FunctionalCase[] = [
  { name: 'scale(Huber, 2.5)', make: () => scale(new Huber({ shape: S, alpha: 0.7, epsilon: 0.3 }), 2.5) },
  { name: 'argScale(GroupHuber G=2, −1.5, offset)', make: () => argScale(new GroupHuber({ shape: S, groupSize: 2, alpha: 0.4, epsilon: 0.5 }), -1.5, c) },
  { name: 'translate(L1, b)', make: () => translate(new L1({ shape: S, weight: 0.3 }), b) },
  { name: 'addQuadratic(L1, 0.5, center)', make: () => addQuadratic(new L1({ shape: S, weight: 0.3 }), 0.5, c) },
  {
    name: 'addQuadratic(HuberConjugate G=2, 0.3)',
    make: () => addQuadratic(new HuberConjugate({ shape: S, groupSize: 2, alpha: 0.6, epsilon: 0.2 }), 0.3),
    point: (r, m) => groupPoint(r, m, 2, 0.05, 0.5),
  },
  { name: 'addLinear(SquaredL2, c)', make: () => addLinear(new SquaredL2({ shape: S, weight: 0.8 }), c) },
  {
    name: 'scale(argScale(translate(SmoothAbs, b), 0.7), 1.3) (flattened)',
    make: () => scale(argScale(translate(new SmoothAbs({ shape: S, weight: 0.5, nu: 0.2 }), b), 0.7), 1.3),
  },
  { name: 'moreauEnvelope(L1, 0.5)', make: () => moreauEnvelope(new L1({ shape: S, weight: 0.6 }), 0.5) },
  {
    name: 'moreauEnvelope(GroupL21 G=3, 0.8)',
    make: () => moreauEnvelope(new GroupL21({ shape: S, groupSize: 3, weight: 0.4 }), 0.8),
  },
  {
    name: 'conjugateByMoreau(SmoothAbs) (value via conjugateValue)',
    make: () => conjugateByMoreau(new SmoothAbs({ shape: S, weight: 0.7, nu: 0.25 })),
    point: (r, m) => groupPoint(r, m, 1, 0.05, 1.5),
  },
  {
    name: 'SeparableSum [Huber, L2InfBall G=2, SquaredL2, NonNegative]',
    make: () =>
      new SeparableSum([
        new Huber({ shape: [6], alpha: 0.5, epsilon: 0.4 }),
        new L2InfBall({ shape: [2, 4], groupSize: 2, radius: 0.9 }),
        new SquaredL2({ shape: [5], weight: 1.3 }),
        new NonNegative({ shape: [3] }),
      ]),
  },
  {
    // the dual term of TGV: isotropic groups of 2 (∇x − w) and of 3 (Ew); hvp/hvpInverse at graph points
    name: 'SeparableSum [HuberConjugate G=2, HuberConjugate G=3] (mixed activity)',
    make: () =>
      new SeparableSum([
        without(new HuberConjugate({ shape: [2, 4], groupSize: 2, alpha: 0.3, epsilon: 0.1 }), 'valueParamGrad'),
        without(new HuberConjugate({ shape: [3, 4], groupSize: 3, alpha: 0.5, epsilon: 0.2 }), 'valueParamGrad'),
      ]),
    point: (r) => Float64Array.of(...groupPoint(r, 8, 2, 0.05, 2.5), ...groupPoint(r, 12, 3, 0.05, 2.5)),
  },
  {
    name: 'SeparableSum [SmoothAbs, SquaredL2, QuadraticFidelity] (smooth)',
    make: () =>
      new SeparableSum([
        new SmoothAbs({ shape: [4], weight: 0.6, nu: 0.3 }),
        new SquaredL2({ shape: [3], weight: 2 }),
        new QuadraticFidelity({ shape: [5], data: uniformVec(23, 5, -1, 1), mu: 0.2 }),
      ]),
  },
];

describeFunctionalSuite('prox calculus', cases);

describe('calculus: closed forms and capability propagation', () => {
  const rng = Rng.seeded(7);
  const x = rng.normalVec(n);

  it('nested transforms are flattened onto the base functional', () => {
    const f = new SmoothAbs({ shape: S, weight: 0.5, nu: 0.2 });
    const h = scale(argScale(translate(f, b), 0.7), 1.3);
    expect(h).toBeInstanceOf(TransformedFunctional);
    expect(h.inner).toBe(f);
    // h(x) = 1.3 f(0.7x − b)
    const z = x.map((t, i) => 0.7 * t - b[i]!);
    expect(h.value(x)).toBeCloseTo(1.3 * f.value(z), 12);
  });

  it('addQuadratic with a center equals f + μ/2‖x − c‖²', () => {
    const f = new L1({ shape: S, weight: 0.3 });
    const h = addQuadratic(f, 0.5, c);
    let q = 0;
    for (let i = 0; i < n; i++) q += (x[i]! - c[i]!) ** 2;
    expect(h.value(x)).toBeCloseTo(f.value(x) + 0.25 * q, 12);
    expect(h.strongConvexity).toBe(0.5);
  });

  it('capabilities mirror the wrapped functional', () => {
    const box = scale(new NonNegative({ shape: S }), 2);
    expect(typeof box.prox).toBe('function');
    expect(box.gradient).toBeUndefined();
    expect(box.setParams).toBeUndefined();
    expect(box.params).toBeUndefined();
    const hub = scale(new Huber({ shape: S }), 2);
    expect(typeof hub.gradient).toBe('function');
    expect(typeof hub.setParams).toBe('function');
    expect(hub.params).toBe((hub.inner as Huber).params);
  });

  it('SeparableSum reports the constants of the capabilities every part has, and only those', () => {
    const parts = [new HuberConjugate({ shape: [2, 3], groupSize: 2, alpha: 0.5, epsilon: 0.1 }), new HuberConjugate({ shape: [3, 3], groupSize: 3, alpha: 1, epsilon: 0.4 })];
    const dual = new SeparableSum(parts);
    expect(typeof dual.hvpInverse).toBe('function');
    expect(dual.lipschitz).toBeUndefined(); // no part is smooth: no Lipschitz constant of ∇f*, not Infinity
    expect(dual.inverseHessianLipschitz).toEqual({ point: 0, pair: Math.max(parts[0]!.inverseHessianLipschitz.pair, parts[1]!.inverseHessianLipschitz.pair) });
    expect(dual.inverseHessianLipschitz!.pair).toBeCloseTo(2 * 0.5 / 0.01, 9);
    const mixed = new SeparableSum([parts[0]!, new SquaredL2({ shape: [4] })]);
    expect(mixed.inverseHessianLipschitz).toBeUndefined();
    expect(mixed.hvpInverse).toBeUndefined();
    const smooth = new SeparableSum([new SquaredL2({ shape: [2], weight: 3 }), new SmoothAbs({ shape: [2], weight: 0.5, nu: 0.25 })]);
    expect(smooth.lipschitz).toBe(3);
    // the pair reaches the parts: on an active isotropic group the inverse depends on ‖u_j‖, which y does not determine
    const y = Float64Array.of(0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    const v = Float64Array.of(0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    const near = dual.hvpInverse(y, v, new Float64Array(15), Float64Array.of(0.2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    const far = dual.hvpInverse(y, v, new Float64Array(15), Float64Array.of(2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    expect(near[3]).toBeCloseTo(0.5 / 0.2, 12); // α/‖u_j‖ on the tangent direction
    expect(far[3]).toBeCloseTo(0.5 / 2, 12);
  });

  it('conjugateByMoreau is flagged and its biconjugate is the original', () => {
    const f = new SmoothAbs({ shape: S });
    const fs = conjugateByMoreau(f);
    expect(fs.derivedByMoreau).toBe(true);
    expect(fs.conjugate()).toBe(f);
    const g = conjugateByMoreau(new Huber({ shape: S }));
    expect(() => g.value(x)).toThrow(/conjugateValue/);
  });

  it('moreauEnvelope(L1) is the Huber function (λ·H_μλ... identity check)', () => {
    // env_μ(λ|·|)(t) = λ²μ/2·... : equals Huber with α = λ, ε = μλ
    const lambda = 0.6;
    const mu = 0.5;
    const env = moreauEnvelope(new L1({ shape: S, weight: lambda }), mu);
    const hub = new Huber({ shape: S, alpha: lambda, epsilon: mu * lambda });
    expect(env.value(x)).toBeCloseTo(hub.value(x), 12);
  });
});
