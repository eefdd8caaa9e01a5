/**
 * The branch-free activations of the ICNN's hot loops (`src/icnn/gates.ts`) against
 * `@bilevel/prox`'s piecewise ones, bit for bit at the pieces' edges; and the smooth forms of
 * `IcnnRegularizer` against a direct backpropagation with `@bilevel/prox`'s activations and the
 * layers' own `apply`/`adjoint`/`paramVjp` (the formulas of the class comment), bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { Rng, type Vec } from '@bilevel/core';
import { leakyRelu, leakyReluDerivative, leakyReluSecond, smoothRelu, smoothReluDerivative, smoothReluSecond } from '@bilevel/prox';
import { IcnnRegularizer } from '@bilevel/models';
import { gates, leakyReluCurvature, leakyReluLayer, reluCurvature, reluUnits } from '../src/icnn/gates.js';

/** Entry-wise `Object.is` (so `+0` and `−0` differ): the index of the first difference, or −1. */
const firstDifference = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
};

describe('element-wise loops (gates.ts)', () => {
  it('equal @bilevel/prox’s activations bit for bit at and around the pieces’ edges, for ω > 0 and ω = 0', () => {
    const rng = Rng.seeded(1);
    for (const omega of [3e-4, 0.01, 1, 0]) {
      const g = gates(omega);
      const edges = [0, -0, omega, omega / 2, omega * (1 + 2 ** -52), omega * (1 - 2 ** -53), -omega, 5e-324, -5e-324, 1e-160, 1e-300, 1e300, -1e300, 0.3, -0.7, 7];
      const s = Float64Array.from([...edges, ...rng.normalVec(400).map((t) => t * (omega || 1))]);
      const n = s.length;
      const t = rng.normalVec(n);
      const dt = rng.normalVec(n);
      for (const [a, b] of [[0, 0], [0.2, 0], [0.2, omega / 3]] as const) {
        // the first layer: u ← u + b, z = σ(u), su = σ'(u); its curvature
        const u = Float64Array.from(s);
        const [z, su] = [new Float64Array(n), new Float64Array(n)];
        leakyReluLayer(u, z, su, 0, n, b, a, g);
        const shifted = s.map((x) => (b !== 0 ? x + b : x));
        expect(firstDifference(z, shifted.map((x) => leakyRelu(x, a, omega))), `σ, ω=${omega}, a=${a}, b=${b}`).toBe(-1);
        expect(firstDifference(su, shifted.map((x) => leakyReluDerivative(x, a, omega))), `σ', ω=${omega}`).toBe(-1);
        const [du, e] = [Float64Array.from(dt), new Float64Array(n)];
        leakyReluCurvature(u, su, t, du, e, n, a, g);
        expect(firstDifference(e, shifted.map((x, i) => leakyReluSecond(x, a, omega) * t[i]! * dt[i]!)), `σ'', ω=${omega}`).toBe(-1);
        expect(firstDifference(du, shifted.map((x, i) => leakyReluDerivative(x, a, omega) * dt[i]!))).toBe(-1);
      }
      // the hidden units: v ← v + b, gv = w h'(v), r + Σ w h(v) in index order; their curvature
      const [w, b] = [0.7, omega / 5];
      const v = Float64Array.from(s);
      const gv = new Float64Array(n);
      const r = reluUnits(v, gv, 0, n, b, w, g, 0.25);
      let expected = 0.25;
      for (const x of s) expected += w * smoothRelu(x + b, omega);
      expect(Object.is(r, expected)).toBe(true);
      expect(firstDifference(gv, s.map((x) => w * smoothReluDerivative(x + b, omega)))).toBe(-1);
      const out = new Float64Array(n);
      reluCurvature(v, dt, out, 0, n, w, g);
      expect(firstDifference(out, s.map((x, i) => w * smoothReluSecond(x + b, omega) * dt[i]!))).toBe(-1);
      // a sub-range only
      const part = new Float64Array(n);
      reluCurvature(v, dt, part, 3, 9, w, g);
      expect([...part.subarray(3, 9)]).toEqual([...out.subarray(3, 9)]);
      expect(part.every((x, i) => (i >= 3 && i < 9) || x === 0)).toBe(true);
    }
  });
});

/**
 * The smooth forms of `R` by direct backpropagation (the class comment's formulas) with
 * `@bilevel/prox`'s activations, fresh arrays at every step: the oracle of the fused loops.
 */
