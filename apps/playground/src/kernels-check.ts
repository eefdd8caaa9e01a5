/**
 * The kernel check page: the gpu.js kernels of `@bilevel/kernels` on this browser's GPU mode
 * (WebGL2/WebGL here, float32) against the float64 engine (`js-f64`) on Huber-TV PDHG and PDHG +
 * piggyback, both ways the kernel runs: driven one iteration at a time by the engine
 * (`backend: 'gpujs-f32'`, after `register()`) and as one resident pipeline (`runSaddle`);
 * measured with the package's float32 tolerance tiers (packages/kernels README, "Tolerance
 * tiers"). Results go into a table and `window.__kernels` for the browser test.
 * @module
 */
import { Rng, amax, describeSaddle, dist2, nrm2, sub, type SaddleBackendState, type Vec } from '@bilevel/core';
import { squaredError } from '@bilevel/hypergrad';
import { GpuJsBackend, detectGpuMode } from '@bilevel/kernels';
import { ExpScaledOperator, Gradient2D } from '@bilevel/operators';
import { HuberConjugate, QuadraticFidelity } from '@bilevel/prox';
import { Pdhg, Piggyback, pdhgSteps, type PiggybackProblem } from '@bilevel/solvers';

/** Float32 saddle tiers of the kernels package. */
export const SADDLE_TIERS = { iterate: 1e-5, hypergradient: 1e-4 } as const;

/** One compared case. */
export interface KernelCase {
  readonly name: string;
  readonly mode: string;
  /** gpu.js's executor of the pipeline path. */
  readonly executor: string;
  /** max over both paths and x, X, xPrev of ‖Δ‖∞/‖x‖∞, and ‖Δy‖∞/α. */
  readonly iterateError: number;
  /** ‖Δg‖/‖g‖ of the engine path (NaN without piggyback). */
  readonly hypergradientError: number;
  /** ‖Δg‖/‖g‖ of the pipeline path (NaN without piggyback). */
  readonly pipelineHypergradientError: number;
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

const ALPHA = 0.1;

/** The kernels tests' problem: a bright rectangle on a dark ground, noise 0.1, α = 0.1, ε = 0.05, `K = e^θ∇` at θ = 0. */
function problem(n: number, isotropic: boolean, seed: number): PiggybackProblem {
  const rng = Rng.seeded(seed);
  const target = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) target[i * n + j] = i > n / 3 && i < (2 * n) / 3 && j > n / 4 && j < (3 * n) / 4 ? 0.9 : 0.2;
  const data = target.map((v) => v + 0.1 * rng.normal());
  const K = new ExpScaledOperator(new Gradient2D({ channels: 1, height: n, width: n }), 0);
  const fStar = new HuberConjugate({ shape: K.range, groupSize: isotropic ? 2 : 1, alpha: ALPHA, epsilon: 0.05 });
  const g = new QuadraticFidelity({ shape: K.domain, data });
  return { K, g, fStar, f: fStar.conjugate(), gStar: g.conjugate(), loss: squaredError(), target };
}

/** `∂_θ[⟨K_θX, y⟩ + ⟨K_θx, Y⟩]`, the hypergradient with respect to θ = log s. */
function hypergradient(p: PiggybackProblem, s: SaddleBackendState): Float64Array {
  const K = p.K as ExpScaledOperator;
  const g = new Float64Array(K.params.length);
  K.paramVjp(s.X, s.y, g);
  K.paramVjp(s.x, s.Y, g);
  return g;
}

/** `iterations` steps of `Pdhg` or `Piggyback` on `backend`. */
function engineRun(p: PiggybackProblem, piggyback: boolean, backend: 'js-f64' | 'gpujs-f32', iterations: number): SaddleBackendState {
  const empty = new Float64Array(0);
  if (!piggyback) {
    const pdhg = new Pdhg({ backend });
    const s = pdhg.init(p);
    for (let k = 0; k < iterations; k++) pdhg.step(s);
    return { x: s.x, y: s.y, xPrev: s.xPrev, X: empty, Y: empty, XPrev: empty };
  }
  const solver = new Piggyback({ backend });
  const s = solver.init(p);
  for (let k = 0; k < iterations; k++) solver.step(s);
  return s;
}

async function check(): Promise<{ mode: string | null; cases: KernelCase[] }> {
  const mode = await detectGpuMode();
  if (mode === null) return { mode, cases: [] };
  const gpu = await GpuJsBackend.create({ mode });
  const unregister = gpu.register();
  const cases: KernelCase[] = [];
  try {
    for (const isotropic of [false, true]) {
      for (const piggyback of [false, true]) {
        const p = problem(32, isotropic, 5);
        const r64 = engineRun(p, piggyback, 'js-f64', 200);
        const t0 = performance.now();
        const pipeline = await gpu.runSaddle(describeSaddle(p)!, pdhgSteps(p), { iterations: 200, piggyback });
        const ms = performance.now() - t0;
        const engine = engineRun(p, piggyback, 'gpujs-f32', 200);
        const keys = piggyback ? (['x', 'X', 'xPrev'] as const) : (['x', 'xPrev'] as const);
        let iterateError = 0;
        for (const r32 of [pipeline, engine]) {
          iterateError = Math.max(iterateError, maxScaledError(r32.y, r64.y, ALPHA));
          for (const k of keys) iterateError = Math.max(iterateError, maxScaledError(r32[k], r64[k], amax(r64[k].length, r64[k])));
        }
        const g64 = piggyback ? hypergradient(p, r64) : null;
        cases.push({
          name: `Huber-TV ${isotropic ? 'isotropic' : 'anisotropic'} 32×32, 200 iterations, ${piggyback ? 'PDHG + piggyback' : 'PDHG'}`,
          mode: pipeline.mode,
          executor: pipeline.executor,
          iterateError,
          hypergradientError: g64 ? relError(hypergradient(p, engine), g64) : NaN,
          pipelineHypergradientError: g64 ? relError(hypergradient(p, pipeline), g64) : NaN,
          ms,
        });
      }
    }
  } finally {
    unregister();
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
    const pass = r.cases.every((c) => c.iterateError < SADDLE_TIERS.iterate && !(c.hypergradientError >= SADDLE_TIERS.hypergradient) && !(c.pipelineHypergradientError >= SADDLE_TIERS.hypergradient));
    statusEl.textContent = `gpu.js ${r.mode}: ${pass ? 'all cases within the float32 tiers' : 'OUT OF TOLERANCE'}`;
    out.innerHTML = '<tr><th>case</th><th>mode / pipeline executor</th><th>iterate error</th><th>hypergradient error (engine / pipeline)</th><th>pipeline ms</th></tr>';
    for (const c of r.cases) {
      const row = out.insertRow();
      for (const v of [c.name, `${c.mode} / ${c.executor}`, c.iterateError.toExponential(2), `${c.hypergradientError.toExponential(2)} / ${c.pipelineHypergradientError.toExponential(2)}`, c.ms.toFixed(0)]) row.insertCell().textContent = v;
    }
  })
  .catch((e: unknown) => {
    w.__kernels = { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    statusEl.textContent = `error: ${(w.__kernels as { error: string }).error}`;
  });
