/**
 * Branch-free forms of the ICNN's activations for the hot loops of `IcnnRegularizer`: the
 * smoothed ReLU `h_ω` of `@bilevel/prox` (`smoothRelu` and its derivatives; the leaky ReLU is
 * `σ = a s + (1 − a) h_ω`), written with the piece indicators
 * ```
 * up = [s ≥ ω̂],  in = [s > 0] − up = [0 < s < ω]   (ω̂ = ω, or the least positive double for ω = 0)
 * h_ω(s) = up·(s − ω/2) + (in·s)²/(2ω),  h_ω'(s) = up + in·s/ω,  h_ω''(s) = in/ω
 * ```
 * (for `ω = 0` the divisions are by 1, where `in = 0`). Every term of a piece that does not
 * apply is an exact zero, so for finite `s` the values are `@bilevel/prox`'s bit for bit
 * (`icnn-gates.test.ts`); an infinite `s` gives NaN. Why: the pre-activations of a network
 * have random signs, so the branches of the piecewise forms mispredict about every other
 * entry, while `Number(s ≥ c)` compiles to a flag.
 * @module
 */

/** The constants of `h_ω` for {@link hValue}, {@link hSlope} and {@link hCurvature}. */
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

/** `h_ω(s) = up·(s − ω/2) + (in·s)²/(2ω)` (`smoothRelu`). */
export function hValue(s: number, cut: number, half: number, twoDiv: number): number {
  const up = Number(s >= cut);
  const m = (Number(s > 0) - up) * s;
  return up * (s - half) + (m * m) / twoDiv;
}

/** `h_ω'(s) = up + in·s/ω` (`smoothReluDerivative`). */
export function hSlope(s: number, cut: number, div: number): number {
  const up = Number(s >= cut);
  return up + ((Number(s > 0) - up) * s) / div;
}

/** `h_ω''(s) = in/ω` (`smoothReluSecond`). */
export function hCurvature(s: number, cut: number, div: number): number {
  return (Number(s > 0) - Number(s >= cut)) / div;
}
