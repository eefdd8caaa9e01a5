/**
 * Host side of the WebAssembly Huber-TV kernel (`huber-tv.wat`): one instance per solver state,
 * owning a memory with every array of the iteration and of its certificates, so a step writes a
 * few scalars into the parameter block and copies nothing. Instances are lent from the kernel's
 * pool and given back by `release`, so repeated short solves reuse their memories.
 *
 * With more than one thread the rows are cut into bands (four per thread) that the threads claim
 * — this thread and worker threads (`band-team.ts`), each with an instance of the shared-memory
 * variant of the module on one shared memory, synchronised by `Atomics` waits on a control block
 * in it; the results are bit-identical to one thread (see `huber-tv.wat`, *Row bands*).
 * @module
 */
import { BilevelError, WasmKernel, assertLength, type Vec, type WasmInstance } from '@bilevel/core';
import type { BandExport, Stage } from './band-program.js';
import { BandTeam, controlBytes, threadsAvailable } from './band-team.js';
import { wasmBase64, wasmSharedBase64 } from './huber-tv.wasm.js';

/** Exports of `huber-tv.wat` (everything else goes through the parameter block). */
interface Exports {
  step(adjoint: number): number;
  certificate(adjoint: number): void;
  stepBandHead(adjoint: number, band: number): void;
  stepBandBody(adjoint: number, band: number): void;
  stepBandNext(adjoint: number, band: number): void;
  sumRows(): number;
  certBand(pass: number, band: number): void;
  certSums(adjoint: number): void;
}

const WHO = 'the fused Huber-TV kernel';
const FALLBACK = 'the generic composition (backend js-f64)';

/** The compiled kernel, shared by every one-band instance. */
const kernel = new WasmKernel<Exports>(wasmBase64, WHO, FALLBACK);

/** Its shared-memory variant, for instances run in row bands on several threads. */
const sharedKernel = new WasmKernel<Exports>(wasmSharedBase64, WHO, FALLBACK, { shared: true });

/** The exports a band program calls, by index (the indices of {@link stepProgram}, {@link certificateProgram}). */
const BAND_EXPORTS = ['stepBandHead', 'stepBandBody', 'stepBandNext', 'certBand'] as const;

/**
 * One iteration: on every band, its first row (`stepBandHead`), its other rows (`stepBandBody`),
 * then the next band's first primal row (`stepBandNext`) once the next band has finished its
 * head — the only wait within a step, and a short one.
 */
function stepProgram(adjoint: number): Stage[] {
  return [{ first: 0, rest: 1, link: 2, args: [adjoint] }];
}

/** The certificate passes (3, with the adjoint 6), each started once every band has finished the one before. */
function certificateProgram(adjoint: number): Stage[] {
  return Array.from({ length: adjoint ? 6 : 3 }, (_, k) => ({ first: 3, args: [k + 1] }));
}

/**
 * Row bands per thread: a thread's share of the rows is cut into this many bands, so that a
 * thread that starts a step late (another process holds its core) leaves whole bands to the
 * others instead of making them wait (see `band-program.ts`).
 */
const BANDS_PER_THREAD = 4;

/**
 * Pixels (`C·H·W`) per thread below which a solve runs on fewer threads than asked (2¹⁵: two
 * threads from a 256² image on). A step wakes the worker threads and waits for them, which costs tens of
 * microseconds: measured on 2 cores with the second one free, two threads took 0.7× the time of
 * one at 128² (2¹³ pixels each), 0.55–0.7× at 256² and 0.5× at 512² and 1024²; with the second
 * core busy with another process, 1.0–1.5× at 128²–256² and 0.9–1.0× beyond — so a thread pays
 * off from about 2¹⁵ pixels.
 */
export const MIN_PIXELS_PER_THREAD = 2 ** 15;

/**
 * The threads a solve with the option `threads` runs on: `threads`, but at most one
 * per {@link MIN_PIXELS_PER_THREAD} pixels and one per row (`C·H` rows), and 1 where worker
 * threads are not available (browsers, Node < 20.16).
 */
export function huberTvThreads(threads: number, C: number, H: number, W: number): number {
  if (threads <= 1 || !threadsAvailable()) return 1;
  return Math.max(1, Math.min(threads, C * H, Math.floor((C * H * W) / MIN_PIXELS_PER_THREAD)));
}

