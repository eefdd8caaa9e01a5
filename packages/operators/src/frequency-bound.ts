/**
 * Norm bounds of a filter bank from its frequency response
 * (docs/math/operator-norms.md#the-frequency-response-bound): a bank of kernels
 * `k[o, i] ∈ ℝ^{kh×kw}` has the response `K̂(ω)`, a `C_out×C_in` matrix with entries
 * `k̂_{o,i}(ω) = Σ_q k[o, i, q] e^{−i⟨ω, q⟩}`, and the convolution it defines on the whole plane
 * has the norm `sup_ω σ_max(K̂(ω))`. The zero and `valid` boundaries are restrictions of that
 * convolution, the periodic one is diagonalised by the DFT of the image, and the mirror
 * boundaries copy pixels at most `‖E‖²` times; the functions here turn a maximum over a finite
 * grid of frequencies into certified bounds of these norms.
 * @module
 */
import { boundaryIndex } from './boundary.js';
import type { FilterBankBoundary } from './convolution.js';

/** The grid size per axis is the smallest power of two ≥ this factor times the degree (so `n/M ≤ 1/20`). */
const GRID_PER_DEGREE = 20;

/** Up to this many input channels {@link gridMaxSquared} bounds `λ_max(K̂ᴴK̂)` by a Schatten norm instead of the trace. */
export const SCHATTEN_MAX_CHANNELS = 8;

/** A bank of kernels `[out][in][kh][kw]` (row-major), as {@link frequencyResponseSup} reads it. */
export interface KernelBank {
  /** The kernels, `cout·cin·kh·kw` entries. */
  readonly kernels: ArrayLike<number>;
  /** Input channels `C_in`. */
  readonly cin: number;
  /** Output channels `C_out`. */
  readonly cout: number;
  /** Kernel rows `kh` (odd). */
  readonly kh: number;
  /** Kernel columns `kw` (odd). */
  readonly kw: number;
}

/**
 * The largest value over the grid `ω = (2πa/M₁, 2πb/M₂)` of an upper bound of
 * `λ_max(K̂(ω)ᴴK̂(ω))`: for one input channel `Σ_o|k̂_o(ω)|²`, which is `λ_max`; for 2 to
 * {@link SCHATTEN_MAX_CHANNELS} input channels the Schatten-16 norm `(tr G¹⁶)^{1/16}` of
 * `G = K̂ᴴK̂` (at most `C_in^{1/16}` times `λ_max`), above that the trace `Σ_{o,i}|k̂_{o,i}|²`.
 * Real kernels give `K̂(−ω) = conj K̂(ω)`, so rows `a ≤ M₁/2` cover the grid. Offsets are taken
 * from the kernel's corner instead of its centre, which multiplies every entry by the same phase
 * and changes nothing. Adds an allowance for the rounding of the sums. With `perOutput`
 * (`C_out` entries) also the grid maximum of each filter's `Σ_i|k̂_{o,i}|²` (its `σ_max²`).
 */
