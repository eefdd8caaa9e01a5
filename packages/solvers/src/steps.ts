/**
 * PDHG step rules (Chambolle–Pock 2011, Algorithms 1–3; Pock–Chambolle 2011 diagonal
 * preconditioning) and the resolution of `‖K‖`.
 * @module
 */
import {
  ValidationError,
  nonNegative,
  parseOrThrow,
  positive,
  NORM_SAFETY,
  normUpperBound,
  z,
  type Cost,
  type NormKind,
  type OperatorNorm,
  type SaddleProblem,
  type StopReason,
  type Vec,
} from '@bilevel/core';
import { positiveOrInfinity, vecSchema } from './internal.js';

/** Which PDHG variant a step rule belongs to. */
export type PdhgScheme = 'plain' | 'accelerated' | 'linear' | 'preconditioned';

/** @internal zod schema of {@link PdhgStepOptions}. */
export const pdhgStepOptionsSchema = z.strictObject({
  /** `auto` (default), `plain`, `accelerated`, `linear` or `preconditioned`. */
  scheme: z.enum(['auto', 'plain', 'accelerated', 'linear', 'preconditioned']).default('auto'),
  /** Primal step `τ` (plain, accelerated: initial `τ₀`; preconditioned: scalar multiplier). */
  tau: positive.optional(),
  /** Dual step `σ` (plain, accelerated: initial `σ₀`; preconditioned: scalar multiplier). */
  sigma: positive.optional(),
  /** `σ/τ` of the default steps (default 1). */
  ratio: positive.default(1),
  /** `s` in the default steps, `τσ‖K‖² = s²` (default 0.99). */
  stepFactor: z.number().gt(0).max(1).default(0.99),
  /** Factor applied to a `‖K‖` of kind `estimate` (default core `NORM_SAFETY` = 1.01). */
  normSafety: z.number().finite().min(1).default(NORM_SAFETY),
  /** Strong convexity `μ_g` of `g` (default `problem.g.strongConvexity`). */
  muG: nonNegative.optional(),
  /** Strong convexity `μ_f*` of `f*` (default `problem.fStar.strongConvexity`). */
  muFStar: nonNegative.optional(),
  /** Acceleration `γ ∈ (0, μ_g]` of CP2011 Alg. 2 (default `μ_g`). */
  gamma: positive.optional(),
  /** `ν ∈ (0, 2√(μ_g μ_f*)/‖K‖]` of CP2011 Alg. 3 (default the upper end). */
  nu: positive.optional(),
  /** Cap `ν ≤ nuMax` (default `Infinity`: no cap; deepinv caps at 1). */
  nuMax: positiveOrInfinity.default(Infinity),
  /** Extrapolation `ϑ` of the linear scheme, `ϑ ∈ [1/(1+ν), 1]` (default `1/(1+ν)`). */
  theta: z.number().gt(0).max(1).optional(),
  /**
   * Diagonal preconditioning (Pock–Chambolle 2011, `α = 1`): absolute row sums
   * `Σ_j |K_ij|` (length = range size) and column sums `Σ_i |K_ij|` (length = domain size).
   */
  preconditioning: z
    .strictObject({
      rowSums: vecSchema,
      colSums: vecSchema,
    })
    .optional(),
});

