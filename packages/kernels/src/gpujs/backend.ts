/**
 * The gpu.js backend: the hot primitives as gpu.js kernels, and the fused PDHG + piggyback kernel
 * registered for the engine of `@bilevel/solvers` (`register`) or run in resident chunks
 * (`runSaddle`, the `SaddleBackend` contract of `@bilevel/core`).
 * @module
 */
import { assertLength, kernelRegistry, parseOrThrow, ValidationError, z, type SaddleBackend, type SaddleDescription, type Vec } from '@bilevel/core';
import type { FusedKernelFactory } from '@bilevel/solvers';
import {
  BackendUnavailableError,
  DisposedError,
  GPUJS_MODES,
  SilentFallbackError,
  type BackendResources,
  type GpuJsMode,
  type HuberConjOptions,
  type RunSaddleOptions,
  type SaddleResult,
  type SaddleSteps,
} from '../backend.js';
import { parseFilterBank, parseGrid, type FilterBank, type Grid } from '../grid.js';
import { assertSameLength, finiteScalar, loadWarm, outArray, parseHuberOptions, parseRun } from '../run.js';
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
  /** The gpu.js mode to run in; `gpu`: any GPU mode (`webgpu` when an adapter answers, else the GL mode gpu.js picks). */
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

const optionsSchema = z.strictObject({
  mode: z.enum([...GPUJS_MODES, 'gpu']),
  allowFallback: z.boolean().default(false),
  threads: z.boolean().default(true),
  pipelineCache: z.number().int().positive().default(4),
});

type Scalar = number;
type KernelArg = ReturnType<typeof input> | Float32Array | Scalar;

/** `κ = 1/(1 + σε/α)`, the scaling of the quadratic part of the Huber conjugate's prox. */
function huberKappa(o: Pick<HuberConjOptions, 'sigma' | 'alpha' | 'epsilon'>): number {
  return 1 / (1 + (o.sigma * o.epsilon) / o.alpha);
}

/**
 * The gpu.js 2.24 backend (`cpu`, `webasm`, `webgpu`, `headlessgl`, `webgl2`, `webgl`): float32
 * storage everywhere (`cpu` computes in float64 between float32 stores, `webasm` and the GPU
 * modes in float32). Inputs and outputs are channel-first, row-major `Float64Array`s (`[C, H, W]`);
 * methods write into `out` when given (else into a fresh array), never mutate their inputs
 * (`out` must not alias one), and return Promises (WebGPU has no synchronous readback).
 *
 * Its fused PDHG + piggyback kernel runs a described problem (see {@link GpuJsBackend.register}):
 * one step at a time for the engine of `@bilevel/solvers`, or `iterations` at a time as one
 * compiled pipeline plan with the state resident on the device ({@link GpuJsBackend.runSaddle}).
 * Kernels compile once per shape and are cached; plans are cached per problem structure and
 * iteration count (so run in fixed-size chunks). Every kernel call and pipeline run is checked
 * for gpu.js's silent fallback (a kernel swapped to `cpu`): an error unless `allowFallback`, else
 * recorded in {@link GpuJsBackend.fallbacks} and reported by `mode`.
 */
