/**
 * gpu.js kernel sources, as source text (gpu.js accepts strings; text is immune to whatever a
 * TypeScript transpiler or coverage tool would do to a function's `toString()`).
 *
 * Conventions: images are `Input`s of size `[W, H]` (read `x[i][j]`), channel stacks `[W, H, Z]`
 * (read `v[z][i][j]`), so a channel-first `Float64Array` layout maps 1:1 onto the flat data.
 * Thread `x` is the column `j`, `y` the row `i`, `z` the channel. Boundaries are branch-free:
 * indices are clamped into range and the contribution multiplied by a 0/1 mask, so no lane of
 * a SIMD (webasm) or GPU backend ever reads outside an array.
 * @module
 */
import type { FilterBoundary } from '../grid.js';

/** Guard of `α/‖q‖` and `⟨q,u⟩/‖q‖²` at `q = 0` (float32-representable). */
const TINY = '1e-30';

/** Fan-in of the tree reductions: each pass sums this many values per thread. */
export const FAN_IN = 64;

const head = `const j = this.thread.x; const i = this.thread.y; const W = this.constants.W; const H = this.constants.H;`;

/**
 * Statements that map the row `si` and column `sj` (already declared with `let`) into range and
 * define the 0/1 mask `m` (zero boundary: out-of-range sources contribute 0; periodic: wrap,
 * valid for offsets smaller than the image).
 */
function boundaryCode(boundary: FilterBoundary): string {
  if (boundary === 'periodic') {
    return `si = si < 0 ? si + H : (si >= H ? si - H : si); sj = sj < 0 ? sj + W : (sj >= W ? sj - W : sj); const m = 1;`;
  }
  return `let m = 0; if (si >= 0 && si < H && sj >= 0 && sj < W) { m = 1; } si = Math.min(Math.max(si, 0), H - 1); sj = Math.min(Math.max(sj, 0), W - 1);`;
}

/** `(Dx)[z,i,j]`, forward differences (Neumann), output `[W, H, 2]`. */
export function gradientSource(): string {
  return `function (x) { ${head} const z = this.thread.z;
  const jp = Math.min(j + 1, W - 1); const ip = Math.min(i + 1, H - 1); const v = x[i][j];
  if (z < 1) { return Math.min(1, W - 1 - j) * (x[i][jp] - v); }
  return Math.min(1, H - 1 - i) * (x[ip][j] - v); }`;
}

/** `div p` of `p ∈ [W, H, 2]` (Neumann), output `[W, H]`. */
export function divergenceSource(): string {
  return `function (p) { ${head}
  const jm = Math.max(j - 1, 0); const im = Math.max(i - 1, 0);
  return Math.min(1, W - 1 - j) * p[0][i][j] - Math.min(1, j) * p[0][i][jm] + Math.min(1, H - 1 - i) * p[1][i][j] - Math.min(1, i) * p[1][im][j]; }`;
}

/** `(Kx)[c,i,j] = Σ_{a,b} k[c,a,b]·x̃[i+a−r, j+b−r]`, output `[W, H, count]`. */
export function filterApplySource(boundary: FilterBoundary): string {
  return `function (x, k) { ${head} const c = this.thread.z; const ks = this.constants.ks; const r = this.constants.r;
  let acc = 0;
  for (let a = 0; a < ks; a++) { for (let b = 0; b < ks; b++) {
    let si = i + a - r; let sj = j + b - r; ${boundaryCode(boundary)}
    acc += m * k[(c * ks + a) * ks + b] * x[si][sj];
  } }
  return acc; }`;
}

/** `(Kᵀy)[i,j] = Σ_{c,a,b} k[c,a,b]·ỹ[c, i−a+r, j−b+r]`, output `[W, H]`. */
export function filterAdjointSource(boundary: FilterBoundary): string {
  return `function (y, k) { ${head} const ks = this.constants.ks; const r = this.constants.r;
  let acc = 0;
  for (let c = 0; c < this.constants.C; c++) { for (let a = 0; a < ks; a++) { for (let b = 0; b < ks; b++) {
    let si = i - a + r; let sj = j - b + r; ${boundaryCode(boundary)}
    acc += m * k[(c * ks + a) * ks + b] * y[c][si][sj];
  } } }
  return acc; }`;
}