/** Kernels with threads that were never released: their workers are detached when the kernel is collected. */
const unreleased = new FinalizationRegistry<BandTeam>((team) => team.detach());

/**
 * A Huber-TV problem as the kernel sees it:
 * `g(x) = (λ/2)‖x‖² − ⟨c, x⟩ + γ` (`γ = constant`), `K = s∇` on `[C, H, W]` (Neumann forward
 * differences, range `[2, C, H, W]` with the x-differences first), `f*` the Huber conjugate
 * `(ε/(2α))‖y‖² + ι{‖y_j‖ ≤ α}` over per-pixel-and-channel groups (isotropic) or single entries
 * (ε = 0: the ball alone), and for the piggyback the loss `(c_ℓ/2)‖x − x†‖²`.
 */
export interface HuberTvParams {
  /** Channels `C`. */
  readonly C: number;
  /** Rows `H`. */
  readonly H: number;
  /** Columns `W`. */
  readonly W: number;
  /** `s` in `K = s∇`. */
  readonly scale: number;
  /** `λ`: the curvature of `g` (its strong convexity). */
  readonly lambda: number;
  /** `c`: the linear term of `g` (`C·H·W` entries). */
  readonly c: Vec;
  /** `γ`: the constant of `g`. */
  readonly constant: number;
  /** Ball radius `α`. */
  readonly alpha: number;
  /** Huber smoothing `ε ≥ 0`. */
  readonly epsilon: number;
  /** Per-pixel (and channel) groups of the two differences, or single entries. */
  readonly isotropic: boolean;
  /** The loss of the piggyback: `c_ℓ` and the target. */
  readonly loss?: { readonly scale: number; readonly target: Vec };
}

/** The sums of one certificate call (see `huber-tv.wat`). */
export interface HuberTvSums {
  /** `Σ Huber_ε(|u_j|)`, `u = s∇x`. */
  readonly reg: number;
  /** `Σ r_x²`, `r_x = λx − c − s div ∇f(u)`. */
  readonly rx2: number;
  /** `Σ (λ/2)x² − cx` (`g(x) − γ`). */
  readonly gval: number;
  /** `Σ (w + c)²/(2λ)` with `w = s div y` (`g*(w) + γ`). */
  readonly gstar: number;
  /** `Σ‖s_y‖²` of the min-norm dual stationarity element. */
  readonly ry2: number;
  /** `‖y‖²`. */
  readonly yy: number;
  /** `max_j ‖y_j‖²`. */
  readonly maxNorm2: number;
  /** `Σ e_X²` of Lemma 3 (adjoint only). */
  readonly eX2: number;
  /** `Σ e_Y²` of Lemma 3 (adjoint only). */
  readonly eY2: number;
  /** `‖Y − PY‖²` of Lemma 3 (adjoint only). */
  readonly outside: number;
}

/** Bytes of the parameter block at address 0. */
const BLOCK = 512;
/** Padding before and after every array (reads one element beyond a row, writes one after it). */
const PAD = 16;

/**
 * One instance of the Huber-TV kernel (PDHG, or with `adjoint` the piggyback iteration). The
 * `Float64Array` fields are views of the instance's memory (which never grows, so they stay
 * valid): the solver states use them directly.
 */
export class HuberTvKernel {
  /** `xⁿ`. */
  readonly x: Float64Array;
  /** `xⁿ⁻¹`. */
  readonly xPrev: Float64Array;
  /** `yⁿ`, `[2, C, H, W]`. */
  readonly y: Float64Array;
  /** `Xⁿ` (adjoint; empty without). */
  readonly X: Float64Array;
  /** `Xⁿ⁻¹`. */
  readonly XPrev: Float64Array;
  /** `Yⁿ`. */
  readonly Y: Float64Array;
  /** Threads the iterations run on: 1, or the requested number (at most one per row) where worker threads are available. */
  readonly threads: number;
  private readonly exports: Exports;
  private readonly f64: Float64Array;
  private readonly adjoint: number;
  /** The lent instance, `null` once released. */
  private lease: WasmInstance<Exports> | null;
  /** The lending kernel: the one-band module, or its shared-memory variant. */
  private readonly lender: WasmKernel<Exports>;
  /** The worker threads (`null` on one thread). */
  private readonly team: BandTeam | null;
  /** The band programs of a step and of a certificate (built once: a step allocates nothing). */
  private readonly programs: { readonly step: readonly Stage[]; readonly certificate: readonly Stage[] };

