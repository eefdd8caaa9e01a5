// Filter banks (ConvFilterBank, one input channel, boundary `symmetric`): apply, adjoint and
// paramVjp of the WebAssembly SIMD kernel against the JavaScript loops on the same bank and the
// same data, for 24 filters of 7×7 (the FoE experiments; 32² is their training-crop size) at
// 32², 64², 256², and 4 filters of 3×3 at 64². The two backends are timed alternately, call by
// call, so that load on the machine affects both alike; each field is the median over the
// repeats, `speedup_vs_js` = median JS time / median WebAssembly time of the three calls
// together. Also a 5×5 Gaussian blur (Convolution2D, JavaScript) apply + adjoint on 3 channels.
import { measure, report, sig } from '@bilevel/core/bench';
import { Rng } from '@bilevel/core';
import { ConvFilterBank, Convolution2D, gaussianKernel } from '@bilevel/operators';

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Milliseconds of one call. */
const time = (fn: () => void): number => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};

const cases: [filters: number, k: number, size: number][] = [
  [24, 7, 32],
  [24, 7, 64],
  [24, 7, 256],
  [4, 3, 64],
];
for (const [F, K, size] of cases) {
  const px = size * size;
  const x = Rng.seeded(1).normalVec(px);
  const y = Rng.seeded(2).normalVec(F * px);
  const kernels = Rng.seeded(3).normalVec(F * K * K);
  const out = new Float64Array(F * px);
  const back = new Float64Array(px);
  const grad = new Float64Array(F * K * K);
  const calls = (backend: 'js' | 'wasm') => {
    const bank = new ConvFilterBank({ inChannels: 1, outChannels: F, height: size, width: size, kernelSize: K, boundary: 'symmetric', kernels, backend });
    return [() => bank.apply(x, out), () => bank.adjoint(y, back), () => bank.paramVjp(x, y, grad, 1)];
  };
  const js = calls('js');
  const wasm = calls('wasm');
  const work = 2 * F * K * K * px;
  const repeats = Math.max(11, Math.min(201, Math.round(2e9 / work)) | 1);
  for (let w = 0; w < Math.max(3, repeats >> 2); w++) for (const fn of [...js, ...wasm]) fn();
  const t = { js: [[], [], []] as number[][], wasm: [[], [], []] as number[][] };
  const total = { js: [] as number[], wasm: [] as number[] };
  for (let r = 0; r < repeats; r++) {
    const order = r % 2 ? (['wasm', 'js'] as const) : (['js', 'wasm'] as const);
    const sums = { js: 0, wasm: 0 };
    for (let op = 0; op < 3; op++) {
      for (const b of order) {
        const dt = time((b === 'js' ? js : wasm)[op]!);
        t[b][op]!.push(dt);
        sums[b] += dt;
      }
    }
    total.js.push(sums.js);
    total.wasm.push(sums.wasm);
  }
  report({
    bench: 'filter-bank',
    filters: `${F}x${K}x${K}`,
    size: `${size}x${size}`,
    apply_ms: sig(median(t.wasm[0]!)),
    adjoint_ms: sig(median(t.wasm[1]!)),
    param_vjp_ms: sig(median(t.wasm[2]!)),
    speedup_vs_js: sig(median(total.js) / median(total.wasm), 3),
  });
}

for (const size of [256, 512, 1024]) {
  const px = size * size;
  const blur = new Convolution2D({ channels: 3, height: size, width: size, kernel: gaussianKernel(5, 1), boundary: 'symmetric' });
  const img = Rng.seeded(4).normalVec(3 * px);
  const img2 = new Float64Array(3 * px);
  const t = measure(() => {
    blur.apply(img, img2);
    blur.adjoint(img2, img);
  }, size >= 1024 ? { warmup: 1, repeats: 5 } : { warmup: 3, repeats: 11 });
  report({
    bench: 'convolution2d gaussian 5x5 apply+adjoint',
    boundary: 'symmetric',
    size: `3x${size}x${size}`,
    median_ms: sig(t.median_ms),
    min_ms: sig(t.min_ms),
    gflop_per_s: sig((2 * 2 * 25 * 3 * px) / (t.median_ms * 1e6)),
    gb_per_s: sig((4 * 3 * 8 * px) / (t.median_ms * 1e6)),
    repeats: t.repeats,
  });
}