/**
 * First pass of the parameter correlation: thread `(blk, t)` sums `y[c,p]·x̃[p + off(a,b)]`
 * over the `FAN_IN` pixels `p = blk·F … blk·F + F − 1` (pixel-linear blocks), tap
 * `t = (c·k + a)·k + b`. Output `[⌈HW/F⌉, count·k²]`.
 */
export function paramPartialSource(boundary: FilterBoundary): string {
  return `function (x, y) { const W = this.constants.W; const H = this.constants.H; const n = this.constants.n;
  const ks = this.constants.ks; const r = this.constants.r; const F = this.constants.F;
  const t = this.thread.y; const c = Math.floor(t / (ks * ks)); const ab = t - c * ks * ks; const a = Math.floor(ab / ks); const b = ab - a * ks;
  let acc = 0;
  for (let f = 0; f < F; f++) {
    const p = this.thread.x * F + f; let valid = 0; if (p < n) { valid = 1; }
    const pc = Math.min(p, n - 1); const i = Math.floor(pc / W); const j = pc - i * W;
    let si = i + a - r; let sj = j + b - r; ${boundaryCode(boundary)}
    acc += valid * m * y[c][i][j] * x[si][sj];
  }
  return acc; }`;
}

/**
 * A reduction pass: thread `(blk, row)` sums `F` consecutive entries of a row of `[m, R]`
 * (`twoD`), or thread `blk` of a 1-D `[m]`; output `[⌈m/F⌉, R]` or `[⌈m/F⌉]`.
 */
export function rowSumSource(twoD: boolean): string {
  const read = twoD ? 'v[this.thread.y][pc]' : 'v[pc]';
  return `function (v) { const m = this.constants.m; const F = this.constants.F;
  let acc = 0;
  for (let f = 0; f < F; f++) { const p = this.thread.x * F + f; let valid = 0; if (p < m) { valid = 1; } const pc = Math.min(p, m - 1); acc += valid * ${read}; }
  return acc; }`;
}

/** First pass of `⟨x, y⟩`: thread `blk` sums `F` products; output `[⌈n/F⌉]`. */
export function dotPartialSource(): string {
  return `function (x, y) { const n = this.constants.n; const F = this.constants.F;
  let acc = 0;
  for (let f = 0; f < F; f++) { const p = this.thread.x * F + f; let valid = 0; if (p < n) { valid = 1; } const pc = Math.min(p, n - 1); acc += valid * x[pc] * y[pc]; }
  return acc; }`;
}

/** `(v + τb)/(1 + τ)`, 1-D. */
export function proxQuadraticSource(): string {
  return `function (v, b, tau) { const p = this.thread.x; return (v[p] + tau * b[p]) / (1 + tau); }`;
}

/** `dv/(1 + τ)`, 1-D. */
export function proxQuadraticJvpSource(): string {
  return `function (dv, tau) { return dv[this.thread.x] / (1 + tau); }`;
}

/** `a·x + b·y`, 1-D. */
export function axpbySource(): string {
  return `function (a, x, b, y) { const p = this.thread.x; return a * x[p] + b * y[p]; }`;
}

/** Anisotropic Huber-conjugate prox `clip(κw, ±α)`, 1-D. */
export function proxHuberAnisoSource(): string {
  return `function (w, kappa, alpha) { const q = kappa * w[this.thread.x]; return Math.min(alpha, Math.max(-alpha, q)); }`;
}

/** Anisotropic Huber-conjugate prox JVP `κ·dw` where `|κw| ≤ α`, else 0, 1-D. */
export function proxHuberAnisoJvpSource(): string {
  return `function (w, dw, kappa, alpha) { const p = this.thread.x; const q = kappa * w[p];
  let keep = 1; if (q > alpha || q < -alpha) { keep = 0; } return keep * kappa * dw[p]; }`;
}

