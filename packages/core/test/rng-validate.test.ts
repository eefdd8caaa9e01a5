import { describe, expect, it } from 'vitest';
import {
  Rng, ValidationError, ShapeError, NumericalError, parseOrThrow, tolerancesSchema, assertLength, assertFinite,
  assertFiniteResult, z, powerIteration, shapeSize, shapeEquals, formatShape, zeros, addCost, zeroCost, totalIterations,
  type LinearOperator,
} from '@bilevel/core';

describe('Rng', () => {
  it('is reproducible from a seed and resumable from its state', () => {
    const a = Rng.seeded(42);
    const first = [a.uniform(), a.normal(), a.int(0, 9)];
    expect([Rng.seeded(42).uniform(), 0, 0][0]).toBe(first[0]);
    const state = a.state();
    const cont = [a.normal(), a.normal(), a.uniform()];
    const b = Rng.fromState(JSON.parse(JSON.stringify(state)));
    expect([b.normal(), b.normal(), b.uniform()]).toEqual(cont);
  });
  it('draws standard normals with the right moments', () => {
    const r = Rng.seeded(7);
    const v = r.normalVec(200_000);
    let m = 0;
    let s = 0;
    for (const t of v) m += t;
    m /= v.length;
    for (const t of v) s += (t - m) ** 2;
    s /= v.length;
    expect(Math.abs(m)).toBeLessThan(0.01);
    expect(Math.abs(s - 1)).toBeLessThan(0.02);
  });
  it('permutes without losing elements', () => {
    const p = Rng.seeded(3).permutation(50);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

describe('validation helpers', () => {
  it('name the offending option', () => {
    expect(() => parseOrThrow(tolerancesSchema, { epsilon: -1, delta: 1 }, 'tolerances')).toThrow(/epsilon/);
    expect(() => parseOrThrow(tolerancesSchema, { epsilon: 1, delta: 1, extra: 2 }, 'tolerances')).toThrow(ValidationError);
    expect(() => parseOrThrow(z.object({ tau: z.number().positive() }), { tau: NaN }, 'pdhg options')).toThrow(/tau/);
    expect(parseOrThrow(tolerancesSchema, { epsilon: 1e-3, delta: 1e-4 }, 'tolerances')).toEqual({ epsilon: 1e-3, delta: 1e-4 });
  });
  it('check lengths and finiteness', () => {
    expect(() => assertLength('x', new Float64Array(5), [2, 3])).toThrow(ShapeError);
    expect(() => assertLength('x', new Float64Array(6), [2, 3])).not.toThrow();
    expect(() => assertFinite('data', [1, Infinity])).toThrow(/entry 1/);
    expect(() => assertFiniteResult('loss', NaN)).toThrow(NumericalError);
  });
  it('shapes', () => {
    expect(shapeSize([3, 4, 5])).toBe(60);
    expect(shapeEquals([2, 3], [2, 3])).toBe(true);
    expect(shapeEquals([2, 3], [3, 2])).toBe(false);
    expect(formatShape([1, 8, 8])).toBe('1×8×8');
    expect(zeros([2, 2]).length).toBe(4);
  });
  it('cost counters add', () => {
    const c = addCost(zeroCost(), { ...zeroCost(), iterations: 3, cgIterations: 2, apply: 5 });
    expect(totalIterations(c)).toBe(5);
    expect(c.apply).toBe(5);
  });
});

describe('powerIteration', () => {
  it('finds the largest singular value of a diagonal operator', () => {
    const d = Float64Array.from([0.5, -3, 2, 1]);
    const D: LinearOperator = {
      domain: [4],
      range: [4],
      apply: (x, out) => {
        for (let i = 0; i < 4; i++) out[i] = d[i]! * x[i]!;
        return out;
      },
      adjoint: (y, out) => {
        for (let i = 0; i < 4; i++) out[i] = d[i]! * y[i]!;
        return out;
      },
    };
    const r = powerIteration(D, { rtol: 1e-14, maxIter: 2000 });
    expect(r.kind).toBe('estimate');
    expect(r.value).toBeCloseTo(3, 10);
  });
});
