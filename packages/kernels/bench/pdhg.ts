/**
 * The same PDHG on every kernel that runs it: the float64 engine of `@bilevel/solvers` on its
 * generic composition (`js-f64`) and, for Huber-TV, its fused WebAssembly kernel (`wasm-f64`);
 * the registered gpu.js kernel (`gpujs-f32`) in every available mode, driven by the same engine
 * one step at a time (`…-engine`) and as resident chunks (`…-pipeline`, `runSaddle`; `webasm`
 * also single-threaded). Cases: isotropic Huber-TV without and with the piggyback at 128², 256²,
 * 512², and an 8-filter 5×5 bank with the piggyback at 128², 256². One JSON line per (case, size,
 * variant), then one line per (case, size) naming the winner.
 *
 * Run: `cd packages/kernels && npx tsx --conditions=@bilevel/source bench/pdhg.ts [sizes…]`
 *
 * Timings are per iteration: a call of `iterations` iterations (for the pipeline its one upload
 * and one readback included) divided by `iterations`, taken by `measureAsync` of
 * `@bilevel/core/bench`.
 */
import { Rng, describeSaddle } from '@bilevel/core';
import { measureAsync, report, sig } from '@bilevel/core/bench';
import { squaredError } from '@bilevel/hypergrad';
import { GpuJsBackend, availableModes } from '@bilevel/kernels';
import { ConvFilterBank, Gradient2D } from '@bilevel/operators';
import { HuberConjugate, QuadraticFidelity } from '@bilevel/prox';
import { Pdhg, Piggyback, pdhgSteps, type PiggybackProblem } from '@bilevel/solvers';

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

function problem(size: number, filters: boolean): PiggybackProblem {
  const rng = Rng.seeded(size);
  const n = size * size;
  const target = new Float64Array(n);
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) target[i * size + j] = ((i >> 5) + (j >> 5)) % 2 ? 0.8 : 0.2;
  const data = target.map((v) => v + 0.1 * rng.normal());
  const K = filters
    ? new ConvFilterBank({ inChannels: 1, outChannels: 8, height: size, width: size, kernelSize: 5, boundary: 'zero', kernels: rng.normalVec(8 * 25).map((v) => 0.1 * v) })
    : new Gradient2D({ channels: 1, height: size, width: size });
  const fStar = new HuberConjugate({ shape: K.range, groupSize: filters ? 8 : 2, alpha: 0.1, epsilon: 0.05 });
  return { K, g: new QuadraticFidelity({ shape: K.domain, data }), fStar, loss: squaredError(), target };
}

/** A variant: how to run `iterations` iterations of a problem, and what ran them. */
interface Variant {
  readonly name: string;
  readonly precision: 'float32' | 'float64';
  /** Prepare a run of the problem; the returned function runs `iterations` iterations and says what ran them. */
  prepare(p: PiggybackProblem, piggyback: boolean, iterations: number): Promise<() => Promise<string>>;
}

/** The engine with `backend`, one step at a time. */
function engine(name: string, backend: 'js-f64' | 'wasm-f64' | 'gpujs-f32', precision: 'float32' | 'float64'): Variant {
  return {
    name,
    precision,
    prepare: async (p, piggyback, iterations) => {
      const solver = piggyback ? new Piggyback({ backend }) : new Pdhg({ backend });
      const state = solver.init(p);
      const step = (): void => (solver as Pdhg).step(state);
      return async () => {
        for (let k = 0; k < iterations; k++) step();
        return `${state.work.kernel.name}/${state.work.kernel.backend}`;
      };
    },
  };
}

const variants: Variant[] = [engine('js-f64', 'js-f64', 'float64'), engine('wasm-f64', 'wasm-f64', 'float64')];
const backends: GpuJsBackend[] = [];
for (const mode of await availableModes()) {
  const gpu = await GpuJsBackend.create({ mode });
  backends.push(gpu);
  variants.push(engine(`gpujs-${mode}-engine`, 'gpujs-f32', 'float32'));
  for (const threads of mode === 'webasm' ? [true, false] : [true]) {
    const b = threads ? gpu : await GpuJsBackend.create({ mode, threads: false });
    if (!threads) backends.push(b);
    variants.push({
      name: `gpujs-${mode}-pipeline${threads ? '' : '-1thread'}`,
      precision: 'float32',
      prepare: async (p, piggyback, iterations) => {
        const d = describeSaddle(p)!;
        const steps = pdhgSteps(p);
        return async () => (await b.runSaddle(d, steps, { iterations, piggyback })).executor;
      },
    });
  }
}

for (const { bench, piggyback, filters, sizes: caseSizes, iterations } of cases) {
  for (const size of caseSizes) {
    const p = problem(size, filters);
    const rows: { name: string; ms: number }[] = [];
    for (const v of variants) {
      if (v.name === 'wasm-f64' && filters) continue; // no fused float64 filter-bank kernel yet
      // the engine variants of a gpu.js mode run on its registered kernel (one backend registered at a time)
      const gpu = backends.find((b) => v.name.startsWith(`gpujs-${b.mode}-engine`));
      const unregister = gpu?.register();
      const run = await v.prepare(p, piggyback, iterations);
      let ran = '';
      const t = await measureAsync(
        async () => {
          ran = await run();
        },
        filters ? { warmup: 1, repeats: 3, maxMs: 4000 } : { warmup: 1, repeats: 7, maxMs: 4000 },
      );
      unregister?.();
      const ms = t.median_ms / iterations;
      rows.push({ name: v.name, ms });
      report({
        bench,
        size,
        variant: v.name,
        precision: v.precision,
        ran,
        iterations_per_call: iterations,
        ms_per_iter: sig(ms),
        min_ms_per_iter: sig(t.min_ms / iterations),
        repeats: t.repeats,
      });
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
for (const b of backends) await b.dispose();
