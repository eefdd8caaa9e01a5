/**
 * Float64 reference loops of a filter bank: the correlation `K`, its adjoint and the parameter
 * correlation, tap by tap. For a tap `(a, b)` with offset `(di, dj) = (a − r, b − r)` each loop
 * runs over the output pixels `(i, j)` whose source `(i + di, j + dj)` exists (zero boundary)
 * or wraps (periodic); rows are mapped once per row and columns split into at most two
 * branch-free segments.
 * @module
 */
import type { Vec } from '@bilevel/core';
import type { SaddleFilterBank } from '../spec.js';

/** Tap loop: `out[c, i, j] += k · x[i + di, j + dj]`. */
const APPLY = 0;
/** Tap loop: `out[i + di, j + dj] += k · y[c, i, j]`. */
const ADJOINT = 1;
/** Tap loop: `g[c, a, b] += Σ y[c, i, j] · x[i + di, j + dj]`. */
const PARAM = 2;

/**
 * One pass over the image for tap `(di, dj)` of channel block `co` (offset `c·H·W`), value `kv`.
 * `a` is the channel-indexed array (`out` for Apply, `y` for Adjoint/Param), `s` the single-image
 * array (`x` for Apply/Param, `out` for Adjoint). Returns the Param sum (0 otherwise).
 */
function tapPass(op: number, a: Vec, co: number, s: Vec, kv: number, di: number, dj: number, H: number, W: number, periodic: boolean): number {
  const i0 = periodic ? 0 : Math.max(0, -di);
  const i1 = periodic ? H : Math.min(H, H - di);
  // main column segment: source column j + dj in range; wrap segment: j + dj ∓ W
  const j0 = Math.max(0, -dj);
  const j1 = Math.min(W, W - dj);
  const w0 = !periodic || dj === 0 ? 0 : dj > 0 ? W - dj : 0;
  const w1 = !periodic || dj === 0 ? 0 : dj > 0 ? W : -dj;
  const wShift = dj > 0 ? dj - W : dj + W;
  let acc = 0;
  for (let i = i0; i < i1; i++) {
    let si = i + di;
    if (si < 0) si += H;
    else if (si >= H) si -= H;
    const ra = co + i * W;
    const rs = si * W;
    const d = rs - ra; // source index = a-index + d + dj
    if (op === APPLY) {
      const dd = d + dj;
      for (let k = ra + j0; k < ra + j1; k++) a[k] = a[k]! + kv * s[k + dd]!;
      const dw = d + wShift;
      for (let k = ra + w0; k < ra + w1; k++) a[k] = a[k]! + kv * s[k + dw]!;
    } else if (op === ADJOINT) {
      const dd = d + dj;
      for (let k = ra + j0; k < ra + j1; k++) s[k + dd] = s[k + dd]! + kv * a[k]!;
      const dw = d + wShift;
      for (let k = ra + w0; k < ra + w1; k++) s[k + dw] = s[k + dw]! + kv * a[k]!;
    } else {
      const dd = d + dj;
      for (let k = ra + j0; k < ra + j1; k++) acc += a[k]! * s[k + dd]!;
      const dw = d + wShift;
      for (let k = ra + w0; k < ra + w1; k++) acc += a[k]! * s[k + dw]!;
    }
  }
  return acc;
}

/**
 * Visit every tap of the bank: channel `c`, position `(a, b)`, index `t = (c·k + a)·k + b` in
 * `kernels`, channel offset `c·n` (`n = H·W`) and offset `(di, dj) = (a − r, b − r)`, `r = (k − 1)/2`.
 */
function forEachTap(bank: SaddleFilterBank, n: number, visit: (t: number, co: number, di: number, dj: number) => void): void {
  const { kernelSize: k, count } = bank;
  const r = (k - 1) / 2;
  for (let c = 0; c < count; c++) {
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) visit((c * k + a) * k + b, c * n, a - r, b - r);
    }
  }
}

/** `out = Kx ∈ [count, H, W]` (see {@link SaddleFilterBank} for the convention). */
export function filterApplyRef(x: Vec, H: number, W: number, bank: SaddleFilterBank, out: Vec): Vec {
  const periodic = bank.boundary === 'periodic';
  out.fill(0, 0, bank.count * H * W);
  forEachTap(bank, H * W, (t, co, di, dj) => void tapPass(APPLY, out, co, x, bank.kernels[t]!, di, dj, H, W, periodic));
  return out;
}

/** `out = Kᵀy ∈ [H, W]` for `y ∈ [count, H, W]`, the exact adjoint of {@link filterApplyRef}. */
export function filterAdjointRef(y: Vec, H: number, W: number, bank: SaddleFilterBank, out: Vec): Vec {
  const periodic = bank.boundary === 'periodic';
  out.fill(0, 0, H * W);
  forEachTap(bank, H * W, (t, co, di, dj) => void tapPass(ADJOINT, y, co, out, bank.kernels[t]!, di, dj, H, W, periodic));
  return out;
}

/**
 * `out[c,a,b] = scale · Σ_{i,j} y[c,i,j] · x̃[i + a − r, j + b − r] (+ out when accumulate)`,
 * the gradient of `⟨K_k x, y⟩` with respect to the filter coefficients.
 */
export function filterParamGradRef(x: Vec, y: Vec, H: number, W: number, bank: SaddleFilterBank, out: Vec, scale = 1, accumulate = false): Vec {
  const periodic = bank.boundary === 'periodic';
  forEachTap(bank, H * W, (t, co, di, dj) => {
    const v = scale * tapPass(PARAM, y, co, x, 0, di, dj, H, W, periodic);
    out[t] = accumulate ? out[t]! + v : v;
  });
  return out;
}
