/**
 * The piggyback iteration (arXiv 2412.06436 §3.2) as a resumable solver: PDHG and its adjoint
 * run together with the same steps, the adjoint update being the primal–dual update of PDHG
 * with the prox Jacobians in place of the prox maps and `∇ℓ` as a source term; certified by
 * Lemma 2 (`ε_x`, `ε_y`) and Lemma 3 at the pair (`δ_X`, `δ_Y`).
 * @module
 */
import {
  ValidationError,
  nrm2,
  parseOrThrow,
  shapeSize,
  z,
  type Certificate,
  type Cost,
  type HessianInvertible,
  type Loss,
  type SaddleProblem,
  type Solver,
  type StoppingCriterion,
  type Tolerances,
  type Vec,
} from '@bilevel/core';
import { createSaddleCertificateWorkspace, saddleCertificate, saddleDistances, type SaddleCertificate, type SaddleCertificateWorkspace } from './certificate.js';
import type { KernelChoice } from './kernels.js';
import { Pdhg, type PdhgState, type PdhgWork } from './pdhg.js';
import { primalDualUpdate, proxSteps, type PrimalDualArrays, type PrimalDualMaps, type PrimalDualSteps } from './primal-dual.js';
import type { PdhgStepOptions } from './steps.js';

/**
 * A saddle problem with the upper-level loss whose hypergradient the adjoint carries:
 * `min_x max_y ⟨Kx, y⟩ + g(x) − f*(y)` and `ℓ(x; x†)` (arXiv 2412.06436, eq. (1)).
 */
export interface PiggybackProblem extends SaddleProblem {
  /** The upper-level loss `ℓ(x; x†)`. */
  readonly loss: Loss;
  /** Its target `x†`. */
  readonly target: Vec;
}

/** Options of {@link Piggyback}: the PDHG step rule (constant steps), the kernel and whether to run the adjoint. */
export interface PiggybackOptions extends PdhgStepOptions {
  /**
   * The kernel: `auto` (default) runs a fused `wasm-f64` kernel when one is registered for the
   * problem's description (the Huber-TV kernel), else the generic composition — never a float32
   * kernel; `js-f64` always the generic composition; `wasm-f64` or `gpujs-f32` require a
   * registered fused kernel of that backend.
   */
  readonly backend?: KernelChoice;
  /** Threads the fused kernel splits one solve over (default 1; see `PdhgOptions.threads`). */
  readonly threads?: number;
  /**
   * Run the adjoint alongside PDHG (default true). Without it the solver is PDHG with the
   * piggyback certificate (`δ_X = δ_Y = 0`) and empty adjoint arrays: a loss-only solve.
   */
  readonly adjoint?: boolean;
}

/** The adjoint's arrays and the workspace of its certificate (allocated once per state). */
export interface PiggybackAdjointWork {
  /** `KX` (swapped with `kxPrev` every step). */
  kx: Vec;
  /** `KX_prev`. */
  kxPrev: Vec;
  /** `KᵀY`. */
  readonly kty: Vec;
  /** `∇ℓ(x)`. */
  readonly gl: Vec;
  /** The primal map's input, then certificate scratch (domain). */
  readonly dom: Vec;
  /** The dual map's input, then certificate scratch (range). */
  readonly ran: Vec;
  /** Certificate scratch (domain). */
  readonly d1: Vec;
  /** Certificate scratch (domain). */
  readonly d2: Vec;
  /** Certificate scratch (range). */
  readonly r1: Vec;
  /** Certificate scratch (range). */
  readonly r2: Vec;
  /** The maps of the adjoint update: the prox Jacobians at PDHG's prox inputs. */
  readonly maps: PrimalDualMaps;
  /** The halves of the adjoint update built from `maps`. */
  readonly steps: PrimalDualSteps;
  /** The arrays of the adjoint update. */
  readonly pair: PrimalDualArrays;
}

/** Derived data of {@link Piggyback} (not serialised). */
export interface PiggybackWork extends PdhgWork {
  /** The problem with its loss. */
  readonly problem: PiggybackProblem;
  /** The generic adjoint's work (`null` without the adjoint, or when a fused kernel runs it). */
  readonly adjoint: PiggybackAdjointWork | null;
  /** Workspace of the generic Lemma 2 certificate (`null` when a fused kernel certifies). */
  readonly saddleWork: SaddleCertificateWorkspace | null;
  /**
   * `KX` and the scratch of the generic Lemma 3 certificate on a fused kernel's iterates (a
   * kernel without its own certificate sweeps, with the adjoint), else `null`.
   */
  readonly hostAdjoint: (AdjointCertificateWorkspace & { readonly KX: Vec }) | null;
}