export function gridMaxSquared(bank: KernelBank, M1: number, M2: number, perOutput?: Float64Array): number {
  const { kernels, cin, cout, kh, kw } = bank;
  const pairs = cout * cin;
  const cos1 = Float64Array.from({ length: M1 }, (_, t) => Math.cos((2 * Math.PI * t) / M1));
  const sin1 = Float64Array.from({ length: M1 }, (_, t) => Math.sin((2 * Math.PI * t) / M1));
  const cos2 = Float64Array.from({ length: M2 }, (_, t) => Math.cos((2 * Math.PI * t) / M2));
  const sin2 = Float64Array.from({ length: M2 }, (_, t) => Math.sin((2 * Math.PI * t) / M2));
  // row transforms R[(b·pairs + pair)·kh + a] = Σ_c k[pair, a, c] e^{−i ω₂ c}, ω₂ = 2πb/M₂
  const reR = new Float64Array(M2 * pairs * kh);
  const imR = new Float64Array(M2 * pairs * kh);
  for (let b = 0; b < M2; b++) {
    for (let p = 0; p < pairs; p++) {
      for (let a = 0; a < kh; a++) {
        const row = (p * kh + a) * kw;
        let re = 0;
        let im = 0;
        for (let c = 0; c < kw; c++) {
          const v = kernels[row + c]!;
          const t = (b * c) % M2;
          re += v * cos2[t]!;
          im -= v * sin2[t]!;
        }
        reR[(b * pairs + p) * kh + a] = re;
        imR[(b * pairs + p) * kh + a] = im;
      }
    }
  }
  const reK = new Float64Array(pairs);
  const imK = new Float64Array(pairs);
  const phRe = new Float64Array(kh);
  const phIm = new Float64Array(kh);
  const schatten = cin > 1 && cin <= SCHATTEN_MAX_CHANNELS ? new SchattenBound(cin) : null;
  let best = 0;
  for (let a1 = 0; a1 <= M1 >> 1; a1++) {
    for (let a = 0; a < kh; a++) {
      const t = (a1 * a) % M1;
      phRe[a] = cos1[t]!;
      phIm[a] = -sin1[t]!;
    }
    for (let b = 0; b < M2; b++) {
      // k̂[pair] = Σ_a e^{−i ω₁ a} R[pair, a](ω₂)
      let trace = 0;
      for (let o = 0, p = 0, at = b * pairs * kh; o < cout; o++) {
        let filter = 0;
        for (let i = 0; i < cin; i++, p++, at += kh) {
          let re = 0;
          let im = 0;
          for (let a = 0; a < kh; a++) {
            const r = reR[at + a]!;
            const m = imR[at + a]!;
            re += phRe[a]! * r - phIm[a]! * m;
            im += phRe[a]! * m + phIm[a]! * r;
          }
          reK[p] = re;
          imK[p] = im;
          filter += re * re + im * im;
        }
        if (perOutput) perOutput[o] = Math.max(perOutput[o]!, filter);
        trace += filter;
      }
      best = Math.max(best, schatten ? schatten.bound(reK, imK, cout, trace) : trace);
    }
  }
  // rounding: each k̂ is a sum of kh·kw + kh terms of modulus ≤ Σ|k|, with trigonometric values
  // within a few ulp; the squared moduli then move by at most 2|k̂|δ + δ² ≤ 3(Σ|k|)²·(terms)·4u.
  let abs2 = 0;
  for (let p = 0; p < pairs; p++) {
    let s = 0;
    for (let q = 0; q < kh * kw; q++) s += Math.abs(kernels[p * kh * kw + q]!);
    abs2 += s * s;
  }
  const allowance = (v: number): number => v * (1 + 1e-12) + 12 * (kh * kw + kh + 4) * Number.EPSILON * abs2;
  if (perOutput) for (let o = 0; o < cout; o++) perOutput[o] = allowance(perOutput[o]!);
  return allowance(best);
}

/**
 * `(tr G¹⁶)^{1/16} ≥ λ_max(G)` for the Hermitian `G = K̂ᴴK̂` (`C_in×C_in`), by squaring
 * `A = G/tr G` four times (`tr A¹⁶ ≤ 1`, so nothing overflows).
 */
class SchattenBound {
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly tre: Float64Array;
  private readonly tim: Float64Array;

  constructor(private readonly n: number) {
    this.re = new Float64Array(n * n);
    this.im = new Float64Array(n * n);
    this.tre = new Float64Array(n * n);
    this.tim = new Float64Array(n * n);
  }

