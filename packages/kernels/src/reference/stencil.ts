/**
 * Float64 reference loops of the 2-D forward-difference gradient (Neumann) and the divergence.
 * Edge rows and columns are handled outside the inner loops.
 * @module
 */
import type { Vec } from '@bilevel/core';

/**
 * `out = Dx ∈ [2, H, W]`: `out[0,i,j] = x[i,j+1] − x[i,j]`, `out[1,i,j] = x[i+1,j] − x[i,j]`,
 * with the last difference of each row/column 0 (Neumann; Chambolle, JMIV 2004, §2).
 */
export function gradientRef(x: Vec, H: number, W: number, out: Vec): Vec {
  const n = H * W;
  for (let i = 0; i < H; i++) {
    const r = i * W;
    const e = r + W - 1;
    if (i < H - 1) {
      for (let k = r; k < e; k++) {
        const v = x[k]!;
        out[k] = x[k + 1]! - v;
        out[n + k] = x[k + W]! - v;
      }
      out[n + e] = x[e + W]! - x[e]!;
    } else {
      for (let k = r; k < e; k++) {
        out[k] = x[k + 1]! - x[k]!;
        out[n + k] = 0;
      }
      out[n + e] = 0;
    }
    out[e] = 0;
  }
  return out;
}

/**
 * `out = div p = −Dᵀp` for `p ∈ [2, H, W]`:
 * `(div p)[i,j] = p₀[i,j] − p₀[i,j−1] + p₁[i,j] − p₁[i−1,j]`, where `p₀[·,W−1]`, `p₁[H−1,·]`
 * (the Neumann-dropped differences) and the terms with index −1 count as 0.
 */
export function divergenceRef(p: Vec, H: number, W: number, out: Vec): Vec {
  const n = H * W;
  for (let i = 0; i < H; i++) {
    const r = i * W;
    const e = r + W - 1;
    const hasUp = i > 0;
    const hasOwn = i < H - 1;
    // y-part first (whole row), then add the x-part with the edge columns outside the loop
    if (hasUp && hasOwn) for (let k = r; k <= e; k++) out[k] = p[n + k]! - p[n + k - W]!;
    else if (hasOwn) for (let k = r; k <= e; k++) out[k] = p[n + k]!;
    else if (hasUp) for (let k = r; k <= e; k++) out[k] = -p[n + k - W]!;
    else for (let k = r; k <= e; k++) out[k] = 0;
    if (W === 1) continue;
    out[r] = out[r]! + p[r]!;
    for (let k = r + 1; k < e; k++) out[k] = out[k]! + p[k]! - p[k - 1]!;
    out[e] = out[e]! - p[e - 1]!;
  }
  return out;
}
