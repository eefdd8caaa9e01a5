/**
 * The three loops of every convolution in this package, on already boundary-extended images
 * (see `boundary.ts`), for a `kh×kw` kernel stored row-major:
 *
 * - {@link correlateValid}: `out[y,x] += Σ_{a,b} k[a,b]·src[y+a, x+b]` ("valid" correlation of
 *   the padded image, `y < H`, `x < W`), the forward map;
 * - {@link convolveFull}: `z[t,s] += Σ_{a,b} k[a,b]·y[t−a, s−b]` over the padded grid, terms
 *   outside `y` dropped ("full" convolution), the exact adjoint of `correlateValid`;
 * - {@link correlateGrad}: `g[a,b] += scale·Σ_{y,x} v[y,x]·src[y+a, x+b]`, the derivative of
 *   `⟨correlateValid(src, k), v⟩` with respect to `k`.
 *
 * The 2-D drivers call 1-D row kernels. Row kernels are specialised for widths 3, 5 and 7 with
 * the kernel row in locals and a sliding register window over the input (one load per tap and
 * pixel, one store per pixel), with a generic loop for other widths. Inner loops carry no
 * branches and allocate nothing; the full convolution runs on each input row copied between
 * zero margins, so its edge columns take the same loops.
 * @module
 */

// ---------------------------------------------------------------------------------------------
// 1-D row kernels: out[o + x] += Σ_b w[b]·src[s + x + b], x < n, where w[b] = k[kb + b], or
// the reversed row w[b] = k[kb + kw − 1 − b] when `rev`.

function corrRow3(src: Float64Array, s: number, k: Float64Array, kb: number, rev: boolean, out: Float64Array, o: number, n: number): void {
  const b0 = rev ? kb + 2 : kb;
  const st = rev ? -1 : 1;
  const k0 = k[b0]!, k1 = k[b0 + st]!, k2 = k[b0 + 2 * st]!;
  let a0 = src[s]!;
  let a1 = src[s + 1]!;
  const d = s + 2 - o;
  for (let x = o; x < o + n; x++) {
    const a2 = src[x + d]!;
    out[x] = out[x]! + (k0 * a0 + k1 * a1 + k2 * a2);
    a0 = a1;
    a1 = a2;
  }
}

function corrRow5(src: Float64Array, s: number, k: Float64Array, kb: number, rev: boolean, out: Float64Array, o: number, n: number): void {
  const b0 = rev ? kb + 4 : kb;
  const st = rev ? -1 : 1;
  const k0 = k[b0]!, k1 = k[b0 + st]!, k2 = k[b0 + 2 * st]!, k3 = k[b0 + 3 * st]!, k4 = k[b0 + 4 * st]!;
  let a0 = src[s]!;
  let a1 = src[s + 1]!;
  let a2 = src[s + 2]!;
  let a3 = src[s + 3]!;
  const d = s + 4 - o;
  for (let x = o; x < o + n; x++) {
    const a4 = src[x + d]!;
    out[x] = out[x]! + (k0 * a0 + k1 * a1 + k2 * a2 + k3 * a3 + k4 * a4);
    a0 = a1;
    a1 = a2;
    a2 = a3;
    a3 = a4;
  }
}

function corrRow7(src: Float64Array, s: number, k: Float64Array, kb: number, rev: boolean, out: Float64Array, o: number, n: number): void {
  const b0 = rev ? kb + 6 : kb;
  const st = rev ? -1 : 1;
  const k0 = k[b0]!, k1 = k[b0 + st]!, k2 = k[b0 + 2 * st]!, k3 = k[b0 + 3 * st]!;
  const k4 = k[b0 + 4 * st]!, k5 = k[b0 + 5 * st]!, k6 = k[b0 + 6 * st]!;
  let a0 = src[s]!;
  let a1 = src[s + 1]!;
  let a2 = src[s + 2]!;
  let a3 = src[s + 3]!;
  let a4 = src[s + 4]!;
  let a5 = src[s + 5]!;
  const d = s + 6 - o;
  const end = o + n;
  let x = o;
  for (; x + 1 < end; x += 2) {
    // two pixels per step (V8 does not unroll): the window advances by two
    const a6 = src[x + d]!;
    const a7 = src[x + d + 1]!;
    out[x] = out[x]! + (k0 * a0 + k1 * a1 + k2 * a2 + k3 * a3 + k4 * a4 + k5 * a5 + k6 * a6);
    out[x + 1] = out[x + 1]! + (k0 * a1 + k1 * a2 + k2 * a3 + k3 * a4 + k4 * a5 + k5 * a6 + k6 * a7);
    a0 = a2;
    a1 = a3;
    a2 = a4;
    a3 = a5;
    a4 = a6;
    a5 = a7;
  }
  if (x < end) {
    const a6 = src[x + d]!;
    out[x] = out[x]! + (k0 * a0 + k1 * a1 + k2 * a2 + k3 * a3 + k4 * a4 + k5 * a5 + k6 * a6);
  }
}

