/**
 * The gpu.js backend: the hot primitives as gpu.js kernels and the fused PDHG + piggyback
 * iteration as a compiled `gpu.createPipeline` plan whose state stays resident between
 * iterations (one upload and one readback per `runSaddle` call).
 * @module
 */
import { assertLength, kernelRegistry, ValidationError, type SaddleDescription, type Vec } from '@bilevel/core';
import type { FusedKernelFactory } from '@bilevel/solvers';
import type { IConstantsThis } from 'gpu.js';
import {
  BackendUnavailableError,
  DisposedError,
  SilentFallbackError,
  type BackendMode,
  type BackendResources,
  type ComputeBackend,
  type GpuJsMode,
  type HuberConjOptions,
  type RunSaddleOptions,
  type SaddleResult,
  type SaddleState,
} from '../backend.js';
import { hypergradientSize, saddleLoss } from '../hypergradient.js';
import { huberKappa } from '../reference/prox.js';
import { assertSameLength, assertStateShape, finiteScalar, outArray, parseHuberOptions, prepareRun } from '../run.js';
import { dualChannels, parseFilterBank, parseGrid, parseSaddleSpec, type SaddleFilterBank, type Grid, type SaddleSpec, type SaddleSteps } from '../spec.js';
import { noteCreated, noteDisposed } from './live.js';
import { gpuJsSaddleParams } from './params.js';
import { GpuJsSaddleKernel, type SaddleDevice } from './saddle.js';
import {
  GPU,
  GPU_MODES,
  flattenInto,
  input,
  isModeAvailable,
  modeOfKernelClass,
  modeOfPipeline,
  modeOfShortcut,
  type KernelShortcut,
  type PipelineShortcut,
} from './runtime.js';
import * as src from './sources.js';

/** Options of {@link GpuJsBackend.create}. */
export interface GpuJsBackendOptions {
  /** The gpu.js mode to run in; `gpu` means any GPU mode gpu.js picks (webgpu is not auto-picked by gpu.js). */
  readonly mode: GpuJsMode | 'gpu';
  /** Accept gpu.js running another mode than requested (default false: {@link SilentFallbackError}). */
  readonly allowFallback?: boolean;
  /** Let `webasm` pipeline plans run on gpu.js's worker pool (`fused-threaded`; default true). */
  readonly threads?: boolean;
  /**
   * Compiled pipeline plans kept: fused-iteration plans (one per problem structure and iteration
   * count) and reduction plans; the least recently used are destroyed (default 4).
   */
  readonly pipelineCache?: number;
}

type Scalar = number;
type KernelArg = ReturnType<typeof input> | Float32Array | Scalar;

/**
 * {@link ComputeBackend} on gpu.js 2.24 (`cpu`, `webasm`, `webgpu`, `headlessgl`, `webgl2`,
 * `webgl`). Float32 storage everywhere (`cpu` computes in float64 between float32 stores,
 * `webasm` and the GPU modes in float32).
 *
 * Kernels are compiled once per shape and cached; `runSaddle` compiles the whole loop of
 * `iterations` fused iterations into one gpu.js pipeline plan (cached per problem structure
 * and iteration count), so a fixed chunk size compiles once. Every kernel call and pipeline
 * run is checked for gpu.js's silent fallback (a kernel swapped to `cpu`): an error unless
 * `allowFallback`, else recorded in {@link GpuJsBackend.fallbacks} and reported by `mode`.
 */
export class GpuJsBackend implements ComputeBackend {
  /** Always `float32`. */
  readonly precision = 'float32' as const;
  /** Fallbacks that happened and were allowed, one message each. */
  readonly fallbacks: string[] = [];
  private observed: BackendMode;
  private readonly kernels = new Map<string, KernelShortcut>();
  private readonly pipelines = new Map<string, PipelineShortcut>();
  private readonly registrations = new Set<() => void>();

  private gpuRef: GPU | null;

