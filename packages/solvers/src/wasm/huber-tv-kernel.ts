/**
 * Host side of the WebAssembly Huber-TV kernel (`huber-tv.wat`): one instance per solver state,
 * owning a memory that holds every array of the iteration, so a step passes only scalars and
 * byte offsets and copies nothing.
 * @module
 */
import { WasmKernel, assertLength, parseOrThrow, positiveInt, z } from '@bilevel/core';
import { wasmBase64 } from './huber-tv.wasm.js';

/** Exports of `huber-tv.wat` (byte offsets and sizes are `i32`, everything else `f64`). */
interface Exports {
  step(C: number, H: number, W: number, x: number, xb: number, y0: number, y1: number, b: number, zero: number, sigma: number, c: number, alpha: number, tau: number, tl: number, inv: number, theta: number): number;
  certificate(C: number, H: number, W: number, x: number, y0: number, y1: number, b: number, zero: number, ring: number, alpha: number, epsilon: number, aOverE: number, e2: number, halfInvE: number, lambda: number, kappa: number, invA2: number, inner: number): void;
  readonly reg: { readonly value: number };
  readonly rx2: { readonly value: number };
  readonly ry2: { readonly value: number };
  readonly data: { readonly value: number };
  readonly gStar: { readonly value: number };
  readonly yy: { readonly value: number };
  readonly maxNorm2: { readonly value: number };
}

/** The compiled kernel, shared by every instance. */
const kernel = new WasmKernel<Exports>(wasmBase64, 'HuberTvPdhg', 'the generic Pdhg');

/**
 * Arrays of the kernel (in units of `N = C·H·W` doubles): x, x̄, y (2), b; then a row of zeros
 * (it stands for the divergence terms the Neumann boundary drops) and 6 rows of certificate scratch.
 */
const ARRAYS = 5;
const ROWS = 7;
/** Guard bytes before the first and after the last array (edge loads that are selected away read them). */
const PAD = 64;

/** Scalars of one primal-dual step. */
export interface StepScalars {
  /** Dual step σ. */
  readonly sigma: number;
  /** Dual prox scale `c = α/(α + σε)`. */
  readonly c: number;
  /** Ball radius α. */
  readonly alpha: number;
  /** Primal step τ. */
  readonly tau: number;
  /** `τλ`. */
  readonly tl: number;
  /** `1/(1 + τλ)`. */
  readonly inv: number;
  /** Extrapolation ϑ. */
  readonly theta: number;
}

/** Sums of {@link HuberTvKernel.certificate}. */
export interface CertificateSums {
  /** `Σ Huber_ε(|∇x|)`. */
  readonly reg: number;
  /** `Σ r_x²`, `r_x = λ(x − b) − div p`. */
  readonly rx2: number;
  /** `Σ(x − b)²`. */
  readonly data: number;
  /** `g*(div y) = ⟨div y, b⟩ + ‖div y‖²/(2λ)`. */
  readonly gStar: number;
  /** `Σ‖s‖²` of the dual stationarity residual. */
  readonly ry2: number;
  /** `‖y‖²`. */
  readonly yy: number;
  /** `max_p ‖y_p‖²` (NaN entries ignored). */
  readonly maxNorm2: number;
}

/**
 * One instance of the Huber-TV kernel for images `[C, H, W]` (memory: 40 bytes per pixel and
 * 56 per row). The `Float64Array` fields are
 * views of the instance's memory (which never grows, so they stay valid): the solver state
 * uses `x`, `xBar`, `y` directly.
 */
export class HuberTvKernel {
  /** Primal iterate. */
  readonly x: Float64Array;
  /** Extrapolated primal iterate. */
  readonly xBar: Float64Array;
  /** Dual iterate `[2, C, H, W]` (x-differences first). */
  readonly y: Float64Array;
  /** Data `b` (a copy). */
  readonly b: Float64Array;
  private readonly exports: Exports;
  private readonly at: { x: number; xBar: number; y0: number; y1: number; b: number; zero: number; ring: number };