function corrRowAny(src: Float64Array, s: number, k: Float64Array, kb: number, kw: number, rev: boolean, out: Float64Array, o: number, n: number): void {
  for (let b = 0; b < kw; b++) {
    const w = rev ? k[kb + kw - 1 - b]! : k[kb + b]!;
    const d = s + b - o;
    for (let x = o; x < o + n; x++) out[x] = out[x]! + w * src[x + d]!;
  }
}

/** `out[o + x] += Σ_b w[b]·src[s + x + b]`, `x < n` (`w` = kernel row at `kb`, reversed if `rev`). */
function corrRow(src: Float64Array, s: number, k: Float64Array, kb: number, kw: number, rev: boolean, out: Float64Array, o: number, n: number): void {
  if (n <= 0) return;
  switch (kw) {
    case 3:
      return corrRow3(src, s, k, kb, rev, out, o, n);
    case 5:
      return corrRow5(src, s, k, kb, rev, out, o, n);
    case 7:
      return corrRow7(src, s, k, kb, rev, out, o, n);
    default:
      return corrRowAny(src, s, k, kb, kw, rev, out, o, n);
  }
}

// Two kernel rows on the same input row, two outputs: the input window is loaded once.

function corrRow2x3(src: Float64Array, s: number, k: Float64Array, kb: number, kc: number, rev: boolean, out: Float64Array, o: number, p: number, n: number): void {
  const st = rev ? -1 : 1;
  const b0 = rev ? kb + 2 : kb;
  const c00 = rev ? kc + 2 : kc;
  const k0 = k[b0]!, k1 = k[b0 + st]!, k2 = k[b0 + 2 * st]!;
  const c0 = k[c00]!, c1 = k[c00 + st]!, c2 = k[c00 + 2 * st]!;
  let a0 = src[s]!;
  let a1 = src[s + 1]!;
  const d = s + 2 - o;
  const dp = p - o;
  for (let x = o; x < o + n; x++) {
    const a2 = src[x + d]!;
    out[x] = out[x]! + (k0 * a0 + k1 * a1 + k2 * a2);
    out[x + dp] = out[x + dp]! + (c0 * a0 + c1 * a1 + c2 * a2);
    a0 = a1;
    a1 = a2;
  }
}

function corrRow2x5(src: Float64Array, s: number, k: Float64Array, kb: number, kc: number, rev: boolean, out: Float64Array, o: number, p: number, n: number): void {
  const st = rev ? -1 : 1;
  const b0 = rev ? kb + 4 : kb;
  const c00 = rev ? kc + 4 : kc;
  const k0 = k[b0]!, k1 = k[b0 + st]!, k2 = k[b0 + 2 * st]!, k3 = k[b0 + 3 * st]!, k4 = k[b0 + 4 * st]!;
  const c0 = k[c00]!, c1 = k[c00 + st]!, c2 = k[c00 + 2 * st]!, c3 = k[c00 + 3 * st]!, c4 = k[c00 + 4 * st]!;
  let a0 = src[s]!;
  let a1 = src[s + 1]!;
  let a2 = src[s + 2]!;
  let a3 = src[s + 3]!;
  const d = s + 4 - o;
  const dp = p - o;
  for (let x = o; x < o + n; x++) {
    const a4 = src[x + d]!;
    out[x] = out[x]! + (k0 * a0 + k1 * a1 + k2 * a2 + k3 * a3 + k4 * a4);
    out[x + dp] = out[x + dp]! + (c0 * a0 + c1 * a1 + c2 * a2 + c3 * a3 + c4 * a4);
    a0 = a1;
    a1 = a2;
    a2 = a3;
    a3 = a4;
  }
}