  /**
   * @param p the problem (arrays copied into the instance)
   * @param adjoint run the piggyback iteration (needs `p.loss`)
   * @param threads threads to run on (this one and worker threads), each taking row bands: at
   *   most `C·H` (one row each); 1 where worker threads are not available (no error). The
   *   iterates and certificates are bit-identical for any number. See {@link huberTvThreads} for
   *   the number that pays off.
   */
  constructor(
    readonly p: HuberTvParams,
    adjoint: boolean,
    threads = 1,
  ) {
    const { C, H, W } = p;
    const N = C * H * W;
    const R = C * H;
    const T = Number.isInteger(threads) && threads > 1 && threadsAvailable() && sharedKernel.available() ? Math.min(threads, R) : 1;
    const P = T > 1 ? Math.min(R, T * BANDS_PER_THREAD) : 1;
    const row = W + 2;
    const arrays: [string, number][] = [
      ['x', N], ['xPrev', N], ['y', 2 * N], ['c', N],
      ...(adjoint ? ([['X', N], ['XPrev', N], ['Y', 2 * N], ['t', N]] as [string, number][]) : []),
      ['ring', 4 * row * P], ['zero', row], ['mX', row], ['mL', row], ['mV', row],
      ['E0', N], ['E1', N], ['Q0', N], ['Q1', N], ['D', N], ['F0', N], ['F1', N], ['H0', N], ['H1', N],
      ...(adjoint ? ([['R0', N], ['R1', N]] as [string, number][]) : []),
      ['rows', R], ['rowCert', 10 * R], ['bands', Math.ceil((P + 1) / 2)],
      ...(P > 1 ? ([['control', Math.ceil(controlBytes(P) / 8)]] as [string, number][]) : []),
    ];
    let bytes = BLOCK;
    const at: Record<string, number> = {};
    for (const [name, n] of arrays) {
      at[name] = bytes + PAD;
      bytes += 2 * PAD + 8 * n;
    }
    const what = `${C}×${H}×${W}`;
    kernel.checkBytes(bytes, what);
    assertLength('HuberTvKernel c', p.c, N);
    this.lender = P > 1 ? sharedKernel : kernel;
    const instance = this.lender.acquire(bytes, what);
    this.lease = instance;
    this.exports = instance.exports;
    this.threads = T;
    const buffer = instance.buffer;
    const view = (name: string, n: number): Float64Array => new Float64Array(buffer, at[name]!, n);
    this.x = view('x', N);
    this.xPrev = view('xPrev', N);
    this.y = view('y', 2 * N);
    this.X = adjoint ? view('X', N) : new Float64Array(0);
    this.XPrev = adjoint ? view('XPrev', N) : new Float64Array(0);
    this.Y = adjoint ? view('Y', 2 * N) : new Float64Array(0);
    view('c', N).set(p.c);
    if (adjoint) {
      if (!p.loss) throw new TypeError('HuberTvKernel: the piggyback iteration needs the loss');
      view('t', N).set(p.loss.target);
    }
    const mX = view('mX', row);
    const mL = view('mL', row);
    const mV = new BigInt64Array(buffer, at['mV']!, row);
    for (let j = 0; j < W; j++) {
      mX[j] = j < W - 1 ? 1 : 0;
      mL[j] = j > 0 ? 1 : 0;
      mV[j] = -1n;
    }
    const i32 = new Int32Array(buffer, 0, BLOCK / 4);
    i32.set([C, H, W], 0);
    // band b: rows ⌊bR/P⌋ … ⌊(b+1)R/P⌋ − 1 of the C·H rows (channel-major)
    new Int32Array(buffer, at['bands']!, P + 1).set(Array.from({ length: P + 1 }, (_, b) => Math.floor((b * R) / P)));
    i32[31] = at['rows']!;
    i32[100] = at['bands']!;
    i32[101] = at['rowCert']!;
    i32[102] = P;
    const pointers = ['x', 'xPrev', 'y', 'y', 'c', 'X', 'XPrev', 'Y', 'Y', 't', 'ring', 'zero', 'mX', 'mL', 'mV', 'E0', 'E1', 'Q0', 'Q1', 'R0', 'R1', 'D'];
    pointers.forEach((name, k) => {
      // y1 and Y1 are the second halves of y and Y
      const second = (name === 'y' || name === 'Y') && pointers[k - 1] === name;
      i32[4 + k] = at[name] === undefined ? 0 : at[name]! + (second ? 8 * N : 0);
    });
    i32[26] = p.isotropic ? 1 : 0;
    ['F0', 'F1', 'H0', 'H1'].forEach((name, k) => (i32[27 + k] = at[name]!));
    this.f64 = new Float64Array(buffer, 0, BLOCK / 8);
    new BigInt64Array(buffer, 240, 2).fill(p.isotropic ? -1n : 0n);
    const f = this.f64;
    f[24] = p.scale;
    f[25] = p.lambda;
    f[26] = p.epsilon;
    f[27] = p.loss?.scale ?? 0;
    f[28] = p.epsilon / p.alpha;
    f[29] = (p.alpha * (1 - 1e-10)) ** 2;
    f[18] = p.alpha;
    f[43] = 1 / (p.alpha * p.alpha);
    f[44] = 1 / p.alpha;
    f[45] = p.epsilon / p.alpha;
    f[46] = p.epsilon > 0 ? 0.5 / p.epsilon : 0;
    f[47] = p.epsilon > 0 ? p.alpha / p.epsilon : 0;
    f[48] = 1 / p.lambda;
    f[49] = 0.5 / p.lambda;
    this.adjoint = adjoint ? 1 : 0;
    this.programs = { step: stepProgram(this.adjoint), certificate: certificateProgram(this.adjoint) };
    this.team = null;
    if (P > 1) {
      const exports = instance.exports as unknown as Record<string, BandExport>;
      try {
        this.team = new BandTeam({
          module: sharedKernel.module(),
          memory: instance.memory,
          control: at['control']!,
          threads: T,
          bands: P,
          exports: BAND_EXPORTS.map((name) => exports[name]!),
          names: BAND_EXPORTS,
          who: WHO,
        });
      } catch (e) {
        this.release();
        throw e;
      }
      unreleased.register(this, this.team, this);
    }
  }

