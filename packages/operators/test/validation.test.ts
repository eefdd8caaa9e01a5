import { ShapeError, ValidationError } from '@bilevel/core';
import {
  AvgPool,
  ConvFilterBank,
  Convolution2D,
  Crop,
  DenseMatrix,
  Diagonal,
  Gradient2D,
  Identity,
  Mask,
  ScalarMultiple,
  Subsample,
  ZeroPad,
} from '@bilevel/operators';
import { describe, expect, it } from 'vitest';

const bankOptions = { inChannels: 1, outChannels: 2, height: 4, width: 4, kernelSize: 3 };

describe('constructor validation names the offending option', () => {
  it('ConvFilterBank', () => {
    expect(() => new ConvFilterBank({ ...bankOptions, kernelSize: 4 })).toThrow(/kernelSize: must be an odd integer/);
    expect(() => new ConvFilterBank({ ...bankOptions, kernelSize: 0 })).toThrow(/kernelSize/);
    expect(() => new ConvFilterBank({ ...bankOptions, height: 0 })).toThrow(/height/);
    expect(() => new ConvFilterBank({ ...bankOptions, inChannels: 1.5 })).toThrow(/inChannels/);
    // @ts-expect-error: invalid boundary mode
    expect(() => new ConvFilterBank({ ...bankOptions, boundary: 'mirror' })).toThrow(/boundary/);
    expect(() => new ConvFilterBank({ ...bankOptions, kernels: new Float64Array(17) })).toThrow(/kernels: expected length 18, got 17/);
    expect(() => new ConvFilterBank({ ...bankOptions, kernels: new Float64Array(18).fill(NaN) })).toThrow(/kernels: entry 0 is NaN/);
    // @ts-expect-error: unknown option
    expect(() => new ConvFilterBank({ ...bankOptions, kernel: new Float64Array(18) })).toThrow(/kernel/);
    expect(() => new ConvFilterBank({ ...bankOptions, kernelSize: 4 })).toThrow(ValidationError);
  });

  it('Convolution2D', () => {
    const base = { channels: 1, height: 5, width: 5 };
    expect(() => new Convolution2D({ ...base, kernel: new Float64Array(10) })).toThrow(/kernelSize: not given/);
    expect(() => new Convolution2D({ ...base, kernel: new Float64Array(16) })).toThrow(/kernelSize/);
    expect(() => new Convolution2D({ ...base, kernel: new Float64Array(9), kernelSize: [3, 2] })).toThrow(/kernelSize/);
    expect(() => new Convolution2D({ ...base, kernel: new Float64Array(9), kernelSize: 5 })).toThrow(/kernel .*expected length 25, got 9/);
    expect(() => new Convolution2D({ ...base, kernel: Float64Array.of(Infinity) })).toThrow(/entry 0/);
  });

  it('Gradient2D', () => {
    expect(() => new Gradient2D({ channels: 1, height: 0, width: 3 })).toThrow(/height/);
    // @ts-expect-error: convolution boundaries are not gradient boundaries
    expect(() => new Gradient2D({ channels: 1, height: 3, width: 3, boundary: 'zero' })).toThrow(/boundary/);
  });

  it('elementwise, dense and sampling', () => {
    expect(() => new Identity([3, 0])).toThrow(/shape/);
    expect(() => new ScalarMultiple([3], NaN)).toThrow(/alpha/);
    expect(() => new Diagonal([2, 2], new Float64Array(3))).toThrow(/Diagonal weights: expected length 4/);
    expect(() => new Mask([2, 2], new Float64Array(5))).toThrow(/Mask mask: expected length 4/);
    expect(() => new DenseMatrix(2, 3, new Float64Array(5))).toThrow(/DenseMatrix data: expected length 6/);
    expect(() => new DenseMatrix(2, 4, new Float64Array(8), { domain: [3, 2] })).toThrow(/domain shape 3×2 has 6 entries, but cols = 4/);
    expect(() => new DenseMatrix(2, 4, new Float64Array(8), { range: [0, 2] })).toThrow(/range shape/);
    expect(() => new Subsample({ channels: 1, height: 4, width: 4, factor: 2, offset: 2 })).toThrow(/offset: must be < factor/);
    expect(() => new Crop({ channels: 1, height: 4, width: 4, top: 2, left: 0, cropHeight: 3, cropWidth: 2 })).toThrow(/cropHeight/);
    expect(() => new Crop({ channels: 1, height: 4, width: 4, top: -1, left: 0, cropHeight: 3, cropWidth: 2 })).toThrow(/top/);
    expect(() => new ZeroPad({ channels: 1, height: 2, width: 2, top: 1.5, left: 0 })).toThrow(/top/);
    expect(() => new AvgPool({ channels: 1, height: 6, width: 5, factor: 2 })).toThrow(/width: 5 is not divisible by factor 2/);
  });
});

describe('per-call checks', () => {
  it('reject wrong lengths with a ShapeError naming the argument', () => {
    const D = new Gradient2D({ channels: 1, height: 3, width: 4 });
    expect(() => D.apply(new Float64Array(11), new Float64Array(24))).toThrow(ShapeError);
    expect(() => D.apply(new Float64Array(11), new Float64Array(24))).toThrow(/Gradient2D.apply: input has length 11, expected 12/);
    expect(() => D.adjoint(new Float64Array(24), new Float64Array(13))).toThrow(/out has length 13/);
    const K = new ConvFilterBank(bankOptions);
    expect(() => K.paramVjp(new Float64Array(16), new Float64Array(32), new Float64Array(17))).toThrow(/grad has length 17, expected 18/);
    expect(() => K.setParams(new Float64Array(18).fill(Infinity))).toThrow(/setParams theta: entry 0/);
  });

  it('reject out === x where the operator cannot write over its input', () => {
    const A = new DenseMatrix(2, 2, Float64Array.of(1, 2, 3, 4));
    const v = Float64Array.of(1, 1);
    expect(() => A.apply(v, v)).toThrow(/alias/);
    // elementwise operators allow it
    const S = new ScalarMultiple([2], 3);
    expect([...S.apply(v, v)]).toEqual([3, 3]);
  });
});