/**
 * Options of the PDHG step rules ({@link pdhgSteps}, `Pdhg`, `Piggyback`), validated with zod
 * (unknown keys are rejected; messages name the option).
 *
 * Defaults and their sources:
 * - `scheme: 'auto'` — `linear` when `μ_g > 0` and `μ_f* > 0` (CP2011 Alg. 3), `accelerated` when
 *   only `μ_g > 0` (CP2011 Alg. 2), `plain` otherwise (CP2011 Alg. 1); `preconditioned` when
 *   `preconditioning` is given. Giving `tau` or `sigma` with `auto` selects `plain` (or
 *   `accelerated` when `μ_g > 0 = μ_f*`).
 * - `stepFactor: 0.99`, `ratio: 1` — plain/accelerated defaults `τ = s/(‖K‖√r)`, `σ = s√r/‖K‖`, so
 *   `τσ‖K‖² = s² ≈ 0.98 < 1` (CP2011 Thm. 1 needs `< 1`).
 * - `normSafety: 1.01` — multiplies a norm of kind `estimate` (power iteration approaches `‖K‖`
 *   from below; core `normUpperBound`, as SCICO's `estimate_parameters`). `‖K‖` itself is
 *   `K.norm()`: a known value is attached to the operator once (`withNorm` of
 *   `@bilevel/operators`), where the piggyback error bound reads it too.
 * - `gamma = μ_g` (CP2011 Alg. 2), `nu = 2√(μ_g μ_f*)/‖K‖`, `nuMax = Infinity`, `theta = 1/(1+ν)`
 *   (CP2011 Alg. 3 / Thm. 3).
 */
export interface PdhgStepOptions {
  /** `auto` (default), `plain`, `accelerated`, `linear` or `preconditioned`. */
  readonly scheme?: 'auto' | PdhgScheme;
  /** Primal step `τ` (accelerated: `τ₀`; preconditioned: scalar multiplier of the diagonal). */
  readonly tau?: number;
  /** Dual step `σ` (accelerated: `σ₀`; preconditioned: scalar multiplier of the diagonal). */
  readonly sigma?: number;
  /** `σ/τ` of the default steps (default 1). */
  readonly ratio?: number;
  /** `s` of the default steps, `τσ‖K‖² = s²` (default 0.99; at most 1). */
  readonly stepFactor?: number;
  /** Factor applied to a `‖K‖` of kind `estimate` (default 1.01, at least 1). */
  readonly normSafety?: number;
  /** Strong convexity `μ_g` of `g` (default `problem.g.strongConvexity`). */
  readonly muG?: number;
  /** Strong convexity `μ_f*` of `f*` (default `problem.fStar.strongConvexity`). */
  readonly muFStar?: number;
  /** Acceleration `γ ∈ (0, μ_g]` of CP2011 Alg. 2 (default `μ_g`). */
  readonly gamma?: number;
  /** `ν ∈ (0, 2√(μ_g μ_f*)/‖K‖]` of CP2011 Alg. 3 (default the upper end). */
  readonly nu?: number;
  /** Cap `ν ≤ nuMax` (default `Infinity`: no cap; deepinv caps at 1). */
  readonly nuMax?: number;
  /** Extrapolation `ϑ ∈ [1/(1+ν), 1]` of the linear scheme (default `1/(1+ν)`). */
  readonly theta?: number;
  /**
   * Diagonal preconditioning (Pock–Chambolle 2011, `α = 1`): `rowSums_i = Σ_j |K_ij|` (range
   * size) and `colSums_j = Σ_i |K_ij|` (domain size), supplied because `K` is matrix-free.
   */
  readonly preconditioning?: PdhgPreconditioning;
}

/** Absolute row and column sums of `K` for diagonal preconditioning (Pock–Chambolle 2011, α = 1). */
export interface PdhgPreconditioning {
  /** `rowSums_i = Σ_j |K_ij|`, one per entry of the range. */
  readonly rowSums: Vec;
  /** `colSums_j = Σ_i |K_ij|`, one per entry of the domain. */
  readonly colSums: Vec;
}

/** What {@link pdhgSteps} needs to know of a problem when no `SaddleProblem` is at hand. */
export interface PdhgStepInput {
  /** `‖K‖` as a number (used as is) or an `OperatorNorm` (estimates get the safety factor). */
  readonly normK: number | OperatorNorm;
  /** Strong convexity of `g` (default 0). */
  readonly muG?: number;
  /** Strong convexity of `f*` (default 0). */
  readonly muFStar?: number;
  /** Domain size (only needed for preconditioning length checks). */
  readonly domainSize?: number;
  /** Range size (only needed for preconditioning length checks). */
  readonly rangeSize?: number;
}