  /** Whether this runtime can run the kernel (WebAssembly with SIMD). */
  static available(): boolean {
    return kernel.available();
  }

  /**
   * One iteration with steps `τ`, `σ` and extrapolation `ϑ` (`x̄ = x + ϑ(x − x_prev)`, likewise
   * `X̄`): PDHG, or with the adjoint the piggyback iteration. Returns `Σ(xⁿ⁺¹ − xⁿ)²`.
   */
  step(tau: number, sigma: number, theta: number): number {
    if (!this.lease) released();
    const { alpha, epsilon, scale, lambda } = this.p;
    const f = this.f64;
    f[16] = sigma * scale;
    f[17] = alpha / (alpha + sigma * epsilon);
    f[19] = tau * scale;
    f[20] = tau;
    f[21] = 1 / (1 + tau * lambda);
    f[22] = theta;
    f[23] = tau * (this.p.loss?.scale ?? 0);
    if (!this.team) return this.exports.step(this.adjoint);
    this.team.run(this.programs.step);
    return this.exports.sumRows();
  }

  /** The certificate sums at the current iterates (Lemma 3 with the adjoint). */
  certificate(): HuberTvSums {
    if (!this.lease) released();
    if (this.team) {
      this.team.run(this.programs.certificate);
      this.exports.certSums(this.adjoint);
    } else {
      this.exports.certificate(this.adjoint);
    }
    const f = this.f64;
    return { reg: f[33]!, rx2: f[34]!, gval: f[35]!, gstar: f[36]!, ry2: f[37]!, yy: f[38]!, maxNorm2: f[39]!, eX2: f[40]!, eY2: f[41]!, outside: f[42]! };
  }

  /**
   * Give the instance back to the kernel's pool and the worker threads (if any) to the pool of
   * idle threads: the iterate views must not be used afterwards (stepping throws). Releasing twice
   * does nothing.
   */
  release(): void {
    if (this.team) {
      this.team.detach();
      unreleased.unregister(this);
    }
    if (this.lease) this.lender.release(this.lease);
    this.lease = null;
  }
}

function released(): never {
  throw new BilevelError('HuberTvKernel: the kernel was released (its memory may be lent to another solve); init a new state');
}
