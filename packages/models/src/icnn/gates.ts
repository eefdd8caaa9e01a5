/**
 * The element-wise loops of `IcnnRegularizer`'s smooth forms: the smoothed ReLU `h_ω` of
 * `@bilevel/prox` (`smoothRelu` and its derivatives; the leaky ReLU is `σ = a s + (1 − a) h_ω`)
 * without a branch on the sign of `s`, with the indicator `up = [s ≥ ω̂]` (`ω̂ = ω`, or the least
 * positive double for `ω = 0`):
 * ```
 * h_ω(s) = up·(s − ω/2) + 0,  h_ω'(s) = up       unless 0 < s < ω ([s > 0] ≠ up):  s²/(2ω), s/ω
 * h_ω''(s) = ([s > 0] − up)/ω                    (for ω = 0 the division is by 1, of 0)
 * ```
 * The values are `@bilevel/prox`'s bit for bit (`icnn-gates.test.ts`; for `s > −∞`, where
 * `h_ω(−∞)` gives NaN). Why: the pre-activations of a network have random signs, so a branch on
 * the sign mispredicts about every other entry, while `Number(s ≥ c)` compiles to a flag; the
 * quadratic piece `(0, ω)` keeps its branch, taken rarely where `ω` is small against the
 * pre-activations (as in the pretrained models), which saves its two divisions elsewhere.
 *
 * Whole loops live here, each computing `up` once per entry, rather than scalar helpers inlined
 * into the caller's loops: V8 compiled those several times slower when two inlined helpers
 * repeated the same comparison, or when the helpers came from another module transpiled to
 * CommonJS (as tsx does for sources loaded by `require`).
 * @module
 */

/** The constants of `h_ω` for the branch-free forms. */
export interface Gates {
  /** `ω̂`: `ω`, or the least positive double for `ω = 0` (then `up = [s > 0]`). */
  readonly cut: number;
  /** `ω/2`. */
  readonly half: number;
  /** `ω`, or 1 for `ω = 0` (the divisor of terms that vanish then). */
  readonly div: number;
  /** `2·div`. */
  readonly twoDiv: number;
}

/** The {@link Gates} of `h_ω`, `ω ≥ 0`. */
export function gates(omega: number): Gates {
  const smooth = omega > 0;
  const div = smooth ? omega : 1;
  return Object.freeze({ cut: smooth ? omega : Number.MIN_VALUE, half: 0.5 * omega, div, twoDiv: 2 * div });
}

/** `h_ω''(s) = in/ω` (`smoothReluSecond`). */
function hCurvature(s: number, cut: number, div: number): number {
  return (Number(s > 0) - Number(s >= cut)) / div;
}

/**
 * The first layer on `[begin, end)` (one filter, bias `b`): `u ← u + b`, `z = σ(u)`,
 * `su = σ'(u)`, with `σ = a s + (1 − a) h_ω` (`g` the {@link Gates} of `ω`).
 */
export function leakyReluLayer(u: Float64Array, z: Float64Array, su: Float64Array, begin: number, end: number, b: number, a: number, g: Gates): void {
  let p = begin;
  // four entries a step: V8 checks and counts per step, and a step of one entry spends more on that than on σ
  for (; p + 3 < end; p += 4) {
    leakyReluAt(u, z, su, p, b, a, g);
    leakyReluAt(u, z, su, p + 1, b, a, g);
    leakyReluAt(u, z, su, p + 2, b, a, g);
    leakyReluAt(u, z, su, p + 3, b, a, g);
  }
  for (; p < end; p++) leakyReluAt(u, z, su, p, b, a, g);
}

/** One entry of {@link leakyReluLayer}. */
function leakyReluAt(u: Float64Array, z: Float64Array, su: Float64Array, p: number, b: number, a: number, g: Gates): void {
  const s = u[p]! + b;
  const up = Number(s >= g.cut);
  // the linear pieces (`+ 0` makes the −0 of s ≤ 0 the +0 of @bilevel/prox), or the quadratic one
  let h = up * (s - g.half) + 0;
  let d = up;
  if (Number(s > 0) !== up) {
    h = (s * s) / g.twoDiv;
    d = s / g.div;
  }
  const rest = 1 - a;
  u[p] = s;
  z[p] = a * s + rest * h;
  su[p] = a + rest * d;
}

/**
 * The hidden units on `[begin, end)` (one unit: bias `b`, output weight `w`): `v ← v + b`,
 * `gv = w h'(v)`; returns `r + Σ w h(v)` (summed in index order after `r`).
 */
export function reluUnits(v: Float64Array, gv: Float64Array, begin: number, end: number, b: number, w: number, g: Gates, r: number): number {
  const { cut, half, div, twoDiv } = g;
  for (let j = begin; j < end; j++) {
    const s = v[j]! + b;
    const up = Number(s >= cut);
    let h = up * (s - half) + 0;
    let d = up;
    if (Number(s > 0) !== up) {
      h = (s * s) / twoDiv;
      d = s / div;
    }
    v[j] = s;
    r += w * h;
    gv[j] = w * d;
  }
  return r;
}

/**
 * The first layer's curvature after {@link leakyReluLayer}, on `[0, n)`:
 * `e = (1 − a)h''(u) ⊙ g_z ⊙ δu` (`σ''(u) g_z δu`) and `δu ← σ'(u) ⊙ δu` (`su` = `σ'(u)`).
 */
export function leakyReluCurvature(u: Float64Array, su: Float64Array, gz: Float64Array, du: Float64Array, e: Float64Array, n: number, a: number, g: Gates): void {
  const rest = 1 - a;
  const { cut, div } = g;
  for (let i = 0; i < n; i++) {
    const d = du[i]!;
    e[i] = rest * hCurvature(u[i]!, cut, div) * gz[i]! * d;
    du[i] = su[i]! * d;
  }
}

/** The hidden units' curvature on `[begin, end)` (one unit, output weight `w`): `out = w h''(v) ⊙ δv`. */
export function reluCurvature(v: Float64Array, dv: Float64Array, out: Float64Array, begin: number, end: number, w: number, g: Gates): void {
  const { cut, div } = g;
  for (let j = begin; j < end; j++) out[j] = w * hCurvature(v[j]!, cut, div) * dv[j]!;
}