/**
 * A PDHG step rule: the steps of the first iteration and what is needed to continue.
 *
 * - plain: `ϑ = 1`, fixed `τ, σ` with `τσL² < 1` (CP2011 Alg. 1, Thm. 1);
 * - accelerated: `τ₀σ₀L² ≤ 1`, then per iteration `ϑ_n = 1/√(1+2γτ_n)`, `τ_{n+1} = ϑ_n τ_n`,
 *   `σ_{n+1} = σ_n/ϑ_n` (CP2011 Alg. 2; `theta` here is `ϑ_0`);
 * - linear: `τ = ν/(2μ_g)`, `σ = ν/(2μ_f*)`, `ϑ = 1/(1+ν)` fixed (CP2011 Alg. 3, Thm. 3; rate
 *   `ω = (1+ϑ)/(2+ν)`, i.e. `1/(1+ν)` with the default `ϑ`);
 * - preconditioned: `ϑ = 1`, vector steps `tau·tauDiag`, `sigma·sigmaDiag` with
 *   `tauDiag_j = 1/Σ_i|K_ij|`, `sigmaDiag_i = 1/Σ_j|K_ij|` (Pock–Chambolle 2011, Lemma 2, α = 1).
 */
export interface PdhgSteps {
  /** The scheme these steps belong to. */
  readonly kind: PdhgScheme;
  /** Primal step `τ` (accelerated: `τ₀`; preconditioned: scalar multiplier of `tauDiag`). */
  readonly tau: number;
  /** Dual step `σ` (accelerated: `σ₀`; preconditioned: scalar multiplier of `sigmaDiag`). */
  readonly sigma: number;
  /** Extrapolation `ϑ` (accelerated: `ϑ_0 = 1/√(1+2γτ₀)`). */
  readonly theta: number;
  /** The `‖K‖` used (after the safety factor; `NaN` for the preconditioned scheme). */
  readonly normK: number;
  /** Provenance of `normK`: the operator's kind or `user`. */
  readonly normKind: NormKind | 'user' | 'none';
  /** `γ` of the accelerated scheme (0 otherwise). */
  readonly gamma: number;
  /** `ν` of the linear scheme (0 otherwise). */
  readonly nu: number;
  /** Theoretical contraction factor per iteration of the linear scheme, `(1+ϑ)/(2+ν)` (NaN otherwise). */
  readonly rate: number;
  /** `τσ‖K‖²` of these steps (NaN for preconditioned). */
  readonly product: number;
  /** Diagonal primal steps `1/colSums` (preconditioned only). */
  readonly tauDiag?: Vec;
  /** Diagonal dual steps `1/rowSums` (preconditioned only). */
  readonly sigmaDiag?: Vec;
}

/** A resolved operator norm: the value used for step sizes and its provenance. */
export interface ResolvedNorm {
  /** The value used (estimates multiplied by the safety factor). */
  readonly value: number;
  /** Where it came from. */
  readonly kind: NormKind | 'user';
}

function fmt(v: number): string {
  return Number.isFinite(v) ? Number(v.toPrecision(6)).toString() : String(v);
}

function fail(issue: string, hint: string): never {
  throw new ValidationError(`invalid pdhg step options:\n  ${issue}\n  ${hint}`, [issue]);
}

function isProblem(p: SaddleProblem | PdhgStepInput): p is SaddleProblem {
  return (p as SaddleProblem).K !== undefined && (p as SaddleProblem).g !== undefined;
}

/** Relative slack allowed on `τσL² ≤ 1` for schemes whose theory permits equality (rounding). */
const EQUALITY_SLACK = 1e-12;

/**
 * The PDHG step rule for `problem` (CP2011 Alg. 1–3, Pock–Chambolle 2011): validates user steps
 * and derives the missing ones. Exported because the piggyback estimator runs its adjoint
 * iteration with exactly these steps.
 *
 * `problem` is a `SaddleProblem` (norm from `K.norm()`, moduli from `g.strongConvexity`,
 * `fStar.strongConvexity`) or a {@link PdhgStepInput}. Throws a `ValidationError` naming
 * `tau`, `sigma` and `‖K‖` when `τσ‖K‖² ≥ 1` (plain) or `> 1` (accelerated, linear).
 *
 * The `ν ≤ 1` cap question: CP2011 Thm. 3 only requires `ν ≤ 2√(μ_g μ_f*)/‖K‖`, and any smaller
 * `ν` is admissible (so a cap is always safe, it just lowers the guaranteed rate `1/(1+ν)`).
 * deepinv's implementation (`deepinv/optim/bilevel`) caps `ν ≤ 1`; whether arXiv 2412.06436 does is unknown. Default: no
 * cap (`nuMax = Infinity`); pass `nuMax: 1` to reproduce deepinv.
 */
