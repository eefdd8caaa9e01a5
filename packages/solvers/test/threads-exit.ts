/**
 * Run by `threads.test.ts` in a process of its own: two solves on worker threads, one released
 * and one not; the process must then exit by itself (idle and attached workers are `unref`'d).
 */
import { Gradient2D } from '@bilevel/operators';
import { HuberConjugate, QuadraticFidelity } from '@bilevel/prox';
import { Pdhg } from '@bilevel/solvers';

const n = 256;
const K = new Gradient2D({ channels: 1, height: n, width: n, boundary: 'neumann' });
const fStar = new HuberConjugate({ shape: K.range, groupSize: 2, alpha: 0.1, epsilon: 0.01 });
const g = new QuadraticFidelity({ shape: K.domain, data: Float64Array.from({ length: n * n }, (_, k) => Math.sin(k)) });
const pdhg = new Pdhg({ threads: 2 });
const released = pdhg.init({ K, g, fStar });
pdhg.step(released);
pdhg.release(released);
const kept = pdhg.init({ K, g, fStar });
pdhg.step(kept);
process.stdout.write(`threads ${released.work.fused!.threads} ${kept.work.fused!.threads}\n`);