/**
 * State of {@link Piggyback}: the PDHG state (`x`, `xPrev`, `y`, steps, counters) and the adjoint
 * iterates. `X` and `XPrev` exchange their arrays every step (read them after each step).
 */
export interface PiggybackState extends PdhgState {
  /** Primal adjoint `Xⁿ` (empty without the adjoint). */
  X: Vec;
  /** Previous primal adjoint `Xⁿ⁻¹`. */
  XPrev: Vec;
  /** Dual adjoint `Yⁿ`. */
  readonly Y: Vec;
  /** Derived data. */
  readonly work: PiggybackWork;
}

/**
 * Certificate of {@link Piggyback}: Lemma 2 at `(x, y)` (`epsX`, `epsY`, as
 * {@link saddleCertificate} without the gap) and Lemma 3 at the pair `(y, Kx)` for the adjoint
 * (`deltaX ≥ ‖X − X̃‖`, `deltaY ≥ ‖Y − Ỹ‖`, docs/math/certificates.md#lemma-3); all
 * `Infinity` after a divergence.
 */
export interface PiggybackCertificate extends SaddleCertificate {
  /** Lemma 3: `‖X − X̃‖ ≤ deltaX` (0 without the adjoint). */
  readonly deltaX: number;
  /** Lemma 3: `‖Y − Ỹ‖ ≤ deltaY` (0 without the adjoint). */
  readonly deltaY: number;
}

/**
 * The stop criterion of a piggyback solve: `ε_x, ε_y ≤ ε` and `δ_X, δ_Y ≤ δ` at the same
 * certificate (arXiv 2412.06436, Algorithm 1).
 */
export function piggybackTolerance(tol: Tolerances): StoppingCriterion {
  const t = parseOrThrow(tolerancesSchema, tol, 'piggybackTolerance(tol)');
  return {
    usesCertificate: true,
    description: `ε_x, ε_y ≤ ${t.epsilon} and δ_X, δ_Y ≤ ${t.delta}`,
    check: (ctx) => (ctx.certificate && meetsTolerances(ctx.certificate, t) ? 'converged' : undefined),
  };
}

/** Tolerances `≥ 0` (`Infinity`: that part is not required, e.g. `δ` of a loss-only solve). */
const tolerance = z.union([z.number().nonnegative(), z.literal(Infinity)]);
const tolerancesSchema = z.strictObject({ epsilon: tolerance, delta: tolerance });

/** Whether a piggyback certificate meets the tolerances (the test of {@link piggybackTolerance}). */
export function meetsTolerances(c: Certificate, tol: Tolerances): boolean {
  return c['epsX']! <= tol.epsilon && c['epsY']! <= tol.epsilon && c['deltaX']! <= tol.delta && c['deltaY']! <= tol.delta;
}

/**
 * Piggyback (arXiv 2412.06436 §3.2, dual-first; docs/math/piggyback.md#the-piggyback-recursion):
 * per iteration the PDHG step of {@link Pdhg}, then the same primal–dual update on the adjoint
 * pair with the prox Jacobians at PDHG's prox inputs `w`, `v` and the source `∇ℓ(xⁿ)`:
 * ```
 * Yⁿ⁺¹ = J_{σf*}(w)[Yⁿ + σK X̄ⁿ],   Xⁿ⁺¹ = J_{τg}(v)[Xⁿ − τ(KᵀYⁿ⁺¹ + ∇ℓ(xⁿ))],   X̄ = X + ϑ(X − X_prev)
 * ```
 * Steps must be constant (plain or linear scheme). A fused kernel registered for the description
 * of the problem and its loss (the WebAssembly Huber-TV kernel, the gpu.js kernels of
 * `@bilevel/kernels`) runs the joint iteration in its own memory, counted as the generic
 * composition; with its own certificate sweeps (WebAssembly) it certifies too, else the generic
 * certificates run on its iterates. `init(problem, warm)` takes
 * the PDHG warm start of {@link Pdhg} and `X`, `XPrev`, `Y` (each used when it has the right
 * length, else zero; `XPrev` defaults to `X`). `step` allocates nothing.
 */
export class Piggyback implements Solver<PiggybackProblem, PiggybackState, PiggybackCertificate> {
  private readonly pdhg: Pdhg;
  private readonly withAdjoint: boolean;