  private constructor(
    gpu: GPU,
    /** The mode gpu.js chose at construction. */
    readonly chosenMode: GpuJsMode,
    /** The mode that was asked for. */
    readonly requestedMode: GpuJsMode | 'gpu',
    private readonly allowFallback: boolean,
    private readonly threads: boolean,
    private readonly pipelineCache: number,
  ) {
    this.observed = chosenMode;
    this.gpuRef = gpu;
  }

  /** The gpu.js instance (released, so collectable, by {@link GpuJsBackend.dispose}). */
  private get gpu(): GPU {
    if (!this.gpuRef) throw new DisposedError('the gpu.js backend was disposed; create a new one with selectBackend()');
    return this.gpuRef;
  }

  /**
   * Construct a backend in `options.mode`. `webgpu` is probed with `await GPU.isWebGPUAvailable()`
   * (an adapter must answer); a mode gpu.js cannot construct throws {@link BackendUnavailableError};
   * gpu.js picking another mode than requested (`gpu` → `webasm` without a GL context) throws
   * {@link SilentFallbackError} unless `allowFallback`.
   */
  static async create(options: GpuJsBackendOptions): Promise<GpuJsBackend> {
    const { mode, allowFallback = false, threads = true, pipelineCache = 4 } = options;
    if (!Number.isInteger(pipelineCache) || pipelineCache < 1) {
      throw new ValidationError(`GpuJsBackend options: pipelineCache must be an integer ≥ 1, got ${pipelineCache}`);
    }
    if (mode === 'webgpu' && !(await isModeAvailable('webgpu'))) {
      throw new BackendUnavailableError("gpu.js mode 'webgpu': no WebGPU adapter answered (navigator.gpu missing or requestAdapter() returned null); use selectBackend() to fall back to the float64 reference");
    }
    let gpu: GPU;
    try {
      gpu = new GPU({ mode });
    } catch (e) {
      throw new BackendUnavailableError(`gpu.js mode '${mode}' is unavailable here: ${(e as Error).message}`);
    }
    const ran = modeOfKernelClass(gpu.Kernel);
    const acceptable = mode === 'gpu' ? (GPU_MODES as readonly string[]).includes(ran) : ran === mode;
    if (ran === 'unknown' || (!acceptable && !allowFallback)) {
      void gpu.destroy();
      throw new SilentFallbackError(
        `gpu.js was asked for mode '${mode}' but chose '${ran}' (its silent fallback); pass allowFallback: true to accept '${ran}', or select 'reference'`,
      );
    }
    noteCreated();
    const backend = new GpuJsBackend(gpu, ran as GpuJsMode, mode, allowFallback, threads, pipelineCache);
    if (!acceptable) backend.fallbacks.push(`requested '${mode}', gpu.js chose '${ran}'`);
    return backend;
  }

  /** The mode that ran the last computation (the chosen mode before any; see {@link GpuJsBackend.fallbacks}). */
  get mode(): BackendMode {
    return this.observed;
  }

  /** Whether {@link GpuJsBackend.dispose} has run. */
  get disposed(): boolean {
    return this.gpuRef === null;
  }

  // -------------------------------------------------------------------------------------------
  // plumbing

  private live(what: string): void {
    if (this.gpuRef === null) throw new DisposedError(`${what}: the gpu.js backend was disposed; create a new one with selectBackend()`);
  }

  private observe(ran: GpuJsMode | 'unknown', what: string, reason: string | null): void {
    if (ran === this.chosenMode) {
      this.observed = ran;
      return;
    }
    const msg = `${what}: gpu.js ran in mode '${ran}' instead of '${this.chosenMode}'${reason ? ` (${reason})` : ''}`;
    if (!this.allowFallback || ran === 'unknown') {
      throw new SilentFallbackError(`${msg}; pass allowFallback: true to accept it, or select another backend`);
    }
    if (!this.fallbacks.includes(msg)) this.fallbacks.push(msg);
    this.observed = ran;
  }