function corrRow2x7(src: Float64Array, s: number, k: Float64Array, kb: number, kc: number, rev: boolean, out: Float64Array, o: number, p: number, n: number): void {
  const st = rev ? -1 : 1;
  const b0 = rev ? kb + 6 : kb;
  const c00 = rev ? kc + 6 : kc;
  const k0 = k[b0]!, k1 = k[b0 + st]!, k2 = k[b0 + 2 * st]!, k3 = k[b0 + 3 * st]!;
  const k4 = k[b0 + 4 * st]!, k5 = k[b0 + 5 * st]!, k6 = k[b0 + 6 * st]!;
  const c0 = k[c00]!, c1 = k[c00 + st]!, c2 = k[c00 + 2 * st]!, c3 = k[c00 + 3 * st]!;
  const c4 = k[c00 + 4 * st]!, c5 = k[c00 + 5 * st]!, c6 = k[c00 + 6 * st]!;
  let a0 = src[s]!;
  let a1 = src[s + 1]!;
  let a2 = src[s + 2]!;
  let a3 = src[s + 3]!;
  let a4 = src[s + 4]!;
  let a5 = src[s + 5]!;
  const d = s + 6 - o;
  const dp = p - o;
  const end = o + n;
  let x = o;
  for (; x + 1 < end; x += 2) {
    // two pixels per step (V8 does not unroll): the window advances by two
    const a6 = src[x + d]!;
    const a7 = src[x + d + 1]!;
    out[x] = out[x]! + (k0 * a0 + k1 * a1 + k2 * a2 + k3 * a3 + k4 * a4 + k5 * a5 + k6 * a6);
    out[x + dp] = out[x + dp]! + (c0 * a0 + c1 * a1 + c2 * a2 + c3 * a3 + c4 * a4 + c5 * a5 + c6 * a6);
    out[x + 1] = out[x + 1]! + (k0 * a1 + k1 * a2 + k2 * a3 + k3 * a4 + k4 * a5 + k5 * a6 + k6 * a7);
    out[x + 1 + dp] = out[x + 1 + dp]! + (c0 * a1 + c1 * a2 + c2 * a3 + c3 * a4 + c4 * a5 + c5 * a6 + c6 * a7);
    a0 = a2;
    a1 = a3;
    a2 = a4;
    a3 = a5;
    a4 = a6;
    a5 = a7;
  }
  if (x < end) {
    const a6 = src[x + d]!;
    out[x] = out[x]! + (k0 * a0 + k1 * a1 + k2 * a2 + k3 * a3 + k4 * a4 + k5 * a5 + k6 * a6);
    out[x + dp] = out[x + dp]! + (c0 * a0 + c1 * a1 + c2 * a2 + c3 * a3 + c4 * a4 + c5 * a5 + c6 * a6);
  }
}

/** Two kernel rows (`kb`, `kc`, reversed if `rev`) applied to one input row, into two outputs (`o`, `p`). */
function corrRow2(src: Float64Array, s: number, k: Float64Array, kb: number, kc: number, kw: number, rev: boolean, out: Float64Array, o: number, p: number, n: number): void {
  if (n <= 0) return;
  switch (kw) {
    case 3:
      return corrRow2x3(src, s, k, kb, kc, rev, out, o, p, n);
    case 5:
      return corrRow2x5(src, s, k, kb, kc, rev, out, o, p, n);
    case 7:
      return corrRow2x7(src, s, k, kb, kc, rev, out, o, p, n);
    default:
      corrRowAny(src, s, k, kb, kw, rev, out, o, n);
      corrRowAny(src, s, k, kc, kw, rev, out, p, n);
  }
}

// Gradient row kernels: g[gb + b] += scale·Σ_x v[vo + x]·src[s + x + b], b < kw.

function gradRow3(v: Float64Array, vo: number, src: Float64Array, s: number, n: number, g: Float64Array, gb: number, scale: number): void {
  let d0 = 0, d1 = 0, d2 = 0;
  let a0 = src[s]!;
  let a1 = src[s + 1]!;
  const d = s + 2 - vo;
  for (let x = vo; x < vo + n; x++) {
    const a2 = src[x + d]!;
    const w = v[x]!;
    d0 += w * a0;
    d1 += w * a1;
    d2 += w * a2;
    a0 = a1;
    a1 = a2;
  }
  g[gb] = g[gb]! + scale * d0;
  g[gb + 1] = g[gb + 1]! + scale * d1;
  g[gb + 2] = g[gb + 2]! + scale * d2;
}