export class GpuJsBackend implements SaddleBackend {
  /** Always `float32`. */
  readonly precision = 'float32' as const;
  /** Fallbacks that happened and were allowed, one message each. */
  readonly fallbacks: string[] = [];
  private observed: GpuJsMode;
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
    if (!this.gpuRef) throw new DisposedError('the gpu.js backend was disposed; create a new one with GpuJsBackend.create()');
    return this.gpuRef;
  }

  /**
   * Construct a backend in `options.mode`. `webgpu` is probed with `await GPU.isWebGPUAvailable()`
   * (an adapter must answer); a mode gpu.js cannot construct throws {@link BackendUnavailableError};
   * gpu.js picking another mode than requested (`gpu` → `webasm` without a GL context) throws
   * {@link SilentFallbackError} unless `allowFallback`.
   */
  static async create(options: GpuJsBackendOptions): Promise<GpuJsBackend> {
    const { mode: requested, allowFallback, threads, pipelineCache } = parseOrThrow(optionsSchema, options, 'GpuJsBackend options');
    if (requested === 'webgpu' && !(await isModeAvailable('webgpu'))) {
      throw new BackendUnavailableError("gpu.js mode 'webgpu': no WebGPU adapter answered (navigator.gpu missing or requestAdapter() returned null); run the float64 engine (backend js-f64) or another mode");
    }
    // gpu.js's own 'gpu' mode never picks webgpu; try it first
    const mode = requested === 'gpu' && (await isModeAvailable('webgpu')) ? 'webgpu' : requested;
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
        `gpu.js was asked for mode '${mode}' but chose '${ran}' (its silent fallback); pass allowFallback: true to accept '${ran}', or run the float64 engine (backend js-f64)`,
      );
    }
    noteCreated();
    const backend = new GpuJsBackend(gpu, ran as GpuJsMode, requested, allowFallback, threads, pipelineCache);
    if (!acceptable) backend.fallbacks.push(`requested '${mode}', gpu.js chose '${ran}'`);
    return backend;
  }

  /** The mode that ran the last computation (the chosen mode before any; see {@link GpuJsBackend.fallbacks}). */
  get mode(): GpuJsMode {
    return this.observed;
  }

  /** Whether {@link GpuJsBackend.dispose} has run. */
  get disposed(): boolean {
    return this.gpuRef === null;
  }

  // -------------------------------------------------------------------------------------------
  // plumbing

  private live(what: string): void {
    if (this.gpuRef === null) throw new DisposedError(`${what}: the gpu.js backend was disposed; create a new one with GpuJsBackend.create()`);
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

  /** `out = Dx`, the forward-difference gradient (Neumann), `[2, H, W]`, x-differences first. */
  async gradient(x: Vec, grid: Grid, out?: Vec): Promise<Vec> {
    this.live('gradient');
    const { height: H, width: W } = parseGrid(grid);
    assertLength('gradient x', x, H * W);
    const o = outArray('gradient out', out, 2 * H * W);
    const k = this.kernel(`gradient|${W}x${H}`, src.gradientSource(), [W, H, 2], { W, H });
    flattenInto(await this.run(k, 'gradient', input(new Float32Array(x), [W, H])), o);
    return o;
  }

  /** `out = div p = −Dᵀp` of `p ∈ [2, H, W]` (Neumann: the last differences are dropped). */
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
  private filterCall(op: string, grid: Grid, bank: FilterBank): { H: number; W: number; f: ReturnType<typeof parseFilterBank> } {
    this.live(op);
    const g = parseGrid(grid);
    return { H: g.height, W: g.width, f: parseFilterBank(bank, g) };
  }

  /** `out = Kx` for a filter bank, `[count, H, W]`. */
  async filterApply(x: Vec, grid: Grid, bank: FilterBank, out?: Vec): Promise<Vec> {
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

  /** `out = Kᵀy` for a filter bank, `[H, W]`. */
  async filterAdjoint(y: Vec, grid: Grid, bank: FilterBank, out?: Vec): Promise<Vec> {
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

  /**
   * `out = ∇_k ⟨K_k x, y⟩`, the parameter correlation
   * `out[c,a,b] = Σ_{i,j} y[c,i,j] · x̃[i + a − r, j + b − r]` (`count·k²` entries, tree-reduced).
   */
  async filterParamGrad(x: Vec, y: Vec, grid: Grid, bank: FilterBank, out?: Vec): Promise<Vec> {
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

  /** `out = prox_{τg}(v) = (v + τb)/(1 + τ)` for `g = ½‖· − b‖²`. */
  async proxQuadratic(v: Vec, b: Vec, tau: number, out?: Vec): Promise<Vec> {
    this.live('proxQuadratic');
    assertSameLength('proxQuadratic v, b', v, b);
    const o = outArray('proxQuadratic out', out, v.length);
    const k = this.kernel(`proxQuadratic|${v.length}`, src.proxQuadraticSource(), [v.length], {});
    flattenInto(await this.run(k, 'proxQuadratic', new Float32Array(v), new Float32Array(b), finiteScalar('proxQuadratic tau', tau)), o);
    return o;
  }

  /** `out = D prox_{τg} · dv = dv/(1 + τ)`. */
  async proxQuadraticJvp(dv: Vec, tau: number, out?: Vec): Promise<Vec> {
    this.live('proxQuadraticJvp');
    const o = outArray('proxQuadraticJvp out', out, dv.length);
    const k = this.kernel(`proxQuadraticJvp|${dv.length}`, src.proxQuadraticJvpSource(), [dv.length], {});
    flattenInto(await this.run(k, 'proxQuadraticJvp', new Float32Array(dv), finiteScalar('proxQuadraticJvp tau', tau)), o);
    return o;
  }

  /**
   * `out = prox_{σf*}(w)` for the Huber conjugate: `q = w/(1 + σε/α)`, then clip to `[−α, α]`
   * (anisotropic) or scale each pixel's channel vector by `min(1, α/‖q_p‖)` (isotropic).
   */
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

  /**
   * `out = D prox_{σf*}(w) · dw`: `κ·dw` where inactive and `0` where clipped (anisotropic);
   * `κ(α/‖q‖)(dw − q⟨q, dw⟩/‖q‖²)` on active pixels (isotropic), `κ = 1/(1 + σε/α)`.
   */
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

  /** `out = a·x + b·y`. */
  async axpby(a: number, x: Vec, b: number, y: Vec, out?: Vec): Promise<Vec> {
    this.live('axpby');
    assertSameLength('axpby x, y', x, y);
    const o = outArray('axpby out', out, x.length);
    const k = this.kernel(`axpby|${x.length}`, src.axpbySource(), [x.length], {});
    flattenInto(await this.run(k, 'axpby', finiteScalar('axpby a', a), new Float32Array(x), finiteScalar('axpby b', b), new Float32Array(y)), o);
    return o;
  }

  /** `⟨x, y⟩` by a tree reduction. */
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

  /** `‖x‖²` by a tree reduction. */
  async sumOfSquares(x: Vec): Promise<number> {
    return this.dot(x, x);
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
   * Run `iterations` PDHG iterations of a described problem with constant steps — with the
   * piggyback recursion alongside (docs/math/piggyback.md#the-piggyback-recursion) when
   * `piggyback` (default: the description has a loss and a target) — on this backend's fused
   * kernel (the one {@link GpuJsBackend.register} registers) as one compiled pipeline: one
   * upload, the state resident on the device, one readback. The `SaddleBackend` contract of
   * `@bilevel/core`, which `PiggybackOracle.evaluateAsync` drives in chunks with its certificates
   * on the host; a chunked run (`warm` = the previous result) reproduces an uninterrupted one
   * exactly. The steps are the caller's (`pdhgSteps` of `@bilevel/solvers`); with `normK` they
   * are checked against `τσ‖K‖² ≤ 1`.
   * @throws ValidationError when the kernels do not run the problem, or naming a bad step, option or warm entry
   */
  async runSaddle(problem: SaddleDescription, steps: SaddleSteps, options: RunSaddleOptions): Promise<SaddleResult> {
    this.live('runSaddle');
    const run = parseRun(steps, options);
    const piggyback = run.piggyback ?? (problem.loss !== undefined && problem.target !== undefined);
    const kernel = this.saddleKernel(problem, piggyback);
    if (!kernel) {
      throw new ValidationError(
        piggyback && gpuJsSaddleParams(problem, false)
          ? 'runSaddle: the piggyback needs a squared-error loss and its target in the description, and the problem must be one the gpu.js kernels run (see GpuJsBackend.register); pass piggyback: false for PDHG alone'
          : 'runSaddle: the gpu.js kernels do not run this problem (they run K = s∇ (Neumann) or s times a single-channel zero/periodic filter bank, a quadratic g with constant curvature, a single-block Huber conjugate or ball); solve it with Pdhg of @bilevel/solvers',
      );
    }
    const it = kernel.iterates;
    const given = loadWarm(it, options.warm, it.x.length, it.y.length);
    const { tau, sigma, theta } = run.steps;
    const executor = await kernel.run(run.iterations, tau, sigma, theta);
    const adjoint = piggyback ? it : given;
    return {
      x: it.x.slice(),
      y: it.y.slice(),
      xPrev: it.xPrev.slice(),
      X: adjoint.X.slice(),
      Y: adjoint.Y.slice(),
      XPrev: adjoint.XPrev.slice(),
      iterations: run.iterations,
      piggyback,
      mode: this.observed,
      executor,
    };
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
          return k.fused();
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
