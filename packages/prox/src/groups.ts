/**
 * Group layout and the per-group kernels shared by every grouped functional (group norms,
 * ball projections, group Huber and its conjugate, the grouped smoothed norm).
 *
 * A vector with `n` entries is split into `N = n/G` groups of `G` entries (`G` = `groupSize`):
 * group `j` consists of the entries `j, j + N, …, j + (G−1)N`. For the 2-D gradient's range
 * `[2, C, H, W]`, `G = 2` groups the x- and y-differences of each pixel and channel (isotropic
 * TV); `G = 2C` groups all channels of a pixel (colour vectorial TV); `G = 1` is the anisotropic
 * (elementwise) case, and `G = n` one group holding the whole vector (the Euclidean norm).
 *
 * Groups are further split into `B` blocks of `M = N/B` consecutive groups, each block with its
 * own parameters (e.g. one Huber `α`, `ε` per filter of a Fields-of-Experts model).
 *
 * Every grouped prox is a *radial* map `p_j = s(‖v_j‖) v_j`, whose Jacobian is
 * `D p_j · u_j = s u_j + t v_j ⟨v_j, u_j⟩` with `t = s'(r)/r`. The kernels below compute the
 * group norm, apply the scale and apply that Jacobian; the functionals only supply `s` and `t`.
 * They are plain module functions (V8 inlines them), not callbacks, with fast paths for the
 * common group sizes 1 and 2 (the branch on `G` is loop-invariant and predicted).
 * @module
 */
import { formatShape, shapeSize, type Shape, type Vec } from '@bilevel/core';
import { ensure } from '@bilevel/core';

/** Sizes of a grouped, blocked vector (see the module comment). */
export interface GroupLayout {
  /** Number of entries `n`. */
  readonly n: number;
  /** Entries per group `G`. */
  readonly groupSize: number;
  /** Number of groups `N = n/G` (also the stride between the entries of a group). */
  readonly groups: number;
  /** Number of parameter blocks `B`. */
  readonly blocks: number;
  /** Groups per block `M = N/B`. */
  readonly groupsPerBlock: number;
}

/**
 * Validate and build a {@link GroupLayout}: `groupSize` must divide the number of entries of
 * `shape`, and `blocks` the number of groups.
 */
export function groupLayout(what: string, shape: Shape, groupSize: number, blocks: number): GroupLayout {
  const n = shapeSize(shape);
  ensure(
    Number.isInteger(groupSize) && groupSize >= 1 && n % groupSize === 0,
    `${what}: groupSize ${groupSize} must be a positive divisor of the number of entries ${n} (shape ${formatShape(shape)})`,
  );
  const groups = n / groupSize;
  ensure(
    groups % blocks === 0,
    `${what}: ${blocks} per-block parameters do not divide the ${groups} groups evenly; give one value or a divisor of ${groups}`,
  );
  return { n, groupSize, groups, blocks, groupsPerBlock: groups / blocks };
}

/** `‖v_j‖²`, the squared Euclidean norm of group `j` (stride `N`, `G` entries). */
export function groupSumSq(v: Vec, j: number, N: number, G: number): number {
  if (G === 1) return v[j]! * v[j]!;
  if (G === 2) return v[j]! * v[j]! + v[j + N]! * v[j + N]!;
  let s = 0;
  for (let k = 0, i = j; k < G; k++, i += N) {
    const t = v[i]!;
    s += t * t;
  }
  return s;
}

/** `‖v_j‖`, the Euclidean norm of group `j` (`|v_j|` for groups of one entry). */
export function groupNorm(v: Vec, j: number, N: number, G: number): number {
  return G === 1 ? Math.abs(v[j]!) : Math.sqrt(groupSumSq(v, j, N, G));
}

/** `⟨a_j, b_j⟩` over group `j`. */
export function groupDot(a: Vec, b: Vec, j: number, N: number, G: number): number {
  if (G === 1) return a[j]! * b[j]!;
  if (G === 2) return a[j]! * b[j]! + a[j + N]! * b[j + N]!;
  let s = 0;
  for (let k = 0, i = j; k < G; k++, i += N) s += a[i]! * b[i]!;
  return s;
}

/** `out_j = s · v_j` over group `j` (`out` may alias `v`). */
export function groupScale(v: Vec, j: number, N: number, G: number, s: number, out: Vec): void {
  if (G === 1) {
    out[j] = s * v[j]!;
    return;
  }
  if (G === 2) {
    out[j] = s * v[j]!;
    out[j + N] = s * v[j + N]!;
    return;
  }
  for (let k = 0, i = j; k < G; k++, i += N) out[i] = s * v[i]!;
}

/** `out_j = a · x_j + b · y_j` over group `j` (`out` may alias `x` or `y`). */
export function groupCombine(a: number, x: Vec, b: number, y: Vec, j: number, N: number, G: number, out: Vec): void {
  for (let k = 0, i = j; k < G; k++, i += N) out[i] = a * x[i]! + b * y[i]!;
}

/**
 * The Jacobian of a radial map applied to `u`: `out_j = s u_j + t v_j ⟨v_j, u_j⟩` over group `j`
 * (`out` may alias `u`, not `v`).
 */
export function groupRadialJvp(v: Vec, u: Vec, j: number, N: number, G: number, s: number, t: number, out: Vec): void {
  const c = t * groupDot(v, u, j, N, G);
  if (G === 1) {
    out[j] = s * u[j]! + c * v[j]!;
    return;
  }
  if (G === 2) {
    out[j] = s * u[j]! + c * v[j]!;
    out[j + N] = s * u[j + N]! + c * v[j + N]!;
    return;
  }
  for (let k = 0, i = j; k < G; k++, i += N) out[i] = s * u[i]! + c * v[i]!;
}

/**
 * Relative slack of the feasibility test of ball constraints `‖y_j‖ ≤ ρ`: a projection
 * `y·ρ/‖y‖` can have norm `ρ(1 + O(ε_mach))`, so values accept `‖y_j‖ ≤ ρ(1 + 1e-12)`.
 */
export const FEASIBILITY_RTOL = 1e-12;

/**
 * The minimal-norm element of `shift_j + (normal cone of the ball ‖·‖ ≤ ρ at y_j)`, written to
 * `out_j` (arXiv 2412.06436 Lemma 2 with the projection-residual extension of
 * docs/math/certificates.md#min-norm-subgradients): inside the ball the cone is `{0}`, so `out_j = shift_j`; on the
 * boundary it is `{λ y_j, λ ≥ 0}`, so `out_j = shift_j + λ* y_j` with
 * `λ* = max(0, −⟨shift_j, y_j⟩/‖y_j‖²)`; outside the ball `∂ = ∅` and `out_j = +∞`.
 * Points with `|‖y_j‖ − ρ| ≤ 1e-10·ρ` count as on the boundary. `out` may alias `shift`.
 */
export function groupBallMinNorm(y: Vec, shift: Vec, j: number, N: number, G: number, rho: number, out: Vec): void {
  const r = groupNorm(y, j, N, G);
  const r2 = r * r;
  if (r < rho * (1 - 1e-10)) {
    groupScale(shift, j, N, G, 1, out);
  } else if (r <= rho * (1 + 1e-10)) {
    const lambda = Math.max(0, -groupDot(shift, y, j, N, G) / r2);
    groupCombine(1, shift, lambda, y, j, N, G, out);
  } else {
    for (let k = 0, i = j; k < G; k++, i += N) out[i] = Infinity;
  }
}
