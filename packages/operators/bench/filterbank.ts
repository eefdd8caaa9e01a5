// A 48-filter 7×7 convolution bank (1 → 48 channels, the Fields-of-Experts size) at 256², 512²,
// 1024²: apply, adjoint and paramVjp, per boundary rule `zero` and `symmetric` (mirror
// boundaries cost one extra pass to build the extension). Reports median ms, GFLOP/s
// (2·48·49 flops per pixel) and effective GB/s (bytes of input read plus output written,
// (1 + 48)·8 per pixel; the workspace traffic is not counted). 32² is the training-crop size
// of the FoE experiments, where the image edges are a large share of the work. Also a 5×5 Gaussian blur
// (Convolution2D) apply + adjoint on 3 channels.
import { measure, report, sig } from '@bilevel/core/bench';
import { Rng } from '@bilevel/core';
import { ConvFilterBank, Convolution2D, gaussianKernel, type ConvBoundary } from '@bilevel/operators';

const FILTERS = 48;
const K = 7;
const flops = (px: number): number => 2 * FILTERS * K * K * px;

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
for (const size of sizes.length ? sizes : [32, 256, 512, 1024]) {
  const px = size * size;
  const x = Rng.seeded(1).normalVec(px);
  const y = Rng.seeded(2).normalVec(FILTERS * px);
  const out = new Float64Array(FILTERS * px);
  const back = new Float64Array(px);
  const grad = new Float64Array(FILTERS * K * K);
  const options = size >= 1024 ? { warmup: 1, repeats: 5 } : size >= 512 ? { warmup: 2, repeats: 7 } : size >= 256 ? { warmup: 3, repeats: 11 } : { warmup: 20, repeats: 101 };
  for (const boundary of ['zero', 'symmetric'] as ConvBoundary[]) {
    const bank = new ConvFilterBank({
      inChannels: 1,
      outChannels: FILTERS,
      height: size,
      width: size,
      kernelSize: K,
      boundary,
      kernels: Rng.seeded(3).normalVec(FILTERS * K * K),
    });
    const runs: [string, () => void][] = [
      ['apply', () => bank.apply(x, out)],
      ['adjoint', () => bank.adjoint(y, back)],
      ['paramVjp', () => bank.paramVjp(x, y, grad, 1)],
    ];
    for (const [op, fn] of runs) {
      const t = measure(fn, options);
      report({
        bench: `convFilterBank 48x7x7 ${op}`,
        boundary,
        size: `${size}x${size}`,
        median_ms: sig(t.median_ms),
        min_ms: sig(t.min_ms),
        gflop_per_s: sig(flops(px) / (t.median_ms * 1e6)),
        gb_per_s: sig(((1 + FILTERS) * 8 * px) / (t.median_ms * 1e6)),
        repeats: t.repeats,
      });
    }
  }
  const blur = new Convolution2D({ channels: 3, height: size, width: size, kernel: gaussianKernel(5, 1), boundary: 'symmetric' });
  const img = Rng.seeded(4).normalVec(3 * px);
  const img2 = new Float64Array(3 * px);
  const t = measure(() => {
    blur.apply(img, img2);
    blur.adjoint(img2, img);
  }, options);
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
