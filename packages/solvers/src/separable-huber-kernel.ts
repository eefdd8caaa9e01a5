/**
 * The fused kernel of saddle problems with a separable Huber dual term (Fields of Experts with a
 * filter bank `K`): PDHG, or PDHG with its piggyback adjoint, over one stacked pair `[x; X]`,
 * `[y; Y]`, so that every iteration is one {@link primalDualUpdate} — the update PDHG and the
 * generic adjoint run — with one sweep per half over both members of the pair and `K` applied to
 * both members in one call; the certificates of Lemma 2 and Lemma 3 in a few sweeps.
 * @module
 */
import { BilevelError, WasmKernel, type Cost, type KernelInfo, type LinearOperator, type Vec, type WasmInstance } from '@bilevel/core';
import type { SaddleCertificateParts } from './certificate.js';
import { norm2 } from './internal.js';
import type { FusedSaddleKernel } from './kernels.js';
import { primalDualUpdate, type PrimalDualArrays, type PrimalDualSteps } from './primal-dual.js';
import { wasmBase64 } from './wasm/separable-huber.wasm.js';

/** Exports of `separable-huber.wat` (addresses in bytes). */
interface Exports {
  dual(y: number, kx: number, kxp: number, pairs: number, sigma: number, theta: number, alpha: number, c: number): number;
  dualPair(y: number, kx: number, kxp: number, pairs: number, second: number, sigma: number, theta: number, alpha: number, c: number): number;
  primal(xo: number, xn: number, kt: number, cg: number, pairs: number, tau: number, d: number): number;
  primalPair(xo: number, xn: number, kt: number, cg: number, t: number, pairs: number, second: number, tau: number, d: number, scale: number): number;
  huberGradient(u: number, out: number, pairs: number, slope: number, alpha: number): void;
  dualStationarity(y: number, v: number, pairs: number, kappa: number, inner: number, outer: number): number;
  freeSplit(u: number, KX: number, Y: number, a: number, b: number, pairs: number, eps: number, slope: number): number;
  freeNorm(u: number, a: number, b: number, pairs: number, eps: number, kappa: number): number;
}

/** The compiled sweeps, shared by every instance. */
const kernel = new WasmKernel<Exports>(wasmBase64, 'the fused filter-bank kernel', 'the generic composition (backend js-f64)');

/** Guard bytes around every array. */
const PAD = 16;

/**
 * A problem of the kernel: `g(x) = (λ/2)‖x‖² − ⟨c, x⟩ + γ` (`γ = constant`), any `K` with `n`
 * inputs and `m` outputs, `f*(y) = Σ_i (ε/(2α)) y_i² + ι{|y_i| ≤ α}` (the conjugate of
 * `f = α Huber_ε`, entry by entry), and for the piggyback the loss `(c_ℓ/2)‖x − x†‖²`.
 */
export interface SeparableHuberParams {
  /** `n`: entries of `x`. */
  readonly n: number;
  /** `m`: entries of `y`. */
  readonly m: number;
  /** `λ`: the curvature of `g` (its strong convexity). */
  readonly lambda: number;
  /** `c`: the linear term of `g` (`n` entries). */
  readonly c: Vec;
  /** `γ`: the constant of `g`. */
  readonly constant: number;
  /** The weight `α` of the Huber function (the radius of the dual constraint). */
  readonly alpha: number;
  /** Its smoothing `ε > 0`. */
  readonly epsilon: number;
  /** The loss of the piggyback: `c_ℓ` and the target. */
  readonly loss?: { readonly scale: number; readonly target: Vec };
}

/** A stacked array of one or two members (each padded to an even length) and views of them. */
interface Stack {
  /** The whole array, padding included. */
  readonly all: Vec;
  /** The first member (`x`, `y`, `Kx`, …). */
  readonly top: Vec;
  /** The second member (the adjoint's; empty in a stack of one). */
  readonly bottom: Vec;
}

/** `size` rounded up to an even count (the sweeps run over whole lane pairs). */
const even = (size: number): number => size + (size & 1);

/** The distance from the boundary `|y_i| = α` within which the dual constraint counts as active (as the generic min-norm rule). */
const ACTIVE_BAND = 1e-10;

