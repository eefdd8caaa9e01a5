import { describe, expect, it } from 'vitest';
import { Rng, parseJson } from '@bilevel/core';
import {
  base64ToFloat64, boxProjection, composeProjections, decodeJson, encodeJson, expReparam, float64ToBase64,
  nonnegativeProjection, paramLayout, scheduleValue, toJsonLine, zeroMeanProjection, bytesToBase64, base64ToBytes,
} from '@bilevel/optimizers';

describe('lossless codec', () => {
  it('base64 matches the standard encoding', () => {
    for (const s of ['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar']) {
      const b = new TextEncoder().encode(s);
      expect(bytesToBase64(b)).toBe(Buffer.from(s).toString('base64'));
      expect(Array.from(base64ToBytes(bytesToBase64(b)))).toEqual(Array.from(b));
    }
    const big = new Uint8Array(100_003).map((_, i) => (i * 7919) & 255);
    expect(bytesToBase64(big)).toBe(Buffer.from(big).toString('base64'));
  });

  it('round-trips Float64Arrays bit for bit (−0, NaN, ±∞, subnormals)', () => {
    const a = new Float64Array([0, -0, NaN, Infinity, -Infinity, 5e-324, 1 / 3, -1e308, Math.PI]);
    const b = base64ToFloat64(float64ToBase64(a));
    expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    // views at an offset
    const view = Rng.seeded(1).normalVec(10).subarray(3, 7);
    expect(Array.from(base64ToFloat64(float64ToBase64(view)))).toEqual(Array.from(view));
  });

  it('encodes maps, nested objects, special numbers and $-keys through JSON', () => {
    const value = {
      x: new Float64Array([1, 2]),
      warm: new Map([[3, { x: new Float64Array([-0]) }]]),
      n: [NaN, -0, Infinity, -Infinity, 1.5],
      $float64: 'not a tag',
      nested: { $$weird: 1, list: [true, null, 'a'] },
      dropped: undefined,
    };
    const back = decodeJson(JSON.parse(JSON.stringify(encodeJson(value)))) as typeof value;
    expect(back.x).toEqual(value.x);
    expect(back.warm.get(3)!.x[0]).toBe(-0);
    expect(Object.is(back.n[1], -0)).toBe(true);
    expect(back.n[0]).toBeNaN();
    expect(back.n.slice(2)).toEqual([Infinity, -Infinity, 1.5]);
    expect(back.$float64).toBe('not a tag');
    expect(back.nested).toEqual({ $$weird: 1, list: [true, null, 'a'] });
    expect('dropped' in back).toBe(false);
    expect(() => encodeJson(new Int32Array(2))).toThrow(/Float64Array/);
    expect(() => encodeJson(() => 1)).toThrow(/function/);
  });

  it('toJsonLine writes non-finite numbers as strings', () => {
    expect(toJsonLine({ a: NaN, b: -Infinity, c: 1 })).toBe('{"a":"NaN","b":"-Infinity","c":1}');
    expect(parseJson(toJsonLine({ a: NaN, b: -Infinity, c: 1 }))).toEqual({ a: NaN, b: -Infinity, c: 1 });
  });
});

describe('ParamLayout', () => {
  const layout = paramLayout([
    { name: 'logWeight', shape: 1 },
    { name: 'filters', shape: [2, 3, 3] },
    { name: 'logSmoothing', shape: 2 },
  ]);
  it('assigns offsets in declaration order and views alias θ', () => {
    expect(layout.size).toBe(21);
    expect(layout.block('filters')).toEqual({ name: 'filters', offset: 1, length: 18, shape: [2, 3, 3] });
    expect(layout.block('logSmoothing').offset).toBe(19);
    const theta = layout.pack({ logWeight: -3, filters: new Float64Array(18).fill(0.5), logSmoothing: [-1, -2] });
    expect(Array.from(layout.view(theta, 'logSmoothing'))).toEqual([-1, -2]);
    layout.view(theta, 'logWeight')[0] = 7;
    expect(theta[0]).toBe(7);
    const parts = layout.unpack(theta);
    parts['filters']![0] = 99;
    expect(theta[1]).toBe(0.5);
    layout.set(theta, 'logSmoothing', [4, 5]);
    expect(theta[20]).toBe(5);
  });
  it('rejects duplicates, unknown blocks, wrong lengths', () => {
    expect(() => paramLayout([{ name: 'a', shape: 1 }, { name: 'a', shape: 2 }])).toThrow(/duplicate/);
    expect(() => paramLayout([{ name: 'a', shape: 0 }])).toThrow(/shape/);
    expect(() => layout.block('nope')).toThrow(/logWeight, filters, logSmoothing/);
    expect(() => layout.view(new Float64Array(3), 'filters')).toThrow(/21/);
    expect(() => layout.pack({ logWeight: 0, filters: 0 })).toThrow(/logSmoothing/);
  });
});

