// The conformance registry: every operator of the package, every boundary mode, several shapes
// (including H ≠ W and tiny images). The suite derives the checks: normalised adjoint test,
// no input mutation, norm consistent with its kind, and for parametric operators paramVjp vs
// central differences, accumulation and parameter names.
import { Rng, type LinearOperator } from '@bilevel/core';
import type { OperatorCase } from '@bilevel/core/testing';
import { describeOperatorSuite } from '@bilevel/core/testing/vitest';
import {
  AvgPool,
  blockDiag,
  boxKernel,
  compose,
  ConvFilterBank,
  Convolution2D,
  Crop,
  DenseMatrix,
  Diagonal,
  ExpScaledOperator,
  gaussianKernel,
  Gradient2D,
  Identity,
  Mask,
  motionKernel,
  ScalarMultiple,
  scaled,
  Subsample,
  sum,
  transpose,
  vstack,
  ZeroPad,
  type ConvBoundary,
  type FilterBankBackend,
  type FilterBankBoundary,
} from '@bilevel/operators';

const BOUNDARIES: readonly ConvBoundary[] = ['zero', 'symmetric', 'reflect', 'periodic'];
const rand = (n: number, seed: number): Float64Array => Rng.seeded(seed).normalVec(n);
const mask = (n: number, seed: number): Float64Array => {
  const r = Rng.seeded(seed);
  return Float64Array.from({ length: n }, () => (r.uniform() < 0.6 ? 1 : 0));
};

/** A filter bank with seeded random kernels (backend `auto`: WebAssembly where available). */
const bank = (
  inChannels: number,
  outChannels: number,
  height: number,
  width: number,
  kernelSize: number,
  boundary: FilterBankBoundary,
  seed = 3,
  backend: FilterBankBackend = 'auto',
) =>
  new ConvFilterBank({
    inChannels,
    outChannels,
    height,
    width,
    kernelSize,
    boundary,
    kernels: rand(inChannels * outChannels * kernelSize * kernelSize, seed),
    backend,
  });

const cases: OperatorCase[] = [];
const add = (name: string, make: () => LinearOperator): void => {
  cases.push({ name, make });
};

// elementwise and dense
add('identity 1×1×1', () => new Identity([1, 1, 1]));
add('identity 2×3×4', () => new Identity([2, 3, 4]));
add('scalarMultiple 1×4×5 α=1.7', () => new ScalarMultiple([1, 4, 5], 1.7));
add('scalarMultiple [3] α=−0.3', () => new ScalarMultiple([3], -0.3));
add('diagonal 2×3×4', () => new Diagonal([2, 3, 4], rand(24, 5)));
add('dense 5×3', () => new DenseMatrix(5, 3, rand(15, 6)));
add('expScaled e^{−0.7}·gradient2d 1×5×6', () => new ExpScaledOperator(new Gradient2D({ channels: 1, height: 5, width: 6 }), -0.7));
add('expScaled e^{0.4}·diagonal [3]', () => new ExpScaledOperator(new Diagonal([3], rand(3, 10)), 0.4));
add('dense 1×1', () => new DenseMatrix(1, 1, Float64Array.of(-2.5)));
add('dense 3×7', () => new DenseMatrix(3, 7, rand(21, 7)));
add('dense 6×(2×2×3) → (2×3)', () => new DenseMatrix(6, 12, rand(72, 8), { domain: [2, 2, 3], range: [2, 3] }));

// gradient
const gradShapes: [number, number, number][] = [[1, 1, 1], [1, 2, 3], [1, 7, 5], [3, 4, 6], [2, 1, 5], [1, 6, 1], [2, 8, 8], [1, 9, 4]];
for (const boundary of ['neumann', 'periodic'] as const) {
  for (const [C, H, W] of gradShapes) add(`gradient2d ${boundary} ${C}×${H}×${W}`, () => new Gradient2D({ channels: C, height: H, width: W, boundary }));
}

