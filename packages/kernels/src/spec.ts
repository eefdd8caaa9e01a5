/**
 * The declarative problem spec of the saddle-point lower level the backends solve, its
 * validation, the operator norm and the step rule.
 *
 * The problem is Huber-TV / filter-bank denoising in the saddle form of arXiv 2412.06436:
 * `min_x max_y ⟨Kx, y⟩ + g(x) − f*(y)` with `g(x) = ½‖x − b‖²`, `K` the 2-D forward-difference
 * gradient (Neumann) or a bank of `count` learnable `k×k` filters, and `f* = (α Huber_ε)*`,
 * `f*(y) = ε/(2α)‖y‖² + ι{|y_i| ≤ α}` (anisotropic) or `ι{‖y_p‖₂ ≤ α}` per pixel (isotropic),
 * with the upper-level loss `ℓ(x) = ½‖x − x†‖²`.
 * @module
 */
import {
  assertFinite,
  assertLength,
  parseOrThrow,
  positive,
  positiveInt,
  ValidationError,
  z,
  type SaddleFilterBank,
  type SaddleSpec,
} from '@bilevel/core';

/** An image grid `H×W` (row-major, rows = axis y, columns = axis x). */
export interface Grid {
  /** Rows `H`. */
  readonly height: number;
  /** Columns `W`. */
  readonly width: number;
}

/** Boundary rules of the filter bank: zero padding or periodic wrap. */
export const FILTER_BOUNDARIES = ['zero', 'periodic'] as const;

/** Boundary rule of a {@link SaddleFilterBank}. */
export type FilterBoundary = (typeof FILTER_BOUNDARIES)[number];

/** The operator `K` of a {@link SaddleSpec}. */
export type OperatorSpec = SaddleSpec['operator'];

/**
 * The declarative problem: grid, operator, regularisation weight `α`, Huber smoothing `ε`,
 * isotropic or anisotropic coupling, the data `b` and (for the piggyback / loss) the target `x†`
 * (the `SaddleSpec` contract of `@bilevel/core`, with its filter bank `SaddleFilterBank`).
 */
export type { SaddleFilterBank, SaddleSpec };

/** PDHG step sizes: primal `τ`, dual `σ`, over-relaxation `θ`. */
export interface SaddleSteps {
  /** Primal step `τ > 0`. */
  readonly tau: number;
  /** Dual step `σ > 0`. */
  readonly sigma: number;
  /** Over-relaxation `θ ∈ [0, 1]`. */
  readonly theta: number;
  /**
   * The operator norm (or bound) the steps were chosen with; the check `τσ‖K‖² ≤ 1` uses it
   * instead of {@link operatorNorm} when given (e.g. a power-iteration estimate for filters).
   */
  readonly normK?: number;
}

const f64 = z.instanceof(Float64Array, { message: 'must be a Float64Array' });

const filterSchema = z.strictObject({
  kind: z.literal('filters'),
  kernels: f64,
  kernelSize: positiveInt.refine((k) => k % 2 === 1, {
    message: 'must be an odd integer (filters are centred: size 2r+1, e.g. 3, 5, 7)',
  }),
  count: positiveInt,
  boundary: z.enum(FILTER_BOUNDARIES).default('zero'),
});

const operatorSchema = z.discriminatedUnion('kind', [z.strictObject({ kind: z.literal('gradient') }), filterSchema]);

const specSchema = z.strictObject({
  height: positiveInt,
  width: positiveInt,
  operator: operatorSchema,
  alpha: positive,
  epsilon: z.number().finite().nonnegative(),
  isotropic: z.boolean().default(false),
  data: f64,
  target: f64.optional(),
});

const gridSchema = z.object({ height: positiveInt, width: positiveInt });

const stepsSchema = z.strictObject({
  tau: positive,
  sigma: positive,
  theta: z.number().min(0).max(1),
  normK: positive.optional(),
});

/** Input form of {@link SaddleSpec}: `isotropic` and the filter `boundary` have defaults. */
export type SaddleSpecInput = Omit<SaddleSpec, 'isotropic' | 'operator'> & {
  readonly isotropic?: boolean;
  readonly operator:
    | { readonly kind: 'gradient' }
    | ({ readonly kind: 'filters' } & Omit<SaddleFilterBank, 'boundary'> & { readonly boundary?: FilterBoundary });
};

/**
 * Validate a spec: positive integer grid, odd filter size no wider than the image
 * (`k ≤ 2·min(H, W) − 1`), `count·k²` finite coefficients, `α > 0`, `ε ≥ 0`, finite `data`
 * and `target` of `H·W` entries. Returns a spec with defaults filled in (`isotropic: false`,
 * `boundary: 'zero'`); arrays are not copied.
 * @throws ValidationError / ShapeError naming the offending option
 */
export function parseSaddleSpec(spec: SaddleSpecInput): SaddleSpec {
  const s = parseOrThrow(specSchema, spec, 'saddle spec') as SaddleSpec;
  const n = s.height * s.width;
  assertLength('saddle spec data', s.data, n);
  assertFinite('saddle spec data', s.data);
  if (s.target !== undefined) {
    assertLength('saddle spec target', s.target, n);
    assertFinite('saddle spec target', s.target);
  }
  if (s.operator.kind === 'filters') checkFilterBank(s.operator, s, 'saddle spec operator');
  return s;
}