describe('exp reparametrisation', () => {
  const layout = paramLayout([{ name: 'w', shape: 3 }, { name: 'logS', shape: 2 }]);
  const r = expReparam(layout, ['logS']);
  it('maps θ ↔ p on the named blocks only', () => {
    const theta = new Float64Array([1, -2, 3, 0, Math.log(2)]);
    const p = r.toPhysical(theta);
    expect(Array.from(p)).toEqual([1, -2, 3, 1, 2]);
    expect(Array.from(r.toRaw(p))).toEqual(Array.from(theta));
    expect(() => r.toRaw(new Float64Array([1, 1, 1, 0, 1]))).toThrow(/> 0/);
    const inPlace = theta.slice();
    r.toPhysical(inPlace, inPlace);
    expect(Array.from(inPlace)).toEqual(Array.from(p));
  });
  it('pullback is the chain rule (central finite differences)', () => {
    // L(p) = Σ c_i p_i² ⇒ ∂L/∂p = 2 c ⊙ p
    const c = [0.3, -1, 2, 0.7, -0.4];
    const L = (theta: Float64Array) => r.toPhysical(theta).reduce((s, v, i) => s + c[i]! * v * v, 0);
    const theta = new Float64Array([0.2, -0.1, 0.4, -0.3, 0.5]);
    const p = r.toPhysical(theta);
    const g = r.pullback(theta, p.map((v, i) => 2 * c[i]! * v));
    const h = 1e-6;
    for (let j = 0; j < 5; j++) {
      const a = theta.slice();
      const b = theta.slice();
      a[j] = a[j]! + h;
      b[j] = b[j]! - h;
      expect(g[j]!).toBeCloseTo((L(a) - L(b)) / (2 * h), 7);
    }
  });
});

describe('projections', () => {
  const layout = paramLayout([{ name: 'k', shape: [2, 3] }, { name: 'w', shape: 3 }]);
  it('zero-mean groups, nonnegativity and boxes on blocks, composed in order, idempotent', () => {
    const theta = new Float64Array([1, 2, 3, 10, 20, 30, -1, 0.5, 2]);
    const p = composeProjections(
      zeroMeanProjection({ layout, blocks: 'k' }, { groupSize: 3 }),
      nonnegativeProjection({ layout, blocks: 'w' }),
      boxProjection(-5, 1.5, { layout, blocks: ['w'] }),
    );
    p(theta);
    expect(Array.from(theta)).toEqual([-1, 0, 1, -10, 0, 10, 0, 0.5, 1.5]);
    const again = theta.slice();
    p(again);
    expect(Array.from(again)).toEqual(Array.from(theta));
    const all = new Float64Array([-1, 2]);
    nonnegativeProjection()(all);
    expect(Array.from(all)).toEqual([0, 2]);
  });
  it('reject invalid arguments', () => {
    expect(() => zeroMeanProjection({ layout, blocks: 'k' }, { groupSize: 4 })).toThrow(/groupSize/);
    expect(() => boxProjection(1, 0)).toThrow(/lower/);
  });
});

describe('schedules', () => {
  it('constant, poly (k+1)^−p and log ln(k+e)^−p', () => {
    expect(scheduleValue(0.5, { kind: 'constant' }, 99)).toBe(0.5);
    expect(scheduleValue(1, { kind: 'poly', exponent: 1 }, 9)).toBeCloseTo(0.1, 15);
    expect(scheduleValue(0.5, { kind: 'poly', exponent: 0.5 }, 3)).toBeCloseTo(0.25, 15);
    expect(scheduleValue(2, { kind: 'log', exponent: 1 }, 0)).toBeCloseTo(2, 15);
    expect(scheduleValue(2, { kind: 'log', exponent: 2, offset: 2 }, 5)).toBeCloseTo(2 / Math.log(7) ** 2, 15);
  });
});