/**
 * One instance of the kernel for a problem (see {@link SeparableHuberParams}) and its operator:
 * PDHG, or with `adjoint` the piggyback iteration (arXiv 2412.06436 §3.2) on the stack
 * `[x; X]`, `[y; Y]`:
 * ```
 * w = y + σK x̄,  y⁺ = prox_{σf*}(w),  Y⁺ = J_{σf*}(w)[Y + σK X̄]     (one sweep)
 * x⁺ = prox_{τg}(x − τKᵀy⁺),  X⁺ = J_{τg}[X − τ(KᵀY⁺ + ∇ℓ(x))]       (one sweep)
 * ```
 * through {@link primalDualUpdate} with `K` applied to both members at once; `Kx`, `KX`, `Kᵀy`
 * are kept for the certificates as on the generic composition. The iterates are the kernel's
 * arrays: `x`, `xPrev`, `X`, `XPrev` exchange theirs every step (read them after each step).
 */
export class SeparableHuberKernel implements FusedSaddleKernel {
  readonly info: KernelInfo = { name: 'filter-bank', backend: 'wasm-f64' };
  /** One thread: this kernel does not split a solve. */
  readonly threads = 1;
  private readonly count: number;
  /** `[x; X]` now and before (exchanged every step). */
  private xs: [Stack, Stack];
  /** `[y; Y]`. */
  private readonly ys: Stack;
  /** `[Kx; KX]` now and before (exchanged with `xs`). */
  private kxs: [Stack, Stack];
  /** `[Kᵀy; KᵀY]`. */
  private readonly kty: Stack;
  /** `c` and the loss target (padded). */
  private readonly cg: Vec;
  private readonly target: Vec;
  /** The update's arrays (pointed at the current stacks before each step). */
  private readonly arrays: PrimalDualArrays;
  private readonly steps: PrimalDualSteps;
  /** `K` on a stack: `K` applied to each member. */
  private readonly stacked: LinearOperator;
  /** Whether `Kx`, `Kx_prev`, `Kᵀy` are those of the current iterates (not after a warm start). */
  private synced = false;
  /** Certificate scratch: domain and range stacks of two (in the lent memory: no garbage per solve). */
  private readonly d: [Stack, Stack];
  private readonly r: [Stack, Stack];
  private readonly exports: Exports;
  /** The lent instance, `null` once released. */
  private lease: WasmInstance<Exports> | null;

  /**
   * @param K the operator (applied through its own `apply` / `adjoint`)
   * @param p the problem (`c` and the target copied in)
   * @param adjoint run the piggyback iteration (needs `p.loss`)
   */
  constructor(
    private readonly K: LinearOperator,
    readonly p: SeparableHuberParams,
    adjoint: boolean,
  ) {
    if (adjoint && !p.loss) throw new TypeError('SeparableHuberKernel: the piggyback iteration needs the loss');
    const { n, m } = p;
    const count = (this.count = adjoint ? 2 : 1);
    const nP = even(n);
    const mP = even(m);
    // x, x_prev, y, Kx, Kx_prev, Kᵀy stacks; c, the target; certificate scratch (two stacks of two per space)
    const sizes = [count * nP, count * nP, count * mP, count * mP, count * mP, count * nP, nP, nP, 2 * nP, 2 * nP, 2 * mP, 2 * mP];
    let bytes = 0;
    for (const size of sizes) bytes += 2 * PAD + 8 * size;
    const what = `${n} primal and ${m} dual entries`;
    kernel.checkBytes(bytes, what);
    const instance = kernel.acquire(bytes, what);
    this.lease = instance;
    this.exports = instance.exports;
    let next = 0;
    const stack = (size: number, members: number): Stack => {
      const at = next + PAD;
      next += 2 * PAD + 8 * even(size) * members;
      const all = new Float64Array(instance.buffer, at, even(size) * members);
      return { all, top: all.subarray(0, size), bottom: members > 1 ? all.subarray(even(size), even(size) + size) : new Float64Array(0) };
    };
    this.xs = [stack(n, count), stack(n, count)];
    this.ys = stack(m, count);
    this.kxs = [stack(m, count), stack(m, count)];
    this.kty = stack(n, count);
    this.cg = stack(n, 1).all;
    this.target = stack(n, 1).all;
    this.cg.set(p.c);
    if (p.loss) this.target.set(p.loss.target);
    this.d = [stack(n, 2), stack(n, 2)];
    this.r = [stack(m, 2), stack(m, 2)];
    const empty = new Float64Array(0);
    this.arrays = { xOld: this.xs[0].all, xNew: this.xs[1].all, y: this.ys.all, w: empty, v: empty, kx: this.kxs[0].all, kxNew: this.kxs[1].all, kty: this.kty.all };
    this.steps = this.sweeps(nP, mP);
    const views = new Map<Vec, Stack>();
    for (const s of [...this.xs, this.ys, ...this.kxs, this.kty]) views.set(s.all, s);
    const each = (f: (a: Vec, b: Vec) => unknown) => (a: Vec, b: Vec) => {
      const sa = views.get(a)!;
      const sb = views.get(b)!;
      f(sa.top, sb.top);
      if (this.count > 1) f(sa.bottom, sb.bottom);
      return b;
    };
    this.stacked = { domain: K.domain, range: K.range, apply: each((a, b) => K.apply(a, b)), adjoint: each((a, b) => K.adjoint(a, b)) };
  }