function gradRow5(v: Float64Array, vo: number, src: Float64Array, s: number, n: number, g: Float64Array, gb: number, scale: number): void {
  let d0 = 0, d1 = 0, d2 = 0, d3 = 0, d4 = 0;
  let a0 = src[s]!;
  let a1 = src[s + 1]!;
  let a2 = src[s + 2]!;
  let a3 = src[s + 3]!;
  const d = s + 4 - vo;
  for (let x = vo; x < vo + n; x++) {
    const a4 = src[x + d]!;
    const w = v[x]!;
    d0 += w * a0;
    d1 += w * a1;
    d2 += w * a2;
    d3 += w * a3;
    d4 += w * a4;
    a0 = a1;
    a1 = a2;
    a2 = a3;
    a3 = a4;
  }
  g[gb] = g[gb]! + scale * d0;
  g[gb + 1] = g[gb + 1]! + scale * d1;
  g[gb + 2] = g[gb + 2]! + scale * d2;
  g[gb + 3] = g[gb + 3]! + scale * d3;
  g[gb + 4] = g[gb + 4]! + scale * d4;
}

function gradRow7(v: Float64Array, vo: number, src: Float64Array, s: number, n: number, g: Float64Array, gb: number, scale: number): void {
  let d0 = 0, d1 = 0, d2 = 0, d3 = 0, d4 = 0, d5 = 0, d6 = 0;
  let a0 = src[s]!;
  let a1 = src[s + 1]!;
  let a2 = src[s + 2]!;
  let a3 = src[s + 3]!;
  let a4 = src[s + 4]!;
  let a5 = src[s + 5]!;
  const d = s + 6 - vo;
  for (let x = vo; x < vo + n; x++) {
    const a6 = src[x + d]!;
    const w = v[x]!;
    d0 += w * a0;
    d1 += w * a1;
    d2 += w * a2;
    d3 += w * a3;
    d4 += w * a4;
    d5 += w * a5;
    d6 += w * a6;
    a0 = a1;
    a1 = a2;
    a2 = a3;
    a3 = a4;
    a4 = a5;
    a5 = a6;
  }
  g[gb] = g[gb]! + scale * d0;
  g[gb + 1] = g[gb + 1]! + scale * d1;
  g[gb + 2] = g[gb + 2]! + scale * d2;
  g[gb + 3] = g[gb + 3]! + scale * d3;
  g[gb + 4] = g[gb + 4]! + scale * d4;
  g[gb + 5] = g[gb + 5]! + scale * d5;
  g[gb + 6] = g[gb + 6]! + scale * d6;
}

function gradRowAny(v: Float64Array, vo: number, src: Float64Array, s: number, n: number, kw: number, g: Float64Array, gb: number, scale: number): void {
  for (let b = 0; b < kw; b++) {
    let acc = 0;
    const d = s + b - vo;
    for (let x = vo; x < vo + n; x++) acc += v[x]! * src[x + d]!;
    g[gb + b] = g[gb + b]! + scale * acc;
  }
}

function gradRow(v: Float64Array, vo: number, src: Float64Array, s: number, n: number, kw: number, g: Float64Array, gb: number, scale: number): void {
  switch (kw) {
    case 3:
      return gradRow3(v, vo, src, s, n, g, gb, scale);
    case 5:
      return gradRow5(v, vo, src, s, n, g, gb, scale);
    case 7:
      return gradRow7(v, vo, src, s, n, g, gb, scale);
    default:
      return gradRowAny(v, vo, src, s, n, kw, g, gb, scale);
  }
}

/**
 * One input row between `kw − 1` zeros on each side, in a scratch row reused across calls (its
 * zero margins are rewritten each time): the full 1-D convolution of the row,
 * `z[t] = Σ_b w[b]·y[t − b]`, `t < n + kw − 1`, terms outside `y` dropped, is then the
 * correlation of the padded row with the reversed kernel row, edges included, with no
 * clipped-bound loops.
 */
let zeroPadded = new Float64Array(0);