export function pdhgSteps(problem: SaddleProblem | PdhgStepInput, options: PdhgStepOptions = {}): PdhgSteps {
  const o = parseOrThrow(pdhgStepOptionsSchema, options, 'pdhg step options');
  let muG: number;
  let muFStar: number;
  let domainSize: number | undefined;
  let rangeSize: number | undefined;
  let getNorm: () => ResolvedNorm;
  if (isProblem(problem)) {
    muG = o.muG ?? problem.g.strongConvexity ?? 0;
    muFStar = o.muFStar ?? problem.fStar.strongConvexity ?? 0;
    domainSize = problem.K.domain.reduce((a, b) => a * b, 1);
    rangeSize = problem.K.range.reduce((a, b) => a * b, 1);
    getNorm = () => normUpperBound(problem.K, o.normSafety);
  } else {
    muG = o.muG ?? problem.muG ?? 0;
    muFStar = o.muFStar ?? problem.muFStar ?? 0;
    domainSize = problem.domainSize;
    rangeSize = problem.rangeSize;
    const nk = problem.normK;
    getNorm = () =>
      typeof nk === 'number' ? { value: nk, kind: 'user' } : { value: nk.kind === 'estimate' ? nk.value * o.normSafety : nk.value, kind: nk.kind };
  }
  if (!(muG >= 0) || !(muFStar >= 0)) fail(`muG = ${muG}, muFStar = ${muFStar}: moduli must be ≥ 0`, 'check strongConvexity of g and fStar');

  let scheme = o.scheme;
  if (o.preconditioning && scheme === 'auto') scheme = 'preconditioned';
  if (scheme === 'auto') {
    const userSteps = o.tau !== undefined || o.sigma !== undefined;
    if (muG > 0 && muFStar > 0 && !userSteps) scheme = 'linear';
    else if (muG > 0 && muFStar === 0) scheme = 'accelerated';
    else scheme = 'plain';
  }

  if (scheme === 'preconditioned') return preconditionedSteps(o, domainSize, rangeSize);
  if (o.preconditioning) fail(`preconditioning: only used by scheme 'preconditioned' (got scheme '${scheme}')`, "remove preconditioning or set scheme: 'preconditioned'");

  const norm = getNorm();
  const L = norm.value;
  if (!(L > 0) || !Number.isFinite(L)) fail(`‖K‖ = ${L} must be finite and > 0`, 'attach a known norm to the operator (withNorm of @bilevel/operators) or implement norm()');
  const s = o.stepFactor;
  const normText = `‖K‖ = ${fmt(L)} (${norm.kind})`;

  if (scheme === 'linear') {
    if (o.tau !== undefined || o.sigma !== undefined) {
      fail('tau, sigma: the linear scheme derives τ = ν/(2μ_g), σ = ν/(2μ_f*) from nu', 'pass nu (and theta) instead, or choose scheme plain');
    }
    if (!(muG > 0) || !(muFStar > 0)) {
      fail(`muG = ${fmt(muG)}, muFStar = ${fmt(muFStar)}: the linear scheme (CP2011 Alg. 3) needs both > 0`, "use scheme 'accelerated' (μ_g > 0) or 'plain'");
    }
    const nuBound = (2 * Math.sqrt(muG * muFStar)) / L;
    if (o.nu !== undefined && o.nu > nuBound * (1 + EQUALITY_SLACK)) {
      fail(`nu = ${fmt(o.nu)} exceeds 2√(μ_g μ_f*)/‖K‖ = ${fmt(nuBound)} (${normText})`, 'choose nu ≤ 2√(muG·muFStar)/‖K‖ (CP2011 Thm. 3)');
    }
    const nu = Math.min(o.nu ?? nuBound, o.nuMax);
    const thetaMin = 1 / (1 + nu);
    const theta = o.theta ?? thetaMin;
    if (theta < thetaMin * (1 - EQUALITY_SLACK)) fail(`theta = ${fmt(theta)} < 1/(1+ν) = ${fmt(thetaMin)}`, 'choose theta in [1/(1+nu), 1] (CP2011 Thm. 3)');
    const tau = nu / (2 * muG);
    const sigma = nu / (2 * muFStar);
    return {
      kind: 'linear', tau, sigma, theta, normK: L, normKind: norm.kind, gamma: 0, nu,
      rate: (1 + theta) / (2 + nu), product: tau * sigma * L * L,
    };
  }

  // plain and accelerated: user steps or the default s/L pair.
  const r = o.ratio;
  let tau: number;
  let sigma: number;
  if (o.tau !== undefined && o.sigma !== undefined) {
    tau = o.tau;
    sigma = o.sigma;
  } else if (o.tau !== undefined) {
    tau = o.tau;
    sigma = (s * s) / (tau * L * L);
  } else if (o.sigma !== undefined) {
    sigma = o.sigma;
    tau = (s * s) / (sigma * L * L);
  } else {
    tau = s / (L * Math.sqrt(r));
    sigma = (s * Math.sqrt(r)) / L;
  }
  const product = tau * sigma * L * L;
  if (scheme === 'plain') {
    if (!(product < 1)) {
      fail(
        `tau, sigma: tau·sigma·‖K‖² = ${fmt(product)} ≥ 1 with tau = ${fmt(tau)}, sigma = ${fmt(sigma)}, ${normText}`,
        `choose tau·sigma·‖K‖² < 1 (CP2011 Thm. 1), e.g. tau = sigma = 0.99/‖K‖ = ${fmt(0.99 / L)}`,
      );
    }
    return { kind: 'plain', tau, sigma, theta: 1, normK: L, normKind: norm.kind, gamma: 0, nu: 0, rate: NaN, product };
  }
  // accelerated
  if (!(muG > 0)) fail(`muG = ${fmt(muG)}: the accelerated scheme (CP2011 Alg. 2) needs a strongly convex g`, "use scheme 'plain'");
  if (product > 1 + EQUALITY_SLACK) {
    fail(
      `tau, sigma: tau·sigma·‖K‖² = ${fmt(product)} > 1 with tau = ${fmt(tau)}, sigma = ${fmt(sigma)}, ${normText}`,
      `choose tau₀·sigma₀·‖K‖² ≤ 1 (CP2011 Alg. 2), e.g. tau = sigma = 0.99/‖K‖ = ${fmt(0.99 / L)}`,
    );
  }
  const gamma = o.gamma ?? muG;
  if (gamma > muG * (1 + EQUALITY_SLACK)) fail(`gamma = ${fmt(gamma)} exceeds μ_g = ${fmt(muG)}`, 'choose 0 < gamma ≤ muG (CP2011 Alg. 2)');
  return {
    kind: 'accelerated', tau, sigma, theta: acceleratedTheta(tau, gamma), normK: L, normKind: norm.kind,
    gamma, nu: 0, rate: NaN, product,
  };
}