  /** @param options step rule (plain or linear) and whether to run the adjoint */
  constructor(options: PiggybackOptions = {}) {
    const { adjoint = true, ...steps } = options;
    if (steps.scheme !== undefined && steps.scheme !== 'plain' && steps.scheme !== 'linear' && steps.scheme !== 'auto') {
      throw new ValidationError(`Piggyback options: scheme '${steps.scheme}' is not supported; use 'plain' or 'linear' (constant steps)`);
    }
    this.pdhg = new Pdhg({ ...steps, gap: false });
    this.withAdjoint = adjoint;
  }

  /** Allocate the state (PDHG and adjoint), warm-started from `warm`. */
  init(problem: PiggybackProblem, warm: Partial<PiggybackState> = {}): PiggybackState {
    const base = this.pdhg.start(problem, warm, this.withAdjoint ? 'piggyback' : 'pdhg', problem);
    const kind = base.work.steps.kind;
    if (kind !== 'plain' && kind !== 'linear') {
      throw new ValidationError(`Piggyback: PDHG chose the '${kind}' scheme; piggyback needs constant steps (plain or linear)`);
    }
    if (shapeSize(problem.K.domain) !== problem.target.length) {
      throw new ValidationError(`Piggyback: the target has ${problem.target.length} entries, the primal ${shapeSize(problem.K.domain)}`);
    }
    const n = base.x.length;
    const m = base.y.length;
    const fused = base.work.fused;
    const X = fused ? fused.X : new Float64Array(this.withAdjoint ? n : 0);
    const XPrev = fused ? fused.XPrev : new Float64Array(this.withAdjoint ? n : 0);
    const Y = fused ? fused.Y : new Float64Array(this.withAdjoint ? m : 0);
    const adjoint = this.withAdjoint && !fused ? adjointWork(problem, base, X, XPrev, Y) : null;
    const saddleWork = fused ? base.work.hostCertificate : createSaddleCertificateWorkspace(problem);
    const hostAdjoint = fused && saddleWork && this.withAdjoint ? { ...adjointScratch(n, m), KX: new Float64Array(m) } : null;
    const state: PiggybackState = {
      ...base,
      X,
      XPrev,
      Y,
      work: { ...base.work, problem, adjoint, saddleWork, hostAdjoint },
    };
    if (this.withAdjoint) loadAdjoint(problem.K, state, adjoint, warm, state.cost);
    return state;
  }

  /** One joint iteration: the PDHG step, then the adjoint step with the same steps (no allocation). */
  step(s: PiggybackState): void {
    const theta = s.theta;
    this.pdhg.step(s);
    if (s.halt || !this.withAdjoint) return;
    const a = s.work.adjoint;
    if (!a) {
      // the fused kernel ran the adjoint in the same sweep
      const fused = s.work.fused!;
      s.X = fused.X;
      s.XPrev = fused.XPrev;
      countAdjointStep(s.cost);
      return;
    }
    const { K, loss, target } = s.work.problem;
    loss.gradient(s.xPrev, target, a.gl);
    const p = a.pair;
    p.xOld = s.X;
    p.xNew = s.XPrev;
    p.kx = a.kx;
    p.kxNew = a.kxPrev;
    primalDualUpdate(K, a.steps, p, s.tauLast, s.sigmaLast, theta, a.gl);
    s.X = p.xNew;
    s.XPrev = p.xOld;
    a.kx = p.kxNew;
    a.kxPrev = p.kx;
    countAdjointStep(s.cost);
  }

  /** Give a fused kernel's memory back for reuse (see {@link Pdhg.release}); the state must not be used afterwards. */
  release(s: PiggybackState): void {
    this.pdhg.release(s);
  }