function padRow(y: Float64Array, yo: number, n: number, kw: number): Float64Array {
  const m = kw - 1;
  if (zeroPadded.length < n + 2 * m) zeroPadded = new Float64Array(n + 2 * m);
  const p = zeroPadded;
  for (let i = 0; i < m; i++) {
    p[i] = 0;
    p[m + n + i] = 0;
  }
  for (let i = 0; i < n; i++) p[m + i] = y[yo + i]!;
  return p;
}

// ---------------------------------------------------------------------------------------------
// 2-D drivers. Images are row-major; `src` is a padded image with row stride `pw = W + kw − 1`
// and `H + kh − 1` rows; kernels start at `kOff` and are `kh×kw` row-major.

/** `out[oOff + y·W + x] += Σ_{a<kh, b<kw} k[kOff + a·kw + b]·src[sOff + (y+a)·pw + x + b]` for rows `y ∈ [y0, y1)`. */
export function correlateValid(
  src: Float64Array, sOff: number, pw: number,
  k: Float64Array, kOff: number, kh: number, kw: number,
  out: Float64Array, oOff: number, W: number, y0: number, y1: number,
): void {
  for (let y = y0; y < y1; y++) {
    const o = oOff + y * W;
    for (let a = 0; a < kh; a++) corrRow(src, sOff + (y + a) * pw, k, kOff + a * kw, kw, false, out, o, W);
  }
}

/**
 * {@link correlateValid} for two kernels (`kOff`, `kOff2`) on the same padded input, into two
 * outputs (`oOff`, `oOff2`): the input is read once for both (filter banks pair output channels).
 */
export function correlateValid2(
  src: Float64Array, sOff: number, pw: number,
  k: Float64Array, kOff: number, kOff2: number, kh: number, kw: number,
  out: Float64Array, oOff: number, oOff2: number, W: number, y0: number, y1: number,
): void {
  for (let y = y0; y < y1; y++) {
    const o = oOff + y * W;
    const p = oOff2 + y * W;
    for (let a = 0; a < kh; a++) corrRow2(src, sOff + (y + a) * pw, k, kOff + a * kw, kOff2 + a * kw, kw, false, out, o, p, W);
  }
}

/**
 * The adjoint of {@link correlateValid}: `z[zOff + t·pw + s] += Σ_{a,b} k[a,b]·y[yOff + (t−a)·W + (s−b)]`
 * over the padded grid (`pw = W + kw − 1` columns, `H + kh − 1` rows), terms outside `y` dropped,
 * for the input rows `u = t − a ∈ [u0, u1)` (all of them when `[u0, u1) = [0, H)`). Each input
 * row (through its zero-padded copy, {@link padRow}) is scattered into `kh` padded rows, two kernel rows at a time (one load of the input
 * window for both).
 */
export function convolveFull(
  y: Float64Array, yOff: number, W: number,
  k: Float64Array, kOff: number, kh: number, kw: number,
  z: Float64Array, zOff: number, u0: number, u1: number,
): void {
  const pw = W + kw - 1;
  for (let u = u0; u < u1; u++) {
    const row = padRow(y, yOff + u * W, W, kw);
    let a = 0;
    for (; a + 1 < kh; a += 2) {
      corrRow2(row, 0, k, kOff + a * kw, kOff + (a + 1) * kw, kw, true, z, zOff + (u + a) * pw, zOff + (u + a + 1) * pw, pw);
    }
    if (a < kh) corrRow(row, 0, k, kOff + a * kw, kw, true, z, zOff + (u + a) * pw, pw);
  }
}

/**
 * `g[gOff + a·kw + b] += scale·Σ_{y ∈ [y0, y1), x < W} v[vOff + y·W + x]·src[sOff + (y+a)·pw + x + b]`:
 * the gradient of `k ↦ ⟨correlateValid(src, k), v⟩` (over all rows when `[y0, y1) = [0, H)`).
 */
export function correlateGrad(
  v: Float64Array, vOff: number, W: number,
  src: Float64Array, sOff: number, pw: number, kh: number, kw: number,
  g: Float64Array, gOff: number, scale: number, y0: number, y1: number,
): void {
  for (let y = y0; y < y1; y++) {
    const vo = vOff + y * W;
    for (let a = 0; a < kh; a++) gradRow(v, vo, src, sOff + (y + a) * pw, W, kw, g, gOff + a * kw, scale);
  }
}
