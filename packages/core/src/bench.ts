/**
 * Benchmark harness: medians of repeated timings after warm-up, printed as one JSON object per
 * line so `pnpm bench` output is machine-readable. Speed targets are checked by comparing
 * ratios within one run, never by timed unit tests.
 * @packageDocumentation
 */

/** Options of {@link measure}. */
export interface MeasureOptions {
  /** Untimed warm-up calls (default 3). */
  readonly warmup?: number;
  /** Timed repetitions (default 15). */
  readonly repeats?: number;
  /** Stop repeating early once this many milliseconds were spent timing (default 5000). */
  readonly maxMs?: number;
}

/** Summary statistics of repeated timings, in milliseconds. */
export interface Timing {
  /** Median time of one call. */
  readonly median_ms: number;
  /** Fastest call. */
  readonly min_ms: number;
  /** Slowest call. */
  readonly max_ms: number;
  /** Number of timed calls. */
  readonly repeats: number;
}

/** Median, min and max of timings in milliseconds. */
function summarize(times: number[]): Timing {
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const median = times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
  return { median_ms: median, min_ms: times[0]!, max_ms: times[times.length - 1]!, repeats: times.length };
}

/** Time `fn` after warm-up; returns median, min and max of the repetitions. */
export function measure(fn: () => void, options: MeasureOptions = {}): Timing {
  const { warmup = 3, repeats = 15, maxMs = 5000 } = options;
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  let spent = 0;
  for (let i = 0; i < repeats && (i < 3 || spent < maxMs); i++) {
    const t0 = performance.now();
    fn();
    const dt = performance.now() - t0;
    times.push(dt);
    spent += dt;
  }
  return summarize(times);
}

/** {@link measure} for asynchronous work (each call is awaited before the next starts). */
export async function measureAsync(fn: () => Promise<unknown>, options: MeasureOptions = {}): Promise<Timing> {
  const { warmup = 3, repeats = 15, maxMs = 5000 } = options;
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  let spent = 0;
  for (let i = 0; i < repeats && (i < 3 || spent < maxMs); i++) {
    const t0 = performance.now();
    await fn();
    const dt = performance.now() - t0;
    times.push(dt);
    spent += dt;
  }
  return summarize(times);
}

/** A benchmark record: `bench` names the case; any further numeric or string fields. */
export interface BenchRecord {
  /** Name of the benchmark case. */
  readonly bench: string;
  /** Further fields (size, median_ms, GB/s, ratios, …). */
  readonly [field: string]: string | number | boolean | null;
}

/** Print one record as a single JSON line on stdout. */
export function report(record: BenchRecord): void {
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

/** Round to `digits` significant digits for readable JSON. */
export function sig(v: number, digits = 4): number {
  return v === 0 || !Number.isFinite(v) ? v : Number(v.toPrecision(digits));
}