  /** Whether this runtime can run the kernel's sweeps (WebAssembly with SIMD). */
  static available(): boolean {
    return kernel.available();
  }

  /** `xⁿ`. */
  get x(): Vec {
    return this.xs[0].top;
  }

  /** `xⁿ⁻¹`. */
  get xPrev(): Vec {
    return this.xs[1].top;
  }

  /** `yⁿ`. */
  get y(): Vec {
    return this.ys.top;
  }

  /** `Xⁿ` (empty without the adjoint). */
  get X(): Vec {
    return this.xs[0].bottom;
  }

  /** `Xⁿ⁻¹`. */
  get XPrev(): Vec {
    return this.xs[1].bottom;
  }

  /** `Yⁿ`. */
  get Y(): Vec {
    return this.ys.bottom;
  }

  /** `Kx`, `Kx_prev`, `Kᵀy` of the current iterates (after a warm start wrote into them). */
  private sync(): void {
    if (this.synced) return;
    this.stacked.apply(this.xs[0].all, this.kxs[0].all);
    this.stacked.apply(this.xs[1].all, this.kxs[1].all);
    this.stacked.adjoint(this.ys.all, this.kty.all);
    this.synced = true;
  }

  step(tau: number, sigma: number, theta: number): number {
    if (!this.lease) released();
    this.sync();
    const a = this.arrays;
    const [now, before] = this.xs;
    const [kNow, kBefore] = this.kxs;
    a.xOld = now.all;
    a.xNew = before.all;
    a.kx = kNow.all;
    a.kxNew = kBefore.all;
    const change = primalDualUpdate(this.stacked, this.steps, a, tau, sigma, theta, null);
    this.xs = [before, now];
    this.kxs = [kBefore, kNow];
    return change;
  }

  release(): void {
    if (this.lease) kernel.release(this.lease);
    this.lease = null;
  }