/** Isotropic Huber-conjugate prox over the `C` channels of each column of `w ∈ [n, C]`. */
export function proxHuberIsoSource(): string {
  return `function (w, kappa, alpha) { const p = this.thread.x; const c = this.thread.y;
  let s2 = 0; for (let d = 0; d < this.constants.C; d++) { const q = kappa * w[d][p]; s2 += q * q; }
  const s = Math.min(1, alpha / Math.max(Math.sqrt(s2), ${TINY}));
  return s * kappa * w[c][p]; }`;
}

/** Isotropic Huber-conjugate prox JVP over `[n, C]`. */
export function proxHuberIsoJvpSource(): string {
  return `function (w, dw, kappa, alpha) { const p = this.thread.x; const c = this.thread.y;
  let s2 = 0; let qu = 0;
  for (let d = 0; d < this.constants.C; d++) { const q = kappa * w[d][p]; s2 += q * q; qu += q * kappa * dw[d][p]; }
  const nq = Math.sqrt(s2); const s = Math.min(1, alpha / Math.max(nq, ${TINY}));
  let act = 0; if (nq > alpha) { act = 1; }
  const proj = act * qu / Math.max(s2, ${TINY});
  return s * (kappa * dw[c][p] - proj * kappa * w[c][p]); }`;
}

// ---------------------------------------------------------------------------------------------
// The fused PDHG (+ piggyback) iteration of the registered gpu.js kernels (src/gpujs/saddle.ts):
// one iteration is `pre` (w = y + σK x̄ for each stream), `prox` (y⁺ = Π(κw), with the
// piggyback Y⁺ = DΠ(κw)·κu) and `primal` (x⁺ = (x − τKᵀy⁺ + τc)/(1 + τλ), with the piggyback
// X⁺ = (X − τ(KᵀY⁺ + c_ℓ(x − x†)))/(1 + τλ)). State: the dual stack D = [y; Y] ∈ [W, H, S·P],
// the image stack X = [x; X] and the previous one Q ∈ [W, H, S·C], B = [c; x†] ∈ [W, H, 2C]; S = 2
// streams with the piggyback, 1 without; x̄ = X + θ(X − Q) is formed on the fly. `K = s·B`: the
// scale enters as `σs` and `τs`.

/**
 * `w = D + σs·∇x̄` for the gradient of a `C`-channel image: output `[W, H, S·2C]`, plane
 * `z = s·2C + d·C + c` the difference in direction `d` (0: x, 1: y) of channel `c` of stream `s`.
 */
export function gradientPreSource(): string {
  return `function (D, P, Q, sigmaK, theta) { ${head} const z = this.thread.z; const C = this.constants.C;
  const s = Math.floor(z / (2 * C)); const r = z - s * 2 * C; const d = Math.floor(r / C); const pl = s * C + r - d * C;
  const ni = Math.min(i + d, H - 1); const nj = Math.min(j + 1 - d, W - 1);
  let m = 0; if (d < 1) { if (j < W - 1) { m = 1; } } else { if (i < H - 1) { m = 1; } }
  const x0 = P[pl][i][j] + theta * (P[pl][i][j] - Q[pl][i][j]);
  const x1 = P[pl][ni][nj] + theta * (P[pl][ni][nj] - Q[pl][ni][nj]);
  return D[z][i][j] + sigmaK * m * (x1 - x0); }`;
}

/** `w = D + σs·Kx̄` for a single-channel bank of `P` filters: output `[W, H, S·P]`. */
export function filtersPreSource(boundary: FilterBoundary): string {
  return `function (D, P, Q, k, sigmaK, theta) { ${head} const z = this.thread.z; const C = this.constants.P;
  const ks = this.constants.ks; const r = this.constants.r;
  let s = 0; if (z >= C) { s = 1; } const c = z - s * C;
  let acc = 0;
  for (let a = 0; a < ks; a++) { for (let b = 0; b < ks; b++) {
    let si = i + a - r; let sj = j + b - r; ${boundaryCode(boundary)}
    const pv = P[s][si][sj];
    acc += m * k[(c * ks + a) * ks + b] * (pv + theta * (pv - Q[s][si][sj]));
  } }
  return D[z][i][j] + sigmaK * acc; }`;
}