// filter banks: (in, out, H, W, kernelSize) covering kernel widths 1, 3, 5, 7, 9 (specialised
// and generic loops), odd and even output counts (paired and single loops), kernels larger
// than the image, H ≠ W and 1×1 images; each on the JavaScript loops and on the WebAssembly
// kernel. `valid` needs kernels that fit: its images are larger by k − 1, so that its outputs
// have the sizes H×W of the table (1×1 among them).
const bankShapes: [number, number, number, number, number][] = [
  [1, 1, 1, 1, 3],
  [1, 2, 2, 3, 5],
  [2, 3, 7, 5, 3],
  [3, 2, 4, 6, 7],
  [1, 4, 6, 9, 1],
  [2, 1, 5, 4, 9],
  [1, 5, 8, 7, 7],
];
for (const backend of ['js', 'wasm'] as const) {
  for (const boundary of [...BOUNDARIES, 'valid'] as const) {
    for (const [ci, co, h, w, k] of bankShapes) {
      const [H, W] = boundary === 'valid' ? [h + k - 1, w + k - 1] : [h, w];
      add(`convFilterBank ${backend} ${boundary} ${ci}→${co} ${H}×${W} k=${k}`, () => bank(ci, co, H, W, k, boundary, 3, backend));
    }
  }
}

// fixed per-channel convolutions (blur)
const blurs: [string, Float64Array, number | [number, number]][] = [
  ['gaussian 5 σ=1', gaussianKernel(5, 1), 5],
  ['box 3', boxKernel(3), 3],
  ['motion 7 @30°', motionKernel(7, 30), 7],
  ['motion 4 @45°', motionKernel(4, 45), 3],
  ['user 3×5', rand(15, 8), [3, 5]],
  ['user 1×1', Float64Array.of(2), 1],
  ['user 7×1', rand(7, 9), [7, 1]],
];
const blurShapes: [number, number, number][] = [[2, 6, 5], [1, 2, 3], [3, 1, 1], [1, 11, 8]];
for (const boundary of BOUNDARIES) {
  for (const [kname, kernel, kernelSize] of blurs) {
    for (const [C, H, W] of blurShapes) {
      add(`convolution2d ${boundary} ${kname} ${C}×${H}×${W}`, () => new Convolution2D({ channels: C, height: H, width: W, kernel, kernelSize, boundary }));
    }
  }
}

// sampling
add('mask 2×4×5', () => new Mask([2, 4, 5], mask(40, 10)));
add('mask 1×1×1 weights', () => new Mask([1, 1, 1], Float64Array.of(0.3)));
add('subsample 1×5×7 factor 2 offset 1', () => new Subsample({ channels: 1, height: 5, width: 7, factor: 2, offset: 1 }));
add('subsample 2×4×4 factor 3', () => new Subsample({ channels: 2, height: 4, width: 4, factor: 3 }));
add('subsample 1×2×3 factor 1', () => new Subsample({ channels: 1, height: 2, width: 3, factor: 1 }));
add('crop 2×5×6 → 3×3 at (1,2)', () => new Crop({ channels: 2, height: 5, width: 6, top: 1, left: 2, cropHeight: 3, cropWidth: 3 }));
add('crop 1×2×3 full', () => new Crop({ channels: 1, height: 2, width: 3, top: 0, left: 0, cropHeight: 2, cropWidth: 3 }));
add('zeroPad 2×3×2 by (1,2,0,3)', () => new ZeroPad({ channels: 2, height: 3, width: 2, top: 1, bottom: 2, left: 0, right: 3 }));
add('avgPool 2×4×6 factor 2', () => new AvgPool({ channels: 2, height: 4, width: 6, factor: 2 }));
add('avgPool 1×3×3 factor 3', () => new AvgPool({ channels: 1, height: 3, width: 3, factor: 3 }));
add('avgPool 1×2×3 factor 1', () => new AvgPool({ channels: 1, height: 2, width: 3, factor: 1 }));

// algebra: fixed combinations
const grad = (C: number, H: number, W: number) => new Gradient2D({ channels: C, height: H, width: W });
const blur = (C: number, H: number, W: number, boundary: ConvBoundary = 'reflect') =>
  new Convolution2D({ channels: C, height: H, width: W, kernel: gaussianKernel(3, 0.8), boundary });