  /**
   * The kernel cached under `key`, compiled on first use; `asyncMode` (default: on `webgl2` and
   * `webgpu`) makes its calls return Promises.
   */
  private kernel(
    key: string,
    source: string,
    output: number[],
    constants: Record<string, number>,
    asyncMode = this.chosenMode === 'webgl2' || this.chosenMode === 'webgpu',
  ): KernelShortcut {
    let k = this.kernels.get(key);
    if (!k) {
      k = this.gpu.createKernel(source, {
        output,
        constants,
        // never 'unsigned': it packs each float into RGBA8 on the GL backends (gpu.js #479, #659)
        precision: 'single',
        // v3-shaped calls where readback is genuinely asynchronous; the rest resolve synchronously
        asyncMode,
      });
      this.kernels.set(key, k);
    }
    return k;
  }

  /** Run a kernel (awaiting async backends) and check the mode it ran in. */
  private async run(k: KernelShortcut, what: string, ...args: KernelArg[]): Promise<unknown> {
    const r: unknown = await (k(...(args as never[])) as unknown);
    this.observe(modeOfShortcut(k), what, k.kernel.fallbackReason);
    return r;
  }

  /** The pipeline cached under `key` (LRU), built by `make` on a miss. */
  private async pipeline(key: string, make: () => PipelineShortcut): Promise<PipelineShortcut> {
    const hit = this.pipelines.get(key);
    if (hit) {
      this.pipelines.delete(key);
      this.pipelines.set(key, hit);
      return hit;
    }
    const p = make();
    this.pipelines.set(key, p);
    while (this.pipelines.size > this.pipelineCache) {
      const [oldKey, old] = this.pipelines.entries().next().value!;
      this.pipelines.delete(oldKey);
      await old.destroy();
    }
    return p;
  }

  private async runPipeline(p: PipelineShortcut, what: string, ...args: KernelArg[]): Promise<unknown> {
    const r: unknown = await p(...(args as never[]));
    this.observe(modeOfPipeline(p, this.chosenMode), what, p.fallbackReason);
    return r;
  }