  /** Lemma 2 at `(x, y)` and Lemma 3 at the pair (see {@link PiggybackCertificate}). */
  certificate(s: PiggybackState): PiggybackCertificate {
    const w = s.work;
    if (s.halt) return divergedCertificate();
    if (w.fused?.certificate) {
      const c = w.fused.certificate(s.cost, false);
      return { ...saddleDistances(c.saddle), deltaX: c.deltaX, deltaY: c.deltaY };
    }
    const ws = w.saddleWork!;
    if (w.fused) {
      // generic certificates on the kernel's iterates: K x, Kᵀy (into ws) and K X computed here
      const c = saddleCertificate(w.problem, s.x, s.y, ws, { cost: s.cost, gap: false });
      const a = w.hostAdjoint;
      if (!a) return { ...c, deltaX: 0, deltaY: 0 };
      w.problem.K.apply(s.X, a.KX);
      s.cost.apply++;
      return { ...c, ...adjointCertificate(w.problem, { x: s.x, y: s.y, kx: ws.kx, kty: ws.kty, X: s.X, Y: s.Y, KX: a.KX }, a, s.cost) };
    }
    const gw = w.generic!;
    const c = saddleCertificate(w.problem, s.x, s.y, ws, { kx: gw.kx, kty: gw.kty, cost: s.cost, gap: false });
    const d = w.adjoint
      ? adjointCertificate(w.problem, { x: s.x, y: s.y, kx: gw.kx, kty: gw.kty, X: s.X, Y: s.Y, KX: w.adjoint.kx }, w.adjoint, s.cost)
      : { deltaX: 0, deltaY: 0 };
    return { ...c, ...d };
  }
}

/** The counters of one adjoint step: one `apply`, one `adjoint`, two prox Jacobians, one loss gradient. */
function countAdjointStep(c: Cost): void {
  c.apply++;
  c.adjoint++;
  c.proxJvp += 2;
  c.gradient++;
  c.adjointIterations++;
}

/** Every entry `Infinity`: the certificate of a diverged state. */
function divergedCertificate(): PiggybackCertificate {
  const inf = Infinity;
  return { distance: inf, epsX: inf, epsY: inf, primalStationarity: inf, dualStationarity: inf, gap: inf, primalObjective: NaN, dualObjective: NaN, deltaX: inf, deltaY: inf };
}

/** Fresh scratch of {@link adjointCertificate} for a domain of `n` and a range of `m` entries. */
function adjointScratch(n: number, m: number): AdjointCertificateWorkspace {
  const [gl, dom, d1, d2] = [0, 1, 2, 3].map(() => new Float64Array(n)) as [Vec, Vec, Vec, Vec];
  const [ran, r1, r2] = [0, 1, 2].map(() => new Float64Array(m)) as [Vec, Vec, Vec];
  return { gl, dom, ran, d1, d2, r1, r2 };
}

function adjointWork(problem: PiggybackProblem, base: PdhgState, X: Vec, XPrev: Vec, Y: Vec): PiggybackAdjointWork {
  const { g, fStar } = problem;
  const n = X.length;
  const m = Y.length;
  const kx = new Float64Array(m);
  const kxPrev = new Float64Array(m);
  const kty = new Float64Array(n);
  const scratch = adjointScratch(n, m);
  // PDHG's prox inputs w, v are fixed arrays of its (generic) state, so the maps can close over them.
  const w = base.w!;
  const v = base.v!;
  const maps: PrimalDualMaps = {
    dual: (t, sigma, out) => fStar.proxJvp(w, sigma, t, out),
    primal: (u, tau, out) => g.proxJvp(v, tau, u, out),
    dualDiagonal: null,
    primalDiagonal: null,
  };
  return {
    kx,
    kxPrev,
    kty,
    ...scratch,
    maps,
    steps: proxSteps(maps, null, null),
    pair: { xOld: X, xNew: XPrev, y: Y, w: scratch.ran, v: scratch.dom, kx, kxNew: kxPrev, kty },
  };
}

/**
 * Copy `X`, `XPrev`, `Y` from `from` (each when it has the right length, else zero; `XPrev`
 * defaults to `X`) and recompute `KX`, `KXPrev`, `KᵀY` for the generic adjoint (two `apply`, one
 * `adjoint`; a fused kernel is charged the same).
 */
function loadAdjoint(
  K: SaddleProblem['K'],
  s: PiggybackState,
  a: PiggybackAdjointWork | null,
  from: Partial<Record<'X' | 'XPrev' | 'Y', unknown>>,
  cost: Cost,
): void {
  const n = s.X.length;
  const m = s.Y.length;
  const given = (v: unknown, len: number): v is Vec => v instanceof Float64Array && v.length === len;
  if (given(from.X, n)) s.X.set(from.X);
  if (given(from.Y, m)) s.Y.set(from.Y);
  s.XPrev.set(given(from.XPrev, n) ? from.XPrev : s.X);
  if (a) {
    K.apply(s.X, a.kx);
    K.apply(s.XPrev, a.kxPrev);
    K.adjoint(s.Y, a.kty);
  }
  cost.apply += 2;
  cost.adjoint++;
}