  /**
   * The halves of the update as the WebAssembly sweeps (`separable-huber.wat`), on one member or
   * on the pair. Dual: `w = y + σ(Kx + ϑ(Kx − Kx_prev))`, `y = min(c, α/|w|) w = clamp(cw, ±α)`
   * with `c = α/(α + σε)`, and for the adjoint `Y ← J_{σf*}(w)[Y + σ K X̄]`, `J = c` where
   * `c|w| ≤ α`, else 0 (the generic radial rule, 0 up to rounding in one dimension); it returns `0·Σw` (0, or
   * NaN on a divergence), so the update's result is the primal half's `Σ(x⁺ − x)²`. Primal:
   * `x⁺ = (x − τKᵀy + τc)/(1 + τλ)`, and for the adjoint
   * `X⁺ = (X − τ(KᵀY + c_ℓ(x − x†)))/(1 + τλ)`.
   */
  private sweeps(nP: number, mP: number): PrimalDualSteps {
    const { alpha, epsilon, lambda } = this.p;
    const e = this.exports;
    const pair = this.count > 1;
    const scale = this.p.loss?.scale ?? 0;
    const cg = this.cg.byteOffset;
    const t = this.target.byteOffset;
    return {
      dual: (a, sigma, theta) => {
        const c = alpha / (alpha + sigma * epsilon);
        const sum = pair
          ? e.dualPair(a.y.byteOffset, a.kx.byteOffset, a.kxNew.byteOffset, mP / 2, 8 * mP, sigma, theta, alpha, c)
          : e.dual(a.y.byteOffset, a.kx.byteOffset, a.kxNew.byteOffset, mP / 2, sigma, theta, alpha, c);
        return 0 * sum;
      },
      primal: (a, tau) => {
        const d = 1 + tau * lambda;
        return pair
          ? e.primalPair(a.xOld.byteOffset, a.xNew.byteOffset, a.kty.byteOffset, cg, t, nP / 2, 8 * nP, tau, d, scale)
          : e.primal(a.xOld.byteOffset, a.xNew.byteOffset, a.kty.byteOffset, cg, nP / 2, tau, d);
      },
    };
  }

  /**
   * Lemma 2 at `(x, y)` (eqs. 6a/6b of arXiv 2412.06436 with the min-norm subgradient of `f*`;
   * the objectives with `gap`) and, with the adjoint, Lemma 3 at the pair `(y, Kx)`
   * (docs/math/certificates.md#lemma-3), the quantities of the generic certificates for this
   * problem entry by entry (Lemma 3: see the private `adjointCertificate`); charges `cost`
   * as they do.
   */
  certificate(cost: Cost, gap: boolean): { readonly saddle: SaddleCertificateParts; readonly deltaX: number; readonly deltaY: number } {
    if (!this.lease) released();
    this.sync();
    const { n, m, alpha, epsilon, lambda, constant } = this.p;
    const cg = this.cg;
    const K = this.K;
    const x = this.x;
    const y = this.y;
    const u = this.kxs[0].top;
    const kty = this.kty.top;
    const dA = this.d[0].top;
    const dB = this.d[1].top;
    const rA = this.r[0].top;
    const rB = this.r[1].top;
    const kappa = epsilon / alpha;
    const slope = alpha / epsilon;
    const e = this.exports;
    const pairs = even(m) / 2;
    // (6a): s_x = ∇g(x) + Kᵀ∇f(Kx), ∇f(u) = αu/max(ε, |u|) = clamp((α/ε)u, ±α)
    e.huberGradient(u.byteOffset, rA.byteOffset, pairs, slope, alpha);
    K.adjoint(rA, dA);
    let sx2 = 0;
    for (let j = 0; j < n; j++) {
      const s = dA[j]! + (lambda * x[j]! - cg[j]!);
      dA[j] = s;
      sx2 += s * s;
    }
    // (6b): s_y = min-norm element of ∂f*(y) − K∇g*(−Kᵀy), ∇g*(z) = (z + c)/λ: s = κy − K∇g*
    // inside the ball, and on its boundary (|y| = α within 1e-10) 0 where s points inwards
    for (let j = 0; j < n; j++) dB[j] = (-kty[j]! + cg[j]!) / lambda;
    K.apply(dB, rB);
    const sy2 = e.dualStationarity(y.byteOffset, rB.byteOffset, pairs, kappa, alpha * (1 - ACTIVE_BAND), alpha * (1 + ACTIVE_BAND));
    cost.gradient += 2;
    cost.adjoint++;
    cost.apply++;
    let primalObjective = NaN;
    let dualObjective = NaN;
    if (gap) {
      let gx = 0;
      let fu = 0;
      for (let j = 0; j < n; j++) gx += (0.5 * lambda * x[j]! - cg[j]!) * x[j]!;
      for (let i = 0; i < m; i++) {
        const r = Math.abs(u[i]!);
        fu += r <= epsilon ? (r * r) / (2 * epsilon) : r - epsilon / 2;
      }
      primalObjective = gx + constant + alpha * fu;
      let fy = 0;
      let feasible = true;
      const limit = (alpha * (1 + 1e-12)) ** 2;
      for (let i = 0; i < m; i++) {
        const r2y = y[i]! * y[i]!;
        if (r2y > limit) feasible = false;
        fy += r2y;
      }
      let gs = 0;
      for (let j = 0; j < n; j++) {
        const z = -kty[j]! + cg[j]!;
        gs += z * z;
      }
      dualObjective = -(feasible ? (epsilon / (2 * alpha)) * fy : Infinity) - ((0.5 * gs) / lambda - constant);
    }
    const saddle: SaddleCertificateParts = {
      primalStationarity: guarded(sx2, n, dA),
      dualStationarity: Math.sqrt(sy2),
      primalObjective,
      dualObjective,
      muG: lambda,
      muFStar: kappa,
      size: n + m,
    };
    if (this.count === 1) return { saddle, deltaX: 0, deltaY: 0 };
    return { saddle, ...this.adjointCertificate(cost) };
  }

