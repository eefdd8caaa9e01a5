// STREAM-like memory bandwidth of this machine from JavaScript (McCalpin's STREAM kernels on
// Float64Array): copy `a = b`, scale `a = s·b`, add `a = b + c`, triad `a = b + s·c` as scalar JS
// loops (and the triad unrolled by 4, as the gradient loops are), plus `TypedArray.prototype.set`
// (memcpy). Arrays of 2²⁴ entries (128 MiB each, far beyond the caches) give the DRAM bandwidth
// the notes compare `gradient2d` against; 512² arrays (2 MiB) give the in-cache rate of plain
// loops on an image-sized footprint.
// Bytes moved per entry: copy/scale 16, add/triad 24 (write-allocate traffic not counted, as in
// STREAM).
import { measure, report, sig } from '@bilevel/core/bench';
import { add, copy, scale, triad, triad4 } from './lib/stream-kernels.js';

for (const [label, n] of [
  ['2^24 (DRAM)', 1 << 24],
  ['512^2 (cache)', 512 * 512],
] as const) {
  const a = new Float64Array(n);
  const b = new Float64Array(n).fill(1);
  const c = new Float64Array(n).fill(2);
  const options = n > 1 << 20 ? { warmup: 2, repeats: 9 } : { warmup: 20, repeats: 51 };
  const kernels: [string, number, () => void][] = [
    ['copy (set/memcpy)', 16, () => a.set(b)],
    ['copy', 16, () => copy(a, b)],
    ['scale', 16, () => scale(a, b, 3)],
    ['add', 24, () => add(a, b, c)],
    ['triad', 24, () => triad(a, b, c, 3)],
    ['triad (unrolled x4)', 24, () => triad4(a, b, c, 3)],
  ];
  for (const [name, bytes, fn] of kernels) {
    const t = measure(fn, options);
    report({
      bench: `stream ${name}`,
      size: label,
      median_ms: sig(t.median_ms),
      min_ms: sig(t.min_ms),
      gb_per_s: sig((bytes * n) / (t.median_ms * 1e6)),
      best_gb_per_s: sig((bytes * n) / (t.min_ms * 1e6)),
    });
  }
}