/** Iterates and operator images the Lemma 3 certificate reads. */
export interface AdjointCertificateInput {
  /** `x`. */
  readonly x: Vec;
  /** `y`. */
  readonly y: Vec;
  /** `Kx`. */
  readonly kx: Vec;
  /** `Kᵀy`. */
  readonly kty: Vec;
  /** `X`. */
  readonly X: Vec;
  /** `Y`. */
  readonly Y: Vec;
  /** `KX`. */
  readonly KX: Vec;
}

/** Scratch arrays of {@link adjointCertificate} (`dom`, `d1`, `d2`, `gl`: domain; `ran`, `r1`, `r2`: range). */
export type AdjointCertificateWorkspace = Pick<PiggybackAdjointWork, 'gl' | 'dom' | 'ran' | 'd1' | 'd2' | 'r1' | 'r2'>;

/**
 * Lemma 3 at the pair the adjoint system uses (arXiv 2412.06436, Lemma 3;
 * docs/math/certificates.md#lemma-3): the generalised Hessians at the graph points `(x, −Kᵀy)` of
 * `g` and `(y, Kx)` of `f*`, with `F = H_{f*}⁻¹(y; Kx)` and `P = H_{f*}F` the projection onto the
 * directions `f*` leaves free:
 * ```
 * δ_X = ‖H_gX + KᵀFKX + ∇ℓ(x)‖/μ_g
 * δ_Y = √( (‖P[K H_g⁻¹(KᵀY_R + ∇ℓ(x)) + H_{f*}Y_R]‖/μ_{f*})² + ‖Y − Y_R‖² ),  Y_R = PY
 * ```
 * (Lemma 1 on the range of `F`, where `Ỹ = FKX̃` lives, plus the part of `Y` outside it).
 * `Infinity` when a needed capability (`hvp`, `hvpInverse` of `g` and `f*`) or a positive
 * modulus is missing. Charges one `apply`, two `adjoint` and one gradient to `cost`.
 */
export function adjointCertificate(
  problem: PiggybackProblem,
  s: AdjointCertificateInput,
  a: AdjointCertificateWorkspace,
  cost: Cost,
): { deltaX: number; deltaY: number } {
  const { K } = problem;
  const g = problem.g as Partial<HessianInvertible>;
  const fs = problem.fStar as Partial<HessianInvertible>;
  if (!g.hvp || !g.hvpInverse || !fs.hvp || !fs.hvpInverse) return { deltaX: Infinity, deltaY: Infinity };
  const muG = problem.g.strongConvexity;
  const muF = problem.fStar.strongConvexity;
  if (!(muG > 0) || !(muF > 0)) return { deltaX: Infinity, deltaY: Infinity };
  const n = s.X.length;
  const m = s.Y.length;
  const { d1, d2, r1, r2, gl } = a;
  const t = a.ran;
  const u = s.kx;
  const gPair = a.dom;
  for (let j = 0; j < n; j++) gPair[j] = -s.kty[j]!;
  problem.loss.gradient(s.x, problem.target, gl);
  // δ_X
  fs.hvpInverse.call(problem.fStar, s.y, s.KX, r1, u);
  K.adjoint(r1, d1);
  g.hvp.call(problem.g, s.x, s.X, d2, gPair);
  for (let j = 0; j < n; j++) d1[j] = d1[j]! + d2[j]! + gl[j]!;
  const deltaX = nrm2(n, d1) / muG;
  // δ_Y: Y_R = P Y (in r2) and the part of Y outside the free directions.
  fs.hvpInverse.call(problem.fStar, s.y, s.Y, r1, u);
  fs.hvp.call(problem.fStar, s.y, r1, r2, u);
  let outside = 0;
  for (let i = 0; i < m; i++) outside += (s.Y[i]! - r2[i]!) ** 2;
  K.adjoint(r2, d2);
  for (let j = 0; j < n; j++) d2[j] = d2[j]! + gl[j]!;
  g.hvpInverse.call(problem.g, s.x, d2, d1, gPair);
  K.apply(d1, r1);
  fs.hvp.call(problem.fStar, s.y, r2, t, u);
  for (let i = 0; i < m; i++) r1[i] = r1[i]! + t[i]!;
  fs.hvpInverse.call(problem.fStar, s.y, r1, t, u);
  fs.hvp.call(problem.fStar, s.y, t, r1, u);
  const deltaY = Math.hypot(nrm2(m, r1) / muF, Math.sqrt(outside));
  cost.apply++;
  cost.adjoint += 2;
  cost.gradient++;
  return { deltaX, deltaY };
}