/** `ϑ_n = 1/√(1 + 2γτ_n)`, the extrapolation of CP2011 Alg. 2 (then `τ_{n+1} = ϑ_nτ_n`, `σ_{n+1} = σ_n/ϑ_n`). */
export function acceleratedTheta(tau: number, gamma: number): number {
  return 1 / Math.sqrt(1 + 2 * gamma * tau);
}

/** @internal The fields of a PDHG state that {@link endPdhgStep} updates. */
export interface PdhgStepCounters {
  tau: number;
  sigma: number;
  theta: number;
  iteration: number;
  readonly cost: Cost;
  halt: StopReason | null;
}

/**
 * @internal End of one PDHG iteration taken with steps `(τ, σ)` (generic and fused): the
 * accelerated update `ϑ = 1/√(1 + 2γτ)`, `τ ← ϑτ`, `σ ← σ/ϑ` (CP2011 Alg. 2), the cost of one
 * iteration (one apply, one adjoint, two prox), and `halt = 'diverged'` when `change` (a sum
 * over the new iterate) is not finite.
 */
export function endPdhgStep(s: PdhgStepCounters, steps: PdhgSteps, tau: number, sigma: number, change: number): void {
  if (steps.kind === 'accelerated') {
    const th = acceleratedTheta(tau, steps.gamma);
    s.theta = th;
    s.tau = tau * th;
    s.sigma = sigma / th;
  }
  const c = s.cost;
  c.apply++;
  c.adjoint++;
  c.prox += 2;
  c.iterations++;
  s.iteration++;
  if (!Number.isFinite(change)) s.halt = 'diverged';
}

