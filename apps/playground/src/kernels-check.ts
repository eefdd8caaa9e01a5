/**
 * The kernel check page: the gpu.js GPU backend of `@bilevel/kernels` (WebGL2/WebGL here) against
 * the float64 reference on the Huber-TV PDHG plan and the PDHG + piggyback plan, measured with
 * the package's float32 tolerance tiers (packages/kernels README, "Tolerance tiers"). Results go
 * into a table and `window.__kernels` for the browser test.
 * @module
 */
import { Rng, amax, dist2, nrm2, sub, type Vec } from '@bilevel/core';
import { GpuJsBackend, ReferenceBackend, detectGpuMode, saddleHypergradient, saddleSteps, type SaddleSpec } from '@bilevel/kernels';

/** Float32 saddle tiers of the kernels package. */
export const SADDLE_TIERS = { iterate: 1e-5, hypergradient: 1e-4 } as const;

/** One compared case. */
export interface KernelCase {
  readonly name: string;
  readonly mode: string;
  readonly executor: string;
  /** max over x, X, xPrev of ‖Δ‖∞/‖x‖∞, and ‖Δy‖∞/α. */
  readonly iterateError: number;
  /** ‖Δg‖/‖g‖ of the host assembly (NaN without piggyback). */
  readonly hypergradientError: number;
  /** ‖Δg‖/‖g‖ of the device assembly (NaN without piggyback). */
  readonly deviceHypergradientError: number;
  readonly ms: number;
}

/** `max_i |a_i − r_i| / scale` (core's `amax` of the difference). */
function maxScaledError(a: Vec, r: Vec, scale: number): number {
  return amax(r.length, sub(r.length, a, r, new Float64Array(r.length))) / scale;
}

/** `‖a − b‖₂ / ‖b‖₂`. */
function relError(a: Vec, b: Vec): number {
  return dist2(b.length, a, b) / nrm2(b.length, b);
}

/** The kernels tests' problem: a bright rectangle on a dark ground, noise 0.1, α = 0.1, ε = 0.05. */
function spec(n: number, isotropic: boolean, seed: number): SaddleSpec {
  const rng = Rng.seeded(seed);
  const target = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) target[i * n + j] = i > n / 3 && i < (2 * n) / 3 && j > n / 4 && j < (3 * n) / 4 ? 0.9 : 0.2;
  const data = target.map((v) => v + 0.1 * rng.normal());
  return { height: n, width: n, operator: { kind: 'gradient' }, alpha: 0.1, epsilon: 0.05, isotropic, data, target };
}

async function check(): Promise<{ mode: string | null; cases: KernelCase[] }> {
  const mode = await detectGpuMode();
  if (mode === null) return { mode, cases: [] };
  const gpu = await GpuJsBackend.create({ mode });
  const ref = new ReferenceBackend();
  const cases: KernelCase[] = [];
  try {
    for (const isotropic of [false, true]) {
      for (const piggyback of [false, true]) {
        const s = spec(32, isotropic, 5);
        const steps = saddleSteps(s);
        const t0 = performance.now();
        const r32 = await gpu.runSaddle(s, steps, { iterations: 200, piggyback });
        const ms = performance.now() - t0;
        const r64 = await ref.runSaddle(s, steps, { iterations: 200, piggyback });
        const keys = piggyback ? (['x', 'X', 'xPrev'] as const) : (['x', 'xPrev'] as const);
        let iterateError = maxScaledError(r32.y, r64.y, s.alpha);
        for (const k of keys) iterateError = Math.max(iterateError, maxScaledError(r32[k], r64[k], amax(r64[k].length, r64[k])));
        const g64 = piggyback ? saddleHypergradient(s, r64) : null;
        cases.push({
          name: `Huber-TV ${isotropic ? 'isotropic' : 'anisotropic'} 32×32, 200 iterations, ${piggyback ? 'PDHG + piggyback' : 'PDHG'}`,
          mode: r32.mode,
          executor: r32.executor,
          iterateError,
          hypergradientError: g64 ? relError(saddleHypergradient(s, r32), g64) : NaN,
          deviceHypergradientError: g64 ? relError(await gpu.hypergradient(s, r32), g64) : NaN,
          ms,
        });
      }
    }
  } finally {
    await gpu.dispose();
  }
  return { mode, cases };
}

const out = document.querySelector<HTMLTableElement>('#kernels-table')!;
const statusEl = document.querySelector('[data-testid="kernels-status"]')!;
const w = window as unknown as { __kernels?: { mode: string | null; cases: KernelCase[] } | { error: string } };
check()
  .then((r) => {
    w.__kernels = r;
    if (r.mode === null) {
      statusEl.textContent = 'no GPU mode (WebGL/WebGPU) answers in this browser';
      return;
    }
    const pass = r.cases.every((c) => c.iterateError < SADDLE_TIERS.iterate && !(c.hypergradientError >= SADDLE_TIERS.hypergradient) && !(c.deviceHypergradientError >= SADDLE_TIERS.hypergradient));
    statusEl.textContent = `gpu.js ${r.mode}: ${pass ? 'all cases within the float32 tiers' : 'OUT OF TOLERANCE'}`;
    out.innerHTML = '<tr><th>case</th><th>mode / executor</th><th>iterate error</th><th>hypergradient error (host / device)</th><th>ms</th></tr>';
    for (const c of r.cases) {
      const row = out.insertRow();
      for (const v of [c.name, `${c.mode} / ${c.executor}`, c.iterateError.toExponential(2), `${c.hypergradientError.toExponential(2)} / ${c.deviceHypergradientError.toExponential(2)}`, c.ms.toFixed(0)]) row.insertCell().textContent = v;
    }
  })
  .catch((e: unknown) => {
    w.__kernels = { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    statusEl.textContent = `error: ${(w.__kernels as { error: string }).error}`;
  });