  /** The bound for the response `(re, im)` laid out `[out][in]`, with `trace = tr G`. */
  bound(re: Float64Array, im: Float64Array, cout: number, trace: number): number {
    const n = this.n;
    if (!(trace > 0)) return 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let gr = 0;
        let gi = 0;
        for (let o = 0; o < cout; o++) {
          const ai = o * n + i;
          const aj = o * n + j;
          gr += re[ai]! * re[aj]! + im[ai]! * im[aj]!;
          gi += re[ai]! * im[aj]! - im[ai]! * re[aj]!;
        }
        this.re[i * n + j] = gr / trace;
        this.im[i * n + j] = gi / trace;
      }
    }
    for (let k = 0; k < 4; k++) this.square();
    let t = 0;
    for (let i = 0; i < n; i++) t += this.re[i * n + i]!;
    return trace * Math.min(1, Math.max(0, t) ** (1 / 16));
  }

  /** `A ← A·A` (complex, through the scratch arrays). */
  private square(): void {
    const n = this.n;
    const { re, im, tre, tim } = this;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let sr = 0;
        let si = 0;
        for (let k = 0; k < n; k++) {
          const ar = re[i * n + k]!;
          const ai = im[i * n + k]!;
          const br = re[k * n + j]!;
          const bi = im[k * n + j]!;
          sr += ar * br - ai * bi;
          si += ar * bi + ai * br;
        }
        tre[i * n + j] = sr;
        tim[i * n + j] = si;
      }
    }
    re.set(tre);
    im.set(tim);
  }
}

/**
 * A certified upper bound of `sup_{ω ∈ [−π, π]²} σ_max(K̂(ω))`: every `vᴴK̂ᴴK̂v` is a
 * trigonometric polynomial of degree `n₁ = kh − 1`, `n₂ = kw − 1`, so by Bernstein's inequality
 * its maximum `S` and its maximum `G` over a grid with spacings `2π/M₁`, `2π/M₂` satisfy
 * `S ≤ G/(1 − ρ)`, `ρ = (π²/2)(n₁/M₁ + n₂/M₂)²`
 * (docs/math/operator-norms.md#from-a-grid-to-the-supremum). The grid has `M = 2^⌈log₂ 20n⌉`
 * points per axis, so `ρ < 0.05` (at most 2.6 % above the grid maximum). With `perOutput`
 * (`C_out` entries, zero) also the same bound for each filter alone.
 */
export function frequencyResponseSup(bank: KernelBank, perOutput?: Float64Array): number {
  const n1 = bank.kh - 1;
  const n2 = bank.kw - 1;
  const M1 = gridSize(n1);
  const M2 = gridSize(n2);
  const rho = ((Math.PI * Math.PI) / 2) * (n1 / M1 + n2 / M2) ** 2;
  const sup = Math.sqrt(gridMaxSquared(bank, M1, M2, perOutput) / (1 - rho));
  if (perOutput) for (let o = 0; o < bank.cout; o++) perOutput[o] = Math.sqrt(perOutput[o]! / (1 - rho));
  return sup;
}

/** Grid points per axis for a trigonometric polynomial of degree `n`. */
function gridSize(n: number): number {
  return n === 0 ? 1 : 2 ** Math.ceil(Math.log2(GRID_PER_DEGREE * n));
}

/**
 * `‖E‖² = max_p #{copies of pixel p in the extended image}` of the boundary extension
 * `E: ℝ^{H×W} → ℝ^{(H+2rh)×(W+2rw)}` (separable: the product of the largest counts per axis);
 * 1 for zero padding and `valid`.
 */
export function extensionNormSquared(height: number, width: number, rh: number, rw: number, boundary: FilterBankBoundary): number {
  if (boundary === 'valid' || boundary === 'zero') return 1;
  const axis = (n: number, r: number): number => {
    const count = new Int32Array(n);
    let m = 0;
    for (let a = -r; a < n + r; a++) {
      const src = boundaryIndex(a, n, boundary);
      if (src >= 0) m = Math.max(m, ++count[src]!);
    }
    return m;
  };
  return axis(height, rh) * axis(width, rw);
}