function directForms(R: IcnnRegularizer) {
  const { conv, hidden, slope: a, smoothing: om, hiddenSmoothing: om1 } = R;
  const nz = R.auxiliarySize;
  const nv = R.hiddenSize;
  const B = nv / R.units;
  const unit = (j: number): number => (j / B) | 0;
  const forward = (x: Vec) => {
    const u = conv.apply(x, new Float64Array(nz));
    for (let i = 0; i < nz; i++) {
      const b = R.convBias[(i / (nz / R.filters)) | 0]!;
      if (b !== 0) u[i] = u[i]! + b;
    }
    const z = u.map((s) => leakyRelu(s, a, om));
    const v = hidden.apply(z, new Float64Array(nv));
    let value = 0;
    for (let j = 0; j < nv; j++) {
      v[j] = v[j]! + R.hiddenBias[unit(j)]!;
      value += R.outputWeights[unit(j)]! * smoothRelu(v[j]!, om1);
    }
    const gv = v.map((s, j) => R.outputWeights[unit(j)]! * smoothReluDerivative(s, om1));
    const gz = hidden.adjoint(gv, new Float64Array(nz));
    const gu = gz.map((g, i) => leakyReluDerivative(u[i]!, a, om) * g);
    return { u, z, v, gv, gz, gu, value };
  };
  /** `e = σ''(u) ⊙ g_z ⊙ δu` and `δz = σ'(u) ⊙ δu`. */
  const firstLayer = (f: ReturnType<typeof forward>, du: Float64Array) => ({
    e: du.map((d, i) => leakyReluSecond(f.u[i]!, a, om) * f.gz[i]! * d),
    dz: du.map((d, i) => leakyReluDerivative(f.u[i]!, a, om) * d),
  });
  const curvature = (f: ReturnType<typeof forward>, dv: Float64Array) => dv.map((d, j) => R.outputWeights[unit(j)]! * smoothReluSecond(f.v[j]!, om1) * d);
  const addGated = (f: ReturnType<typeof forward>, e: Float64Array, s: Float64Array) => e.map((t, i) => t + leakyReluDerivative(f.u[i]!, a, om) * s[i]!);
  return {
    value: (x: Vec) => forward(x).value,
    gradient: (x: Vec) => conv.adjoint(forward(x).gu, new Float64Array(x.length)),
    hvp: (x: Vec, w: Vec) => {
      const f = forward(x);
      const { e, dz } = firstLayer(f, conv.apply(w, new Float64Array(nz)));
      const n = curvature(f, hidden.apply(dz, new Float64Array(nv)));
      return conv.adjoint(addGated(f, e, hidden.adjoint(n, new Float64Array(nz))), new Float64Array(x.length));
    },
    mixedVjp: (x: Vec, q: Vec, scale: number) => {
      const f = forward(x);
      const grad = new Float64Array(R.layout.size);
      const gW0 = grad.subarray(0, R.layout.kernels.length);
      const gA = grad.subarray(R.layout.hidden.offset);
      conv.paramVjp(q, f.gu, gW0, scale);
      const { e, dz } = firstLayer(f, conv.apply(q, new Float64Array(nz)));
      hidden.paramVjp(dz, f.gv, gA, scale);
      const n = curvature(f, hidden.apply(dz, new Float64Array(nv)));
      hidden.paramVjp(f.z, n, gA, scale);
      conv.paramVjp(x, addGated(f, e, hidden.adjoint(n, new Float64Array(nz))), gW0, scale);
      return grad;
    },
    valueParamGrad: (x: Vec, scale: number) => {
      const f = forward(x);
      const grad = new Float64Array(R.layout.size);
      conv.paramVjp(x, f.gu, grad.subarray(0, R.layout.kernels.length), scale);
      hidden.paramVjp(f.z, f.gv, grad.subarray(R.layout.hidden.offset), scale);
      return grad;
    },
  };
}

describe('IcnnRegularizer smooth forms = direct backpropagation with @bilevel/prox activations, bit for bit', () => {
  const cases: [string, ConstructorParameters<typeof IcnnRegularizer>[0]][] = [
    ['convolutional hidden layer, reflect, 2 units', { shape: [1, 9, 7], filters: 5, kernelSize: 3, hidden: 'convolutional', hiddenKernelSize: 3, units: 2, boundary: 'reflect', smoothing: 0.05, hiddenSmoothing: 0.1, convBias: [0.1, 0, -0.05, 0, 0.02], hiddenBias: [0.02, -0.01], outputWeights: [1, 0.5], seed: 3 }],
    ['pooled hidden layer, zero boundary, 2 channels', { shape: [2, 8, 8], filters: 3, kernelSize: 5, poolFactor: 2, units: 3, boundary: 'zero', smoothing: 0.2, hiddenSmoothing: 0.05, hiddenBias: 0.01, seed: 5 }],
    ['not smoothed (ω₀ = ω₁ = 0: a.e. derivatives)', { shape: [1, 6, 6], filters: 4, kernelSize: 3, hidden: 'convolutional', units: 1, smoothing: 0, hiddenSmoothing: 0, seed: 9 }],
  ];
  for (const [name, options] of cases) {
    it(name, () => {
      const R = new IcnnRegularizer(options);
      const D = directForms(R);
      const rng = Rng.seeded(17);
      const n = R.imageSize;
      for (let trial = 0; trial < 3; trial++) {
        const x = rng.normalVec(n).map((t) => 0.5 + 0.4 * t);
        const w = rng.normalVec(n);
        expect(Object.is(R.value(x), D.value(x))).toBe(true);
        expect(firstDifference(R.gradient(x, new Float64Array(n)), D.gradient(x))).toBe(-1);
        expect(firstDifference(R.hvp(x, w, new Float64Array(n)), D.hvp(x, w))).toBe(-1);
        const grad = new Float64Array(R.layout.size);
        R.mixedVjp(x, w, grad, 0.7);
        expect(firstDifference(grad, D.mixedVjp(x, w, 0.7))).toBe(-1);
        grad.fill(0);
        R.valueParamGrad(x, grad, 1.3);
        expect(firstDifference(grad, D.valueParamGrad(x, 1.3))).toBe(-1);
      }
    });
  }

  it('the pre-activations of these cases reach every piece of σ and h (the comparison has teeth)', () => {
    const R = new IcnnRegularizer(cases[0]![1]);
    const x = Rng.seeded(17).normalVec(R.imageSize).map((t) => 0.5 + 0.4 * t);
    const u = R.conv.apply(x, new Float64Array(R.auxiliarySize));
    const pieces = [u.some((s) => s < 0), u.some((s) => s > 0 && s < R.smoothing), u.some((s) => s > R.smoothing)];
    expect(pieces).toEqual([true, true, true]);
  });
});