/**
 * Validate a filter bank against a grid (see {@link parseSaddleSpec}); returns it with the
 * default boundary filled in.
 */
export function parseFilterBank(bank: Omit<SaddleFilterBank, 'boundary'> & { readonly boundary?: FilterBoundary }, grid: Grid): SaddleFilterBank {
  const b = parseOrThrow(filterSchema, { kind: 'filters', ...bank }, 'filter bank');
  const { kind: _kind, ...rest } = b;
  checkFilterBank(rest, parseGrid(grid), 'filter bank');
  return rest;
}

function checkFilterBank(bank: SaddleFilterBank, grid: Grid, what: string): void {
  const k = bank.kernelSize;
  if (k > 2 * Math.min(grid.height, grid.width) - 1) {
    throw new ValidationError(
      `${what}: kernelSize ${k} is wider than the ${grid.height}×${grid.width} image allows (at most ${2 * Math.min(grid.height, grid.width) - 1}); use a smaller filter or a larger image`,
    );
  }
  assertLength(`${what} kernels`, bank.kernels, bank.count * k * k);
  assertFinite(`${what} kernels`, bank.kernels);
}

/** Validate a grid (positive integer height and width). */
export function parseGrid(grid: Grid): Grid {
  return parseOrThrow(gridSchema, grid, 'grid');
}

/** Number of dual channels `C` per pixel: 2 for the gradient, `count` for a filter bank. */
export function dualChannels(spec: Pick<SaddleSpec, 'operator'>): number {
  return spec.operator.kind === 'gradient' ? 2 : spec.operator.count;
}

/**
 * `‖K‖` (or an upper bound): exact for the Neumann gradient,
 * `‖D‖² = 4cos²(π/2W) + 4cos²(π/2H)` (the path-graph Laplacians; Chambolle 2004 gives the
 * bound 8); for a filter bank the bound `‖K‖² ≤ Σ_c ‖k_c‖₁²` (Young's inequality per filter,
 * valid for zero and periodic boundaries).
 */
export function operatorNorm(spec: Pick<SaddleSpec, 'operator' | 'height' | 'width'>): number {
  if (spec.operator.kind === 'gradient') {
    const lam = (n: number): number => 4 * Math.cos(Math.PI / (2 * n)) ** 2;
    return Math.sqrt(lam(spec.width) + lam(spec.height));
  }
  const { kernels, kernelSize, count } = spec.operator;
  const kk = kernelSize * kernelSize;
  let s = 0;
  for (let c = 0; c < count; c++) {
    let l1 = 0;
    for (let t = 0; t < kk; t++) l1 += Math.abs(kernels[c * kk + t]!);
    s += l1 * l1;
  }
  return Math.sqrt(s);
}

/**
 * The linearly convergent step rule for `μ_g`-strongly convex `g` and `μ_{f*}`-strongly convex
 * `f*` (Chambolle & Pock 2011, "A first-order primal-dual algorithm for convex problems with
 * applications to imaging", JMIV 40, Algorithm 3; arXiv 2412.06436 uses it for the piggyback):
 * `ν = min(1, 2√(μ_g μ_{f*})/‖K‖)`, `τ = ν/(2μ_g)`, `σ = ν/(2μ_{f*})`, `θ = 1/(1+ν)`, here with
 * `μ_g = 1` and `μ_{f*} = ε/α`, so `τσ‖K‖² ≤ 1`. For `ε = 0` (no strong convexity in `f*`) the
 * plain scheme `τ = σ = 0.99/‖K‖`, `θ = 1` is returned.
 */
export function saddleSteps(spec: Pick<SaddleSpec, 'operator' | 'height' | 'width' | 'alpha' | 'epsilon'>): SaddleSteps {
  const L = operatorNorm(spec);
  if (L === 0) return { tau: 1, sigma: 1, theta: 1, normK: 0 };
  const muF = spec.epsilon / spec.alpha;
  if (muF === 0) return { tau: 0.99 / L, sigma: 0.99 / L, theta: 1, normK: L };
  const nu = Math.min(1, (2 * Math.sqrt(muF)) / L);
  return { tau: nu / 2, sigma: nu / (2 * muF), theta: 1 / (1 + nu), normK: L };
}

/**
 * Validate step sizes: `τ, σ > 0`, `θ ∈ [0, 1]` and `τσ‖K‖² ≤ 1` (with `steps.normK` when
 * given, else {@link operatorNorm}).
 * @throws ValidationError saying which condition failed and how to fix it
 */
export function parseSaddleSteps(steps: SaddleSteps, spec: SaddleSpec): SaddleSteps {
  const s = parseOrThrow(stepsSchema, steps, 'saddle steps');
  const L = s.normK ?? operatorNorm(spec);
  const prod = s.tau * s.sigma * L * L;
  if (prod > 1 + 1e-9) {
    throw new ValidationError(
      `saddle steps: τσ‖K‖² = ${prod.toPrecision(6)} > 1 (τ = ${s.tau}, σ = ${s.sigma}, ‖K‖ ≤ ${L.toPrecision(6)}): PDHG may diverge; use saddleSteps(spec) or pass normK if you know a tighter norm`,
    );
  }
  return s;
}
