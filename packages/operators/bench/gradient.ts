// Gradient2D apply + adjoint (the stencil pair of every TV / Huber-TV PDHG iteration) at 256²,
// 512², 1024², one channel, both boundary rules. Bytes moved: apply reads x (8N) and writes Dx
// (16N), the adjoint reads p (16N) and writes x (8N): 48N bytes per pair. For reference two
// streaming kernels are timed on the same footprint (arrays of N entries): `TypedArray.set`
// (memcpy, the machine's copy bandwidth from JavaScript) and a triad `a = b + s·c` written as
// a JavaScript loop unrolled by 4 like the gradient loops; the record gives the pair's
// bandwidth as a fraction of each. DRAM bandwidth: see stream.ts.
import { measure, report, sig } from '@bilevel/core/bench';
import { Rng } from '@bilevel/core';
import { Gradient2D } from '@bilevel/operators';
import { triad4 } from './lib/stream-kernels.js';

for (const size of [256, 512, 1024]) {
  const N = size * size;
  const x = Rng.seeded(1).normalVec(N);
  const g = new Float64Array(2 * N);
  const back = new Float64Array(N);
  const b = Rng.seeded(2).normalVec(N);
  const c = Rng.seeded(3).normalVec(N);
  const a = new Float64Array(N);
  const tri = measure(() => triad4(a, b, c, 0.5), { warmup: 10, repeats: 31 });
  const triadGBs = (24 * N) / (tri.median_ms * 1e6);
  const cpy = measure(() => a.set(b), { warmup: 10, repeats: 31 });
  const memcpyGBs = (16 * N) / (cpy.median_ms * 1e6);
  for (const boundary of ['neumann', 'periodic'] as const) {
    const D = new Gradient2D({ channels: 1, height: size, width: size, boundary });
    const fwd = measure(() => D.apply(x, g), { warmup: 10, repeats: 31 });
    const adj = measure(() => D.adjoint(g, back), { warmup: 10, repeats: 31 });
    const pair = measure(
      () => {
        D.apply(x, g);
        D.adjoint(g, back);
      },
      { warmup: 10, repeats: 31 },
    );
    const gbs = (48 * N) / (pair.median_ms * 1e6);
    report({
      bench: 'gradient2d apply+adjoint',
      boundary,
      size: `${size}x${size}`,
      median_ms: sig(pair.median_ms),
      min_ms: sig(pair.min_ms),
      apply_ms: sig(fwd.median_ms),
      adjoint_ms: sig(adj.median_ms),
      gb_per_s: sig(gbs),
      memcpy_same_footprint_gb_per_s: sig(memcpyGBs),
      fraction_of_memcpy: sig(gbs / memcpyGBs, 3),
      js_triad_same_footprint_gb_per_s: sig(triadGBs),
      fraction_of_js_triad: sig(gbs / triadGBs, 3),
    });
  }
}