add('compose(mask, blur) 1×5×6', () => compose(new Mask([1, 5, 6], mask(30, 11)), blur(1, 5, 6)));
add('compose(gradient, blur) 2×4×7', () => compose(grad(2, 4, 7), blur(2, 4, 7, 'symmetric')));
add('sum(blur, identity, 2·identity) 1×4×4', () => sum(blur(1, 4, 4), new Identity([1, 4, 4]), scaled(2, new Identity([1, 4, 4]))));
add('sum(gradient neumann, gradient periodic) 2×3×5', () =>
  sum(grad(2, 3, 5), new Gradient2D({ channels: 2, height: 3, width: 5, boundary: 'periodic' })));
add('vstack([gradient, identity]) 1×5×3', () => vstack([grad(1, 5, 3), new Identity([1, 5, 3])]));
add('blockDiag([gradient, crop]) ', () => blockDiag([grad(1, 3, 4), new Crop({ channels: 1, height: 4, width: 4, top: 1, left: 0, cropHeight: 2, cropWidth: 3 })]));
add('transpose(subsample)', () => transpose(new Subsample({ channels: 1, height: 5, width: 4, factor: 2 })));
add('compose(avgPool, zeroPad)', () => compose(new AvgPool({ channels: 1, height: 4, width: 6, factor: 2 }), new ZeroPad({ channels: 1, height: 2, width: 3, top: 1, left: 2, right: 1 })));

// algebra: parametric combinations (params = concatenation of the leaves', each leaf once)
add('compose(scalarMultiple, gradient) 1×4×5', () => compose(new ScalarMultiple([2, 1, 4, 5], 0.7), grad(1, 4, 5)));
add('compose(bank 2→3, gradient) 4×5', () => compose(bank(2, 3, 4, 5, 3, 'symmetric', 12), grad(1, 4, 5)));
add('compose(bankᵀ, bank) 5×4', () => compose(transpose(bank(2, 3, 5, 4, 3, 'periodic', 13)), bank(2, 3, 5, 4, 5, 'reflect', 14)));
add('compose(K, K) shared bank 2→2', () => {
  const K = bank(2, 2, 4, 3, 3, 'reflect', 15);
  return compose(K, K);
});
add('sum(K, K, blur) shared bank 1→1', () => {
  const K = bank(1, 1, 5, 5, 3, 'zero', 16);
  return sum(K, K, blur(1, 5, 5));
});
add('scaled(−0.7, bank 2→2)', () => scaled(-0.7, bank(2, 2, 3, 4, 3, 'symmetric', 17)));
add('compose(bankᵀ valid, bank valid) 6×7 → 4×5 → 6×7', () => compose(transpose(bank(1, 2, 6, 7, 3, 'valid', 26)), bank(1, 2, 6, 7, 3, 'valid', 25)));
add('vstack([gradient, bank 1→3, scalarMultiple])', () => vstack([grad(1, 4, 4), bank(1, 3, 4, 4, 5, 'zero', 18), new ScalarMultiple([1, 4, 4], 2)]));
add('blockDiag([dense, bank, identity])', () => blockDiag([new DenseMatrix(2, 3, rand(6, 19)), bank(1, 2, 3, 3, 3, 'periodic', 20), new Identity([4])]));
add('nested vstack([compose(α, ∇), scaled(2, sum(K, I))])', () => {
  const K = bank(1, 1, 4, 5, 3, 'symmetric', 21);
  return vstack([compose(new ScalarMultiple([2, 1, 4, 5], 1.3), grad(1, 4, 5)), scaled(2, sum(K, new Identity([1, 4, 5])))]);
});
add('transpose(dense 4×3)', () => transpose(new DenseMatrix(4, 3, rand(12, 22))));
add('compose(dense, dense) (estimated norm)', () => compose(new DenseMatrix(3, 4, rand(12, 23)), new DenseMatrix(4, 2, rand(8, 24))));

describeOperatorSuite('@bilevel/operators conformance', cases);