/**
 * A certified upper bound of the norm of the bank's operator on `H×W` images with `boundary`
 * from its frequency response (docs/math/operator-norms.md#by-boundary-rule):
 * - `zero`, `valid`: {@link frequencyResponseSup} (restrictions of the convolution on the plane);
 * - `periodic`: the largest response over the `H×W` DFT grid (the norm itself for one input
 *   channel) when that grid has at most `400(kh − 1)(kw − 1)` points, else the supremum bound;
 * - `symmetric`, `reflect`: `‖E‖·` the supremum bound (`K = C∘E` with `C` a restriction of the
 *   convolution on the plane; `‖E‖ = 2` once the image is wider than the kernel).
 */
export function frequencyBound(bank: KernelBank, height: number, width: number, boundary: FilterBankBoundary): number {
  const n1 = bank.kh - 1;
  const n2 = bank.kw - 1;
  if (boundary === 'periodic') {
    const certified = (n1 === 0 ? 1 : GRID_PER_DEGREE * n1) * (n2 === 0 ? 1 : GRID_PER_DEGREE * n2);
    return height * width <= certified ? Math.sqrt(gridMaxSquared(bank, height, width)) : frequencyResponseSup(bank);
  }
  return Math.sqrt(extensionNormSquared(height, width, n1 / 2, n2 / 2, boundary)) * frequencyResponseSup(bank);
}

/** The Schur-test bound of the bank made of some of the filters (their kernels, their count). */
export type SchurOf = (kernels: Float64Array, cout: number) => number;

/**
 * A certified upper bound of the bank's norm (docs/math/operator-norms.md#by-boundary-rule): the
 * smaller of the Schur bound of the whole bank and {@link frequencyBound}; for the mirror
 * boundaries (where `frequencyBound` carries the factor `‖E‖ = 2`) also the stacked bound
 * `√(b₁² + b₂²)`, `‖Kx‖² = Σ_o‖K_o x‖²`, over the filters the Schur test bounds better (`b₁`: the
 * smaller of their bank's Schur bound and `√Σ_o s_o²`) and the others (`b₂`: `‖E‖·` the
 * supremum bound of their bank) — e.g. a few difference filters next to many small ones.
 */
export function filterBankNormBound(bank: KernelBank, height: number, width: number, boundary: FilterBankBoundary, schur: SchurOf): number {
  const schurAll = schur(Float64Array.from(bank.kernels), bank.cout);
  if (boundary !== 'symmetric' && boundary !== 'reflect') return Math.min(schurAll, frequencyBound(bank, height, width, boundary));
  const e = Math.sqrt(extensionNormSquared(height, width, (bank.kh - 1) / 2, (bank.kw - 1) / 2, boundary));
  const sups = new Float64Array(bank.cout);
  const whole = Math.min(schurAll, e * frequencyResponseSup(bank, sups));
  if (bank.cout === 1) return whole;
  const per = bank.cin * bank.kh * bank.kw;
  const bySchur: number[] = [];
  const byFrequency: number[] = [];
  let schurSquares = 0;
  for (let o = 0; o < bank.cout; o++) {
    const s = schur(Float64Array.from({ length: per }, (_, t) => bank.kernels[o * per + t]!), 1);
    if (s < e * sups[o]!) {
      bySchur.push(o);
      schurSquares += s * s;
    } else {
      byFrequency.push(o);
    }
  }
  if (bySchur.length === 0 || byFrequency.length === 0) return whole;
  const sub = (filters: readonly number[]): Float64Array => {
    const out = new Float64Array(filters.length * per);
    filters.forEach((o, j) => {
      for (let t = 0; t < per; t++) out[j * per + t] = bank.kernels[o * per + t]!;
    });
    return out;
  };
  const k1 = sub(bySchur);
  const b1 = Math.min(schur(k1, bySchur.length), Math.sqrt(schurSquares));
  const b2 = e * frequencyResponseSup({ ...bank, kernels: sub(byFrequency), cout: byFrequency.length });
  return Math.min(whole, Math.hypot(b1, b2));
}