  /**
   * A tree reduction: `partial` (two arguments) produces `[m, rows]` (or `[m]` when `!twoD`),
   * then passes of {@link src.rowSumSource} sum `FAN_IN` entries per thread until at most
   * `FAN_IN` remain per row, all inside one pipeline; the last level is read back and summed
   * in float64.
   */
  private async reduce(key: string, partial: KernelShortcut, m0: number, rows: number, twoD: boolean, a: KernelArg, b: KernelArg, what: string): Promise<Float64Array> {
    const F = src.FAN_IN;
    const levels: KernelShortcut[] = [];
    let m = m0;
    while (m > F) {
      const next = Math.ceil(m / F);
      levels.push(this.kernel(`rowSum|${m}|${rows}|${twoD}`, src.rowSumSource(twoD), twoD ? [next, rows] : [next], { m, F }));
      m = next;
    }
    const p = await this.pipeline(`reduce|${key}`, () =>
      this.gpu.createPipeline(
        function (this: unknown, u: unknown, v: unknown) {
          let h = partial(u, v);
          for (const level of levels) h = level(h);
          return h;
        },
        { threads: this.threads },
      ),
    );
    const res = await this.runPipeline(p, what, a, b);
    const flat = new Float64Array(m * rows);
    flattenInto(res, flat);
    const sums = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let t = 0; t < m; t++) s += flat[r * m + t]!;
      sums[r] = s;
    }
    return sums;
  }

  // -------------------------------------------------------------------------------------------
  // primitives

  /** {@inheritDoc ComputeBackend.gradient} */
  async gradient(x: Vec, grid: Grid, out?: Vec): Promise<Vec> {
    this.live('gradient');
    const { height: H, width: W } = parseGrid(grid);
    assertLength('gradient x', x, H * W);
    const o = outArray('gradient out', out, 2 * H * W);
    const k = this.kernel(`gradient|${W}x${H}`, src.gradientSource(), [W, H, 2], { W, H });
    flattenInto(await this.run(k, 'gradient', input(new Float32Array(x), [W, H])), o);
    return o;
  }

  /** {@inheritDoc ComputeBackend.divergence} */
  async divergence(p: Vec, grid: Grid, out?: Vec): Promise<Vec> {
    this.live('divergence');
    const { height: H, width: W } = parseGrid(grid);
    assertLength('divergence p', p, 2 * H * W);
    const o = outArray('divergence out', out, H * W);
    const k = this.kernel(`divergence|${W}x${H}`, src.divergenceSource(), [W, H], { W, H });
    flattenInto(await this.run(k, 'divergence', input(new Float32Array(p), [W, H, 2])), o);
    return o;
  }

  /** Refuses a disposed backend for the filter-bank primitive `op`, then parses its grid and bank. */
  private filterCall(op: string, grid: Grid, bank: SaddleFilterBank): { H: number; W: number; f: ReturnType<typeof parseFilterBank> } {
    this.live(op);
    const g = parseGrid(grid);
    return { H: g.height, W: g.width, f: parseFilterBank(bank, g) };
  }

  /** {@inheritDoc ComputeBackend.filterApply} */
  async filterApply(x: Vec, grid: Grid, bank: SaddleFilterBank, out?: Vec): Promise<Vec> {
    const { H, W, f } = this.filterCall('filterApply', grid, bank);
    assertLength('filterApply x', x, H * W);
    const o = outArray('filterApply out', out, f.count * H * W);
    const ks = f.kernelSize;
    const k = this.kernel(`filterApply|${W}x${H}|${f.count}|${ks}|${f.boundary}`, src.filterApplySource(f.boundary), [W, H, f.count], {
      W,
      H,
      ks,
      r: (ks - 1) / 2,
    });
    flattenInto(await this.run(k, 'filterApply', input(new Float32Array(x), [W, H]), new Float32Array(f.kernels)), o);
    return o;
  }

  /** {@inheritDoc ComputeBackend.filterAdjoint} */
  async filterAdjoint(y: Vec, grid: Grid, bank: SaddleFilterBank, out?: Vec): Promise<Vec> {
    const { H, W, f } = this.filterCall('filterAdjoint', grid, bank);
    assertLength('filterAdjoint y', y, f.count * H * W);
    const o = outArray('filterAdjoint out', out, H * W);
    const ks = f.kernelSize;
    const k = this.kernel(`filterAdjoint|${W}x${H}|${f.count}|${ks}|${f.boundary}`, src.filterAdjointSource(f.boundary), [W, H], {
      W,
      H,
      C: f.count,
      ks,
      r: (ks - 1) / 2,
    });
    flattenInto(await this.run(k, 'filterAdjoint', input(new Float32Array(y), [W, H, f.count]), new Float32Array(f.kernels)), o);
    return o;
  }

  /** {@inheritDoc ComputeBackend.filterParamGrad} */
  async filterParamGrad(x: Vec, y: Vec, grid: Grid, bank: SaddleFilterBank, out?: Vec): Promise<Vec> {
    const { H, W, f } = this.filterCall('filterParamGrad', grid, bank);
    const n = H * W;
    assertLength('filterParamGrad x', x, n);
    assertLength('filterParamGrad y', y, f.count * n);
    const taps = f.count * f.kernelSize * f.kernelSize;
    const o = outArray('filterParamGrad out', out, taps);
    const ks = f.kernelSize;
    const nb = Math.ceil(n / src.FAN_IN);
    const key = `paramGrad|${W}x${H}|${f.count}|${ks}|${f.boundary}`;
    const partial = this.kernel(key, src.paramPartialSource(f.boundary), [nb, taps], { W, H, n, ks, r: (ks - 1) / 2, F: src.FAN_IN });
    const sums = await this.reduce(key, partial, nb, taps, true, input(new Float32Array(x), [W, H]), input(new Float32Array(y), [W, H, f.count]), 'filterParamGrad');
    o.set(sums);
    return o;
  }

  /** {@inheritDoc ComputeBackend.proxQuadratic} */
  async proxQuadratic(v: Vec, b: Vec, tau: number, out?: Vec): Promise<Vec> {
    this.live('proxQuadratic');
    assertSameLength('proxQuadratic v, b', v, b);
    const o = outArray('proxQuadratic out', out, v.length);
    const k = this.kernel(`proxQuadratic|${v.length}`, src.proxQuadraticSource(), [v.length], {});
    flattenInto(await this.run(k, 'proxQuadratic', new Float32Array(v), new Float32Array(b), finiteScalar('proxQuadratic tau', tau)), o);
    return o;
  }

  /** {@inheritDoc ComputeBackend.proxQuadraticJvp} */
  async proxQuadraticJvp(dv: Vec, tau: number, out?: Vec): Promise<Vec> {
    this.live('proxQuadraticJvp');
    const o = outArray('proxQuadraticJvp out', out, dv.length);
    const k = this.kernel(`proxQuadraticJvp|${dv.length}`, src.proxQuadraticJvpSource(), [dv.length], {});
    flattenInto(await this.run(k, 'proxQuadraticJvp', new Float32Array(dv), finiteScalar('proxQuadraticJvp tau', tau)), o);
    return o;
  }

  /** {@inheritDoc ComputeBackend.proxHuberConj} */
  async proxHuberConj(w: Vec, options: HuberConjOptions, out?: Vec): Promise<Vec> {
    this.live('proxHuberConj');
    const opt = parseHuberOptions(options, w);
    const o = outArray('proxHuberConj out', out, w.length);
    const kappa = huberKappa(opt);
    if (!opt.isotropic) {
      const k = this.kernel(`proxHuberAniso|${w.length}`, src.proxHuberAnisoSource(), [w.length], {});
      flattenInto(await this.run(k, 'proxHuberConj', new Float32Array(w), kappa, opt.alpha), o);
    } else {
      const C = opt.channels;
      const n = w.length / C;
      const k = this.kernel(`proxHuberIso|${n}|${C}`, src.proxHuberIsoSource(), [n, C], { C });
      flattenInto(await this.run(k, 'proxHuberConj', input(new Float32Array(w), [n, C]), kappa, opt.alpha), o);
    }
    return o;
  }

  /** {@inheritDoc ComputeBackend.proxHuberConjJvp} */
  async proxHuberConjJvp(w: Vec, dw: Vec, options: HuberConjOptions, out?: Vec): Promise<Vec> {
    this.live('proxHuberConjJvp');
    assertSameLength('proxHuberConjJvp w, dw', w, dw);
    const opt = parseHuberOptions(options, w);
    const o = outArray('proxHuberConjJvp out', out, w.length);
    const kappa = huberKappa(opt);
    if (!opt.isotropic) {
      const k = this.kernel(`proxHuberAnisoJvp|${w.length}`, src.proxHuberAnisoJvpSource(), [w.length], {});
      flattenInto(await this.run(k, 'proxHuberConjJvp', new Float32Array(w), new Float32Array(dw), kappa, opt.alpha), o);
    } else {
      const C = opt.channels;
      const n = w.length / C;
      const k = this.kernel(`proxHuberIsoJvp|${n}|${C}`, src.proxHuberIsoJvpSource(), [n, C], { C });
      flattenInto(
        await this.run(k, 'proxHuberConjJvp', input(new Float32Array(w), [n, C]), input(new Float32Array(dw), [n, C]), kappa, opt.alpha),
        o,
      );
    }
    return o;
  }

  /** {@inheritDoc ComputeBackend.axpby} */
  async axpby(a: number, x: Vec, b: number, y: Vec, out?: Vec): Promise<Vec> {
    this.live('axpby');
    assertSameLength('axpby x, y', x, y);
    const o = outArray('axpby out', out, x.length);
    const k = this.kernel(`axpby|${x.length}`, src.axpbySource(), [x.length], {});
    flattenInto(await this.run(k, 'axpby', finiteScalar('axpby a', a), new Float32Array(x), finiteScalar('axpby b', b), new Float32Array(y)), o);
    return o;
  }

  /** {@inheritDoc ComputeBackend.dot} */
  async dot(x: Vec, y: Vec): Promise<number> {
    this.live('dot');
    assertSameLength('dot x, y', x, y);
    if (x.length === 0) return 0;
    const n = x.length;
    const nb = Math.ceil(n / src.FAN_IN);
    const partial = this.kernel(`dotPartial|${n}`, src.dotPartialSource(), [nb], { n, F: src.FAN_IN });
    const fx = new Float32Array(x);
    const fy = x === y ? fx : new Float32Array(y);
    return (await this.reduce(`dot|${n}`, partial, nb, 1, false, fx, fy, 'dot'))[0]!;
  }

  /** {@inheritDoc ComputeBackend.sumOfSquares} */
  async sumOfSquares(x: Vec): Promise<number> {
    return this.dot(x, x);
  }

  // -------------------------------------------------------------------------------------------
  // the fused iteration

  /** The compiled plan of `iterations` fused iterations for this problem structure. */
  private saddlePipeline(spec: SaddleSpec, streams: number, iterations: number): Promise<PipelineShortcut> {
    const { height: H, width: W, isotropic } = spec;
    const C = dualChannels(spec);
    const op = spec.operator;
    const shape = op.kind === 'gradient' ? 'gradient' : `filters|${op.count}|${op.kernelSize}|${op.boundary}`;
    const base = `${W}x${H}|${shape}|${isotropic ? 'iso' : 'aniso'}|S${streams}`;
    const constants = { iterations };
    const threads = this.threads;
    if (op.kind === 'gradient') {
      const dual = this.kernel(`dualGradient|${base}`, src.dualGradientSource(isotropic), [W, H, 2 * streams], { W, H });
      const primal = this.kernel(`primalGradient|${W}x${H}|S${streams}`, src.primalGradientSource(), [W, H, streams], { W, H });
      return this.pipeline(`saddle|${base}|${iterations}`, () =>
        this.gpu.createPipeline(
          function (this: { constants: IConstantsThis }, D0: unknown, P0: unknown, Q0: unknown, B: unknown, sigma: unknown, theta: unknown, kappa: unknown, alpha: unknown, tau: unknown) {
            let D = D0;
            let P = P0;
            let Q = Q0;
            for (let it = 0; it < Number(this.constants.iterations); it++) {
              D = dual(D, P, Q, sigma, theta, kappa, alpha);
              const next = primal(P, D, B, tau);
              Q = P;
              P = next;
            }
            return { D, P, Q };
          },
          { constants, threads },
        ),
      );
    }
    const ks = op.kernelSize;
    const fc = { W, H, C, ks, r: (ks - 1) / 2 };
    const pre = this.kernel(`dualFiltersPre|${base}`, src.dualFiltersPreSource(op.boundary), [W, H, streams * C], fc);
    const prox = this.kernel(`dualProx|${base}`, src.dualProxSource(isotropic), [W, H, streams * C], { W, H, C });
    const primal = this.kernel(`primalFilters|${base}`, src.primalFiltersSource(op.boundary), [W, H, streams], fc);
    return this.pipeline(`saddle|${base}|${iterations}`, () =>
      this.gpu.createPipeline(
        function (
          this: { constants: IConstantsThis },
          D0: unknown,
          P0: unknown,
          Q0: unknown,
          B: unknown,
          k: unknown,
          sigma: unknown,
          theta: unknown,
          kappa: unknown,
          alpha: unknown,
          tau: unknown,
        ) {
          let D = D0;
          let P = P0;
          let Q = Q0;
          for (let it = 0; it < Number(this.constants.iterations); it++) {
            D = prox(pre(D, P, Q, k, sigma, theta), kappa, alpha);
            const next = primal(P, D, B, k, tau);
            Q = P;
            P = next;
          }
          return { D, P, Q };
        },
        { constants, threads },
      ),
    );
  }

  /** {@inheritDoc ComputeBackend.runSaddle} */
  async runSaddle(specIn: SaddleSpec, stepsIn: SaddleSteps, options: RunSaddleOptions): Promise<SaddleResult> {
    this.live('runSaddle');
    const { spec, steps, iterations, piggyback, state } = prepareRun(specIn, stepsIn, options);
    const { height: H, width: W } = spec;
    const n = H * W;
    const C = dualChannels(spec);
    const S = piggyback ? 2 : 1;
    const D0 = new Float32Array(S * C * n);
    const P0 = new Float32Array(S * n);
    const Q0 = new Float32Array(S * n);
    const B = new Float32Array(2 * n);
    D0.set(state.y);
    P0.set(state.x);
    Q0.set(state.xPrev);
    B.set(spec.data);
    if (piggyback) {
      D0.set(state.Y, C * n);
      P0.set(state.X, n);
      Q0.set(state.XPrev, n);
      B.set(spec.target!, n);
    }
    const kappa = huberKappa({ sigma: steps.sigma, alpha: spec.alpha, epsilon: spec.epsilon });
    const p = await this.saddlePipeline(spec, S, iterations);
    const head: KernelArg[] = [input(D0, [W, H, S * C]), input(P0, [W, H, S]), input(Q0, [W, H, S]), input(B, [W, H, 2])];
    const tail: KernelArg[] = [steps.sigma, steps.theta, kappa, spec.alpha];
    const args = spec.operator.kind === 'gradient' ? [...head, ...tail, steps.tau] : [...head, new Float32Array(spec.operator.kernels), ...tail, steps.tau];
    const res = (await this.runPipeline(p, 'runSaddle', ...args)) as { D: unknown; P: unknown; Q: unknown };
    const D = new Float64Array(S * C * n);
    const P = new Float64Array(S * n);
    const Q = new Float64Array(S * n);
    flattenInto(res.D, D);
    flattenInto(res.P, P);
    flattenInto(res.Q, Q);
    const x = P.slice(0, n);
    const target = spec.target;
    return {
      x,
      y: D.slice(0, C * n),
      X: piggyback ? P.slice(n) : state.X,
      Y: piggyback ? D.slice(C * n) : state.Y,
      xPrev: Q.slice(0, n),
      XPrev: piggyback ? Q.slice(n) : state.XPrev,
      iterations,
      piggyback,
      mode: this.observed,
      executor: p.executorKind,
      ...(target ? { loss: saddleLoss(target, x) } : {}),
    };
  }

  /** {@inheritDoc ComputeBackend.hypergradient} */
  async hypergradient(specIn: SaddleSpec, state: SaddleState): Promise<Float64Array> {
    this.live('hypergradient');
    const spec = parseSaddleSpec(specIn);
    assertStateShape('hypergradient', spec, state);
    const n = spec.height * spec.width;
    const g = new Float64Array(hypergradientSize(spec));
    const op = spec.operator;
    if (op.kind === 'filters') {
      const a = await this.filterParamGrad(state.X, state.y, spec, op);
      const b = await this.filterParamGrad(state.x, state.Y, spec, op);
      for (let t = 0; t < g.length; t++) g[t] = a[t]! + b[t]!;
      return g;
    }
    const dX = await this.gradient(state.X, spec);
    const dx = await this.gradient(state.x, spec);
    for (let d = 0; d < 2; d++) {
      const s = d * n;
      const e = s + n;
      g[d] = (await this.dot(dX.subarray(s, e), state.y.subarray(s, e))) + (await this.dot(dx.subarray(s, e), state.Y.subarray(s, e)));
    }
    return g;
  }

  // -------------------------------------------------------------------------------------------
  // the registered fused kernel

  /**
   * What the fused saddle kernels need of this backend. Their kernels are synchronous except on
   * `webgpu` (no synchronous readback), where only pipelines run them.
   */
  private device(): SaddleDevice {
    return {
      mode: this.chosenMode,
      threads: this.threads,
      kernel: (key, source, output, constants) => this.kernel(key, source, output, constants, this.chosenMode === 'webgpu'),
      call: (k, what, ...args) => {
        const r: unknown = k(...(args as never[]));
        this.observe(modeOfShortcut(k), what, k.kernel.fallbackReason);
        return r;
      },
      pipeline: (key, fn, constants) => this.pipeline(key, () => this.gpu.createPipeline(fn as never, { constants, threads: this.threads })),
      run: (p, what, ...args) => this.runPipeline(p, what, ...(args as KernelArg[])),
    };
  }

  /**
   * The fused kernel of this backend for a described problem (PDHG, or with `adjoint` the
   * piggyback iteration), or `undefined` when it does not run it (see {@link gpuJsSaddleParams}).
   */
  private saddleKernel(description: SaddleDescription, adjoint: boolean): GpuJsSaddleKernel | undefined {
    const params = gpuJsSaddleParams(description, adjoint);
    return params ? new GpuJsSaddleKernel(this.device(), params, adjoint) : undefined;
  }

  /**
   * Register this backend's fused PDHG and piggyback kernels in the kernel registry of
   * `@bilevel/core` (backend `gpujs-f32`, name `gpujs-<mode>`), so `Pdhg` and `Piggyback` of
   * `@bilevel/solvers` run them with `backend: 'gpujs-f32'` (never with `auto`). They match
   * `K = s∇` (Neumann, any number of channels) or `s` times a single-channel zero/periodic filter
   * bank, `g` a quadratic with constant curvature, `f*` a single-block Huber conjugate (or the
   * ball) over groups of dual planes, and for the piggyback a squared-error loss. Not on
   * `webgpu` (its kernels cannot answer synchronously). Returns the function that removes them;
   * {@link GpuJsBackend.dispose} removes them too.
   */
  register(): () => void {
    this.live('register');
    const removers = (['pdhg', 'piggyback'] as const).map((algorithm) =>
      kernelRegistry.register<FusedKernelFactory>({
        name: `gpujs-${this.chosenMode}`,
        algorithm,
        backend: 'gpujs-f32',
        matches: (d) => this.gpuRef !== null && this.chosenMode !== 'webgpu' && gpuJsSaddleParams(d, algorithm === 'piggyback') !== undefined,
        create: (d) => {
          const k = this.saddleKernel(d, algorithm === 'piggyback');
          if (!k) throw new ValidationError(`gpujs-f32 kernel: the gpu.js kernels do not run this ${algorithm} problem`);
          return k;
        },
      }),
    );
    const unregister = (): void => {
      for (const remove of removers) remove();
      this.registrations.delete(unregister);
    };
    this.registrations.add(unregister);
    return unregister;
  }

  // -------------------------------------------------------------------------------------------
  // lifetime

  /** Live resources: the instance, its registered kernels (pipeline clones included) and compiled pipelines. */
  resources(): BackendResources {
    if (this.gpuRef === null) return { gpus: 0, kernels: 0, pipelines: 0 };
    const gpu = this.gpuRef as unknown as { kernels: unknown[]; pipelines: unknown[] };
    return { gpus: 1, kernels: gpu.kernels.length, pipelines: gpu.pipelines.length };
  }

  /**
   * Destroy every pipeline (their plan buffers, kernel clones and worker pools), every kernel and
   * the gpu.js instance (`gpu.destroy()`, which awaits in-flight pipeline runs), and drop the
   * reference to the instance. Idempotent.
   */
  async dispose(): Promise<void> {
    const gpu = this.gpuRef;
    if (gpu === null) return;
    for (const unregister of [...this.registrations]) unregister();
    const pipelines = [...this.pipelines.values()];
    this.pipelines.clear();
    this.kernels.clear();
    this.gpuRef = null;
    try {
      for (const p of pipelines) await p.destroy();
      // destroys every kernel registered with the instance (ours and the pipelines' clones);
      // gpu.js's cpu kernels have a no-op destroy and stay listed on the instance, which is
      // why the backend drops its reference to the instance: nothing then keeps them alive
      await gpu.destroy();
    } finally {
      noteDisposed();
    }
  }
}