  /**
   * Lemma 3 at the pair `(y, u = Kx)` for this problem (docs/math/certificates.md#lemma-3). Entry
   * by entry the generalised Hessian of `f*` at the pair is `ε/α` on the free entries
   * `|u_i| ≤ ε` and infinite on the others (`f` is linear there), so `F = H_{f*}⁻¹` is `(α/ε)P`
   * with `P` the projection onto the free entries, and `H_g = λ`:
   * ```
   * δ_X = ‖λX + Kᵀ(α/ε)P KX + ∇ℓ(x)‖/λ
   * δ_Y = √((‖P[K(KᵀY_R + ∇ℓ(x))/λ + (ε/α)Y_R]‖/(ε/α))² + ‖Y − Y_R‖²),   Y_R = PY
   * ```
   * (the generic `adjointCertificate` with the radial rule of the active entries, 0 in one
   * dimension, taken exactly).
   */
  private adjointCertificate(cost: Cost): { deltaX: number; deltaY: number } {
    const { n, m, alpha, epsilon, lambda } = this.p;
    const { scale, target } = this.p.loss!;
    const K = this.K;
    const x = this.x;
    const X = this.X;
    const Y = this.Y;
    const u = this.kxs[0].top;
    const KX = this.kxs[0].bottom;
    const dA = this.d[0].top;
    const dB = this.d[1].top;
    const gl = this.d[1].bottom;
    const rA = this.r[0].top;
    const rB = this.r[1].top;
    const slope = alpha / epsilon;
    const kappa = epsilon / alpha;
    for (let j = 0; j < n; j++) gl[j] = scale * (x[j]! - target[j]!);
    const e = this.exports;
    const pairs = even(m) / 2;
    // δ_X, and Y_R = PY into rB with the part of Y outside the free entries
    const outside = e.freeSplit(u.byteOffset, KX.byteOffset, Y.byteOffset, rA.byteOffset, rB.byteOffset, pairs, epsilon, slope);
    K.adjoint(rA, dA);
    let dx2 = 0;
    for (let j = 0; j < n; j++) {
      const s = dA[j]! + lambda * X[j]! + gl[j]!;
      dA[j] = s;
      dx2 += s * s;
    }
    const deltaX = guarded(dx2, n, dA) / lambda;
    // δ_Y
    K.adjoint(rB, dB);
    for (let j = 0; j < n; j++) dA[j] = (dB[j]! + gl[j]!) / lambda;
    K.apply(dA, rA);
    const e2 = e.freeNorm(u.byteOffset, rA.byteOffset, rB.byteOffset, pairs, epsilon, kappa);
    const deltaY = Math.hypot(Math.sqrt(e2) / kappa, Math.sqrt(outside));
    cost.apply++;
    cost.adjoint += 2;
    cost.gradient++;
    return { deltaX, deltaY };
  }
}

/** `√s` of a sum of squares `s` of `v`, through the scaled norm when `s` over- or underflows. */
function guarded(s: number, n: number, v: Vec): number {
  return s > 1e-280 && s < 1e280 ? Math.sqrt(s) : norm2(n, v);
}

function released(): never {
  throw new BilevelError('SeparableHuberKernel: the kernel was released (its solver state must not be used after release)');
}
