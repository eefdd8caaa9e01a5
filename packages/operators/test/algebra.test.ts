import { dot, isParametricOperator, Rng, type ParametricOperator } from '@bilevel/core';
import {
  blockDiag,
  compose,
  ConvFilterBank,
  DenseMatrix,
  Gradient2D,
  Identity,
  ScalarMultiple,
  scaled,
  sum,
  transpose,
  vstack,
} from '@bilevel/operators';
import { describe, expect, it } from 'vitest';

const bank = (seed: number, boundary: 'zero' | 'reflect' = 'reflect') =>
  new ConvFilterBank({ inChannels: 1, outChannels: 2, height: 4, width: 5, kernelSize: 3, boundary, kernels: Rng.seeded(seed).normalVec(18) });

describe('combinations', () => {
  it('are parametric iff a part is', () => {
    const D = new Gradient2D({ channels: 1, height: 4, width: 5 });
    expect(isParametricOperator(compose(new Identity([2, 1, 4, 5]), D))).toBe(false);
    expect(isParametricOperator(vstack([D, new Identity([1, 4, 5])]))).toBe(false);
    expect(isParametricOperator(scaled(2, D))).toBe(false);
    const K = bank(1);
    expect(isParametricOperator(compose(K, new Identity([1, 4, 5])))).toBe(true);
    expect(isParametricOperator(vstack([D, K]))).toBe(true);
    expect(isParametricOperator(transpose(K))).toBe(true);
  });

  it('concatenate the leaves’ params, forward setParams and route paramVjp', () => {
    const a = new ScalarMultiple([2, 1, 4, 5], 0.5);
    const K = bank(2);
    const op = vstack([compose(a, new Gradient2D({ channels: 1, height: 4, width: 5 })), K]) as ParametricOperator;
    expect(op.params.length).toBe(1 + 18);
    expect(op.params[0]).toBe(0.5);
    expect([...op.params.subarray(1)]).toEqual([...K.params]);
    expect(op.paramNames()[0]).toBe('ScalarMultiple#0.alpha');
    expect(op.paramNames()[1]).toBe('ConvFilterBank#1.kernel[0][0][0,0]');

    const theta = Rng.seeded(3).normalVec(19);
    op.setParams(theta);
    expect(a.alpha).toBe(theta[0]);
    expect([...K.params]).toEqual([...theta.subarray(1)]);

    // paramVjp slices = the leaves' own paramVjp on the right arguments
    const r = Rng.seeded(4);
    const x = r.normalVec(20);
    const y = r.normalVec(40 + 40);
    const g = new Float64Array(19);
    op.paramVjp(x, y, g, 1);
    const Dx = new Gradient2D({ channels: 1, height: 4, width: 5 }).apply(x, new Float64Array(40));
    expect(g[0]).toBeCloseTo(dot(40, Dx, y.subarray(0, 40)), 12);
    const gK = new Float64Array(18);
    K.paramVjp(x, y.subarray(40), gK, 1);
    for (let i = 0; i < 18; i++) expect(g[1 + i]).toBeCloseTo(gK[i]!, 12);
  });

  it('count a shared leaf once and sum its contributions', () => {
    const K = new ConvFilterBank({ inChannels: 2, outChannels: 2, height: 3, width: 3, kernelSize: 3, kernels: Rng.seeded(5).normalVec(36) });
    const KK = compose(K, K);
    expect(KK.params.length).toBe(36);
    const r = Rng.seeded(6);
    const x = r.normalVec(18);
    const y = r.normalVec(18);
    const g = new Float64Array(36);
    KK.paramVjp(x, y, g);
    // ∇⟨K K x, y⟩ = ∇_outer at (Kx, y) + ∇_inner at (x, Kᵀy)
    const expected = new Float64Array(36);
    K.paramVjp(K.apply(x, new Float64Array(18)), y, expected);
    K.paramVjp(x, K.adjoint(y, new Float64Array(18)), expected);
    for (let i = 0; i < 36; i++) expect(g[i]).toBeCloseTo(expected[i]!, 12);
  });

  it('derive norms from their parts, with honest kinds', () => {
    const D = new Gradient2D({ channels: 1, height: 4, width: 5 });
    const d = D.norm().value;
    expect(scaled(-2, D).norm!()).toEqual({ value: 2 * d, kind: 'exact' });
    expect(vstack([D, new Identity([1, 4, 5])]).norm!()).toEqual({ value: Math.sqrt(d * d + 1), kind: 'upper-bound' });
    expect(blockDiag([D, new Identity([3])]).norm!()).toEqual({ value: Math.max(d, 1), kind: 'exact' });
    expect(sum(new Identity([3]), new Identity([3])).norm!()).toEqual({ value: 2, kind: 'upper-bound' });
    expect(compose(new DenseMatrix(2, 2, Float64Array.of(1, 2, 3, 4)), new Identity([2])).norm!().kind).toBe('estimate');
  });

  it('DenseMatrix keeps its estimate for the same entries and recomputes it for others (setParams or writes)', () => {
    const A = new DenseMatrix(2, 2, Float64Array.of(1, 0, 0, 2));
    const first = A.norm();
    expect(first.value).toBeCloseTo(2, 6);
    A.setParams([1, 0, 0, 2]);
    expect(A.norm()).toBe(first);
    A.setParams([5, 0, 0, 2]);
    expect(A.norm().value).toBeCloseTo(5, 6);
    A.params[3] = 7;
    expect(A.norm().value).toBeCloseTo(7, 6);
  });

  it('recompute estimated norms after setParams, also when a leaf is changed directly', () => {
    const A = new DenseMatrix(2, 2, Float64Array.of(1, 0, 0, 2));
    const op = compose(A, new DenseMatrix(2, 2, Float64Array.of(1, 0, 0, 1)));
    expect(op.norm!().value).toBeCloseTo(2, 6);
    op.setParams([3, 0, 0, 1, 1, 0, 0, 1]);
    expect(op.norm!().value).toBeCloseTo(3, 6);
    A.setParams([5, 0, 0, 1]);
    expect(op.norm!().value).toBeCloseTo(5, 6);
  });

  it('reject mismatched shapes with both shapes in the message', () => {
    const D = new Gradient2D({ channels: 1, height: 4, width: 5 });
    expect(() => compose(D, D)).toThrow(/A.domain 1×4×5 does not match B.range 2×1×4×5/);
    expect(() => sum(D, new Identity([20]))).toThrow(/part 1/);
    expect(() => vstack([D, new Identity([3])])).toThrow(/same domain/);
    expect(() => vstack([])).toThrow(/at least one/);
    expect(() => scaled(NaN, D)).toThrow(/alpha/);
  });

  it('compose allows out === x; sum does not', () => {
    const K = bank(7);
    const T = transpose(K);
    const KtK = compose(T, K);
    const x = Rng.seeded(8).normalVec(20);
    const expected = KtK.apply(x, new Float64Array(20));
    const inPlace = Float64Array.from(x);
    KtK.apply(inPlace, inPlace);
    for (let i = 0; i < 20; i++) expect(inPlace[i]).toBe(expected[i]);
    const S = sum(new Identity([3]), new Identity([3]));
    const v = new Float64Array(3);
    expect(() => S.apply(v, v)).toThrow(/alias/);
  });
});