function preconditionedSteps(
  o: z.output<typeof pdhgStepOptionsSchema>,
  domainSize: number | undefined,
  rangeSize: number | undefined,
): PdhgSteps {
  const pc = o.preconditioning;
  if (!pc) fail("preconditioning: scheme 'preconditioned' needs { rowSums, colSums }", 'pass the absolute row sums Σ_j|K_ij| and column sums Σ_i|K_ij| of K');
  if (domainSize !== undefined && pc.colSums.length !== domainSize) {
    fail(`preconditioning.colSums: expected length ${domainSize} (domain of K), got ${pc.colSums.length}`, 'colSums_j = Σ_i |K_ij|');
  }
  if (rangeSize !== undefined && pc.rowSums.length !== rangeSize) {
    fail(`preconditioning.rowSums: expected length ${rangeSize} (range of K), got ${pc.rowSums.length}`, 'rowSums_i = Σ_j |K_ij|');
  }
  const tauDiag = invertSums('preconditioning.colSums', pc.colSums);
  const sigmaDiag = invertSums('preconditioning.rowSums', pc.rowSums);
  const s = o.stepFactor;
  const r = o.ratio;
  let tau = o.tau ?? s / Math.sqrt(r);
  let sigma = o.sigma ?? s * Math.sqrt(r);
  if (o.tau !== undefined && o.sigma === undefined) sigma = (s * s) / tau;
  if (o.sigma !== undefined && o.tau === undefined) tau = (s * s) / sigma;
  if (!(tau * sigma < 1)) {
    fail(
      `tau, sigma: tau·sigma = ${fmt(tau * sigma)} ≥ 1 (multipliers of the Pock–Chambolle diagonal steps, which have ‖Σ^½KT^½‖ ≤ 1)`,
      'choose tau·sigma < 1 (defaults 0.99 each)',
    );
  }
  return {
    kind: 'preconditioned', tau, sigma, theta: 1, normK: NaN, normKind: 'none', gamma: 0, nu: 0, rate: NaN,
    product: NaN, tauDiag, sigmaDiag,
  };
}

/**
 * `1/sums_i`, with zero sums (rows/columns of `K` that are zero, e.g. the last forward difference
 * under Neumann boundaries) replaced by the largest sum: such a coordinate is decoupled from `K`,
 * so any positive step is admissible; the smallest step is the conservative choice.
 */
function invertSums(name: string, sums: Vec): Vec {
  let max = 0;
  for (let i = 0; i < sums.length; i++) {
    const v = sums[i]!;
    if (!(v >= 0) || !Number.isFinite(v)) fail(`${name}: entry ${i} is ${v}; absolute sums must be finite and ≥ 0`, 'pass Σ|K_ij| over the row or column');
    if (v > max) max = v;
  }
  if (max === 0) fail(`${name}: all sums are 0 (K = 0)`, 'PDHG needs a nonzero K');
  const out = new Float64Array(sums.length);
  for (let i = 0; i < sums.length; i++) out[i] = 1 / (sums[i]! > 0 ? sums[i]! : max);
  return out;
}
