import { describe, expect, it } from 'vitest';
import { ValidationError, normUpperBound } from '@bilevel/core';
import { DenseMatrix, Gradient2D, withNorm } from '@bilevel/operators';

describe('withNorm: a known norm attached once, read through norm()', () => {
  const D = new Gradient2D({ channels: 1, height: 6, width: 7 });

  it('reports the attached norm and applies the operator unchanged', () => {
    const exact = D.norm().value;
    const K = withNorm(D, { value: exact, kind: 'exact' });
    expect(K.norm()).toEqual({ value: exact, kind: 'exact' });
    expect(normUpperBound(K)).toEqual({ value: exact, kind: 'exact' });
    const x = Float64Array.from({ length: 42 }, (_, i) => Math.sin(i));
    expect(K.apply(x, new Float64Array(84))).toEqual(D.apply(x, new Float64Array(84)));
    const y = Float64Array.from({ length: 84 }, (_, i) => Math.cos(i));
    expect(K.adjoint(y, new Float64Array(42))).toEqual(D.adjoint(y, new Float64Array(42)));
  });

  it('refuses a value below ‖K‖ (power iteration gives a lower bound), an estimate, and a learnable operator', () => {
    expect(() => withNorm(D, { value: 0.9 * D.norm().value, kind: 'upper-bound' })).toThrow(/not an upper bound/);
    expect(() => withNorm(D, { value: 3, kind: 'estimate' })).toThrow(ValidationError);
    const learnable = new DenseMatrix(3, 2, Float64Array.of(1, 2, 3, 4, 5, 6));
    expect(() => withNorm(learnable, { value: 100, kind: 'upper-bound' })).toThrow(/learnable/);
  });

  it('normUpperBound multiplies an estimate by the safety factor', () => {
    const K = { domain: [2], range: [2], apply: (x: Float64Array, o: Float64Array) => o.set(x) ?? o, adjoint: (y: Float64Array, o: Float64Array) => o.set(y) ?? o, norm: () => ({ value: 2, kind: 'estimate' as const }) };
    expect(normUpperBound(K).value).toBeCloseTo(2.02, 15);
    expect(normUpperBound(K, 1.1).value).toBeCloseTo(2.2, 15);
  });
});
