import { describe, expect, it } from 'vitest';
import { Rng, ValidationError } from '@bilevel/core';
import { Convolution2D, Mask, dataOperator, gaussianKernel } from '@bilevel/operators';

describe('data operators as data', () => {
  const shape = [1, 6, 7];
  const x = Rng.seeded(2).normalVec(42);

  it('identity is the training set default (no operator)', () => {
    expect(dataOperator({ kind: 'identity' }, shape)).toBeUndefined();
  });

  it('a convolution rebuilds the same operator bit for bit', () => {
    const kernel = gaussianKernel(3, 0.8);
    const a = dataOperator({ kind: 'convolution', kernel, boundary: 'symmetric' }, shape)!;
    const b = new Convolution2D({ channels: 1, height: 6, width: 7, kernel, boundary: 'symmetric' });
    expect(a.apply(x, new Float64Array(42))).toEqual(b.apply(x, new Float64Array(42)));
    expect(a.adjoint(x, new Float64Array(42))).toEqual(b.adjoint(x, new Float64Array(42)));
  });

  it('a mask rebuilds the same operator', () => {
    const mask = Float64Array.from({ length: 42 }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const a = dataOperator({ kind: 'mask', mask }, shape)!;
    expect(a.apply(x, new Float64Array(42))).toEqual(new Mask(shape, mask).apply(x, new Float64Array(42)));
  });

  it('refuses descriptions that do not fit the image', () => {
    expect(() => dataOperator({ kind: 'mask', mask: new Float64Array(5) }, shape)).toThrow(/mask has 5 entries/);
    expect(() => dataOperator({ kind: 'convolution', kernel: new Float64Array(4) }, shape)).toThrow(ValidationError);
    expect(() => dataOperator({ kind: 'blur' } as never, shape)).toThrow(ValidationError);
  });
});
