/**
 * The same PDHG in every available mode and in the float64 reference: isotropic Huber-TV
 * (without and with the piggyback) at 128², 256², 512², and an 8-filter 5×5 bank (with the
 * piggyback) at 128², 256²; one JSON line per (case, size, mode), then one line per
 * (case, size) naming the winner.
 *
 * Run: `cd packages/kernels && npx tsx --conditions=@bilevel/source bench/pdhg.ts [sizes…]`
 *
 * Timings are per iteration (a `runSaddle` call of `iterations` iterations, including its one
 * upload and one readback, divided by `iterations`), taken by `measureAsync` of
 * `@bilevel/core/bench` since every backend call is a Promise.
 */
import { Rng } from '@bilevel/core';
import { measureAsync, report, sig } from '@bilevel/core/bench';
import { availableModes, saddleSteps, selectBackend, type ComputeBackend, type SaddleSpec } from '@bilevel/kernels';

const sizes = process.argv.slice(2).map(Number).filter((s) => s > 0);
const SIZES = sizes.length > 0 ? sizes : [128, 256, 512];

interface Case {
  readonly bench: string;
  readonly piggyback: boolean;
  readonly filters: boolean;
  readonly sizes: readonly number[];
  readonly iterations: number;
}

const cases: Case[] = [
  { bench: 'huber-tv-pdhg', piggyback: false, filters: false, sizes: SIZES, iterations: 10 },
  { bench: 'huber-tv-pdhg-piggyback', piggyback: true, filters: false, sizes: SIZES, iterations: 10 },
  { bench: 'filters-8x5x5-pdhg-piggyback', piggyback: true, filters: true, sizes: SIZES.filter((s) => s <= 256), iterations: 2 },
];

function problem(size: number, filters: boolean): SaddleSpec {
  const rng = Rng.seeded(size);
  const n = size * size;
  const target = new Float64Array(n);
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) target[i * size + j] = ((i >> 5) + (j >> 5)) % 2 ? 0.8 : 0.2;
  const data = target.map((v) => v + 0.1 * rng.normal());
  const operator: SaddleSpec['operator'] = filters
    ? { kind: 'filters', kernels: rng.normalVec(8 * 25).map((v) => 0.1 * v), kernelSize: 5, count: 8, boundary: 'zero' }
    : { kind: 'gradient' };
  return { height: size, width: size, operator, alpha: 0.1, epsilon: 0.05, isotropic: true, data, target };
}

interface Variant {
  readonly name: string;
  readonly make: () => Promise<ComputeBackend>;
}

const variants: Variant[] = [];
for (const mode of await availableModes()) {
  variants.push({ name: mode, make: () => selectBackend({ prefer: mode }) });
  if (mode === 'webasm') variants.push({ name: 'webasm-1thread', make: () => selectBackend({ prefer: mode, threads: false }) });
}

for (const { bench, piggyback, filters, sizes: caseSizes, iterations } of cases) {
  for (const size of caseSizes) {
    const spec = problem(size, filters);
    const steps = saddleSteps(spec);
    const rows: { name: string; ms: number }[] = [];
    for (const v of variants) {
      const backend = await v.make();
      let executor = '';
      const t = await measureAsync(
        async () => {
          const r = await backend.runSaddle(spec, steps, { iterations, piggyback });
          executor = r.executor;
        },
        filters ? { warmup: 1, repeats: 3, maxMs: 4000 } : { warmup: 1, repeats: 7, maxMs: 4000 },
      );
      const ms = t.median_ms / iterations;
      rows.push({ name: v.name, ms });
      report({
        bench,
        size,
        variant: v.name,
        mode: backend.mode,
        precision: backend.precision,
        executor,
        iterations_per_call: iterations,
        ms_per_iter: sig(ms),
        min_ms_per_iter: sig(t.min_ms / iterations),
        repeats: t.repeats,
      });
      await backend.dispose();
    }
    rows.sort((a, b) => a.ms - b.ms);
    const [first, second] = rows;
    report({
      bench: `${bench}-winner`,
      size,
      winner: first!.name,
      ms_per_iter: sig(first!.ms),
      runner_up: second?.name ?? null,
      speedup_over_runner_up: second ? sig(second.ms / first!.ms, 3) : null,
    });
  }
}