/**
 * `y⁺ = Π_α(κw)` and `Y⁺ = DΠ_α(κw)·κu` on `V = [w; u] ∈ [W, H, S·P]`: with `grouped`, the
 * projection onto the `α`-ball of each group of `G` planes `R = P/G` apart and its Jacobian
 * `κ(α/‖q‖)(u − q⟨q, u⟩/‖q‖²)` on active groups, `κu` on inactive ones; else (`G = 1`) the clip
 * to `[−α, α]` (exact at the bounds) and `κu` or `0`.
 */
export function proxSource(grouped: boolean): string {
  if (!grouped) {
    return `function (V, kappa, alpha) { ${head} const z = this.thread.z; const P = this.constants.P;
  if (z < P) { return Math.min(alpha, Math.max(-alpha, kappa * V[z][i][j])); }
  const q = kappa * V[z - P][i][j]; let keep = 1; if (q > alpha || q < -alpha) { keep = 0; }
  return keep * kappa * V[z][i][j]; }`;
  }
  return `function (V, kappa, alpha) { ${head} const z = this.thread.z;
  const P = this.constants.P; const G = this.constants.G; const R = this.constants.R;
  let s = 0; if (z >= P) { s = 1; } const p = z - s * P; const g0 = p - Math.floor(p / R) * R;
  let s2 = 0; for (let t = 0; t < G; t++) { const q = kappa * V[g0 + t * R][i][j]; s2 += q * q; }
  const nq = Math.sqrt(s2); const sc = Math.min(1, alpha / Math.max(nq, ${TINY}));
  if (s < 1) { return sc * kappa * V[z][i][j]; }
  let qu = 0; for (let t = 0; t < G; t++) { qu += kappa * V[g0 + t * R][i][j] * kappa * V[P + g0 + t * R][i][j]; }
  let act = 0; if (nq > alpha) { act = 1; }
  const proj = act * qu / Math.max(s2, ${TINY});
  return sc * (kappa * V[z][i][j] - proj * kappa * V[p][i][j]); }`;
}

/** The primal step (and its piggyback) for the gradient of a `C`-channel image (`Kᵀ = −s·div`): output `[W, H, S·C]`. */
export function gradientPrimalSource(): string {
  return `function (P, Y, B, tau, tauK, lambda, lossScale) { ${head} const z = this.thread.z; const C = this.constants.C;
  let s = 0; if (z >= C) { s = 1; } const c = z - s * C; const px = s * 2 * C + c; const py = px + C;
  const jm = Math.max(j - 1, 0); const im = Math.max(i - 1, 0);
  const div = Math.min(1, W - 1 - j) * Y[px][i][j] - Math.min(1, j) * Y[px][i][jm] + Math.min(1, H - 1 - i) * Y[py][i][j] - Math.min(1, i) * Y[py][im][j];
  if (s < 1) { return (P[c][i][j] + tauK * div + tau * B[c][i][j]) / (1 + tau * lambda); }
  return (P[z][i][j] + tauK * div - tau * lossScale * (P[c][i][j] - B[C + c][i][j])) / (1 + tau * lambda); }`;
}

/** The primal step (and its piggyback) for a single-channel bank (`Kᵀ` = the full convolution): output `[W, H, S]`. */
export function filtersPrimalSource(boundary: FilterBoundary): string {
  return `function (P, Y, B, k, tau, tauK, lambda, lossScale) { ${head} const z = this.thread.z; const C = this.constants.P;
  const ks = this.constants.ks; const r = this.constants.r;
  let acc = 0;
  for (let c = 0; c < C; c++) { for (let a = 0; a < ks; a++) { for (let b = 0; b < ks; b++) {
    let si = i - a + r; let sj = j - b + r; ${boundaryCode(boundary)}
    acc += m * k[(c * ks + a) * ks + b] * Y[z * C + c][si][sj];
  } } }
  if (z < 1) { return (P[0][i][j] - tauK * acc + tau * B[0][i][j]) / (1 + tau * lambda); }
  return (P[1][i][j] - tauK * acc - tau * lossScale * (P[0][i][j] - B[1][i][j])) / (1 + tau * lambda); }`;
}