  /** `[C, H, W]`. */
  readonly shape: readonly [number, number, number];

  /**
   * @param shape `[C, H, W]` (positive integers)
   * @param b the data, `C·H·W` entries (copied into the kernel's memory; finiteness is the
   *   solver's check: `HuberTvPdhg.init` rejects NaN/Inf)
   */
  constructor(shape: readonly [number, number, number], b: Float64Array) {
    this.shape = parseOrThrow(z.tuple([positiveInt, positiveInt, positiveInt]), shape, 'HuberTvKernel shape');
    const [C, H, W] = this.shape;
    const N = C * H * W;
    const bytes = 2 * PAD + 8 * (ARRAYS * N + ROWS * W);
    kernel.checkBytes(bytes, `${C}×${H}×${W}`);
    assertLength('HuberTvKernel b', b, N);
    const instance = kernel.instantiate(bytes, `${C}×${H}×${W}`);
    this.exports = instance.exports;
    const all = new Float64Array(instance.buffer, PAD, ARRAYS * N);
    const view = (k: number, n = 1): Float64Array => all.subarray(k * N, (k + n) * N);
    const offset = (k: number): number => PAD + 8 * k * N;
    this.x = view(0);
    this.xBar = view(1);
    this.y = view(2, 2);
    this.b = view(4);
    this.b.set(b);
    this.at = { x: offset(0), xBar: offset(1), y0: offset(2), y1: offset(3), b: offset(4), zero: offset(5), ring: offset(5) + 8 * W };
  }

  /**
   * One PDHG iteration in a single sweep over the rows: `y ← pmin(c, α/‖w‖)·w` with
   * `w = y + σ∇x̄`, then `x⁺ = (x + τ div y + τλb)/(1 + τλ)`, `x̄ = x⁺ + ϑ(x⁺ − x)`.
   * Returns `Σ(x⁺ − x)²`.
   */
  step(s: StepScalars): number {
    const [C, H, W] = this.shape;
    const a = this.at;
    return this.exports.step(C, H, W, a.x, a.xBar, a.y0, a.y1, a.b, a.zero, s.sigma, s.c, s.alpha, s.tau, s.tl, s.inv, s.theta);
  }

  /**
   * The sums of the saddle certificate of `(x, y)` in one sweep (`p` and `u` live in a ring of
   * rows, never in full arrays): `p = ∇f(∇x) = α∇x/max(ε, |∇x|)`
   * and `reg = Σ Huber_ε(|∇x|)`; `rx2 = Σ r_x²` with `r_x = λ(x − b) − div p`, `data = Σ(x − b)²`,
   * `u = b + div y/λ` and `gStar = ⟨div y, b⟩ + ‖div y‖²/(2λ)`; `ry2 = Σ‖s‖²` of the min-norm
   * element `s` of `κy − ∇u + N_{‖·‖≤α}(y)` per pixel (multiplier on the band `‖y‖² ≥ inner`),
   * `yy = ‖y‖²` and `maxNorm2 = max_p ‖y_p‖²`.
   */
  certificate(o: { alpha: number; epsilon: number; lambda: number; kappa: number; inner: number }): CertificateSums {
    const [C, H, W] = this.shape;
    const a = this.at;
    const e = this.exports;
    const smooth = o.epsilon > 0;
    e.certificate(C, H, W, a.x, a.y0, a.y1, a.b, a.zero, a.ring,
      o.alpha, o.epsilon, smooth ? o.alpha / o.epsilon : 0, o.epsilon * o.epsilon, smooth ? 0.5 / o.epsilon : 0,
      o.lambda, o.kappa, 1 / (o.alpha * o.alpha), o.inner);
    return {
      reg: e.reg.value,
      rx2: e.rx2.value,
      data: e.data.value,
      gStar: e.gStar.value,
      ry2: e.ry2.value,
      yy: e.yy.value,
      maxNorm2: e.maxNorm2.value,
    };
  }
}
