/**
 * One reconstruction with a model: the lower-level problem of a single measurement, in the
 * model's saddle form (`min_x max_y ⟨K_θx, y⟩ + g(x) − f*(y)`, PDHG) or smooth form
 * (`min_x g(x) + R_θ(x)`, FISTA), with the cold start — no training set needed.
 * @module
 */
import { ValidationError, saddleProblem, shapeSize, type Conjugable, type SaddleProblem, type SmoothProblem, type Vec } from '@bilevel/core';
import { smoothObjective, type SmoothObjective } from './regularizers/analysis.js';
import { imageDataTerm, liftedDataTerm, type DataSpec, type VariationalModel } from './model.js';

/** A saddle-form reconstruction problem with its cold start. */
export interface SaddleReconstruction {
  /** `{ K, g, fStar, f?, gStar? }` (on `(x, z)` for a lifted model). */
  readonly problem: SaddleProblem;
  /** Cold start: the measurement as an image (`Aᵀb` when `b` lives elsewhere), and `z` from the lifting. */
  readonly x0: Vec;
  /** The image part of a primal vector (a view; the vector itself when not lifted). */
  image(x: Vec): Vec;
}

/** A smooth-form reconstruction problem with its cold start. */
export interface SmoothReconstruction {
  /** `{ h }` with `h = g + R_θ`. */
  readonly problem: SmoothProblem & { readonly h: SmoothObjective };
  /** Cold start (the measurement as an image). */
  readonly x0: Vec;
}

/** The measurement as an image: `b` itself, or `Aᵀb` when the forward operator changes the size. */
export function measurementImage(model: VariationalModel, d: DataSpec): Vec {
  const n = shapeSize(model.shape);
  if (d.degraded.length === n) return d.degraded;
  if (!d.forward) throw new ValidationError(`reconstruction: the measurement has ${d.degraded.length} entries, the image ${n}; give its forward operator`);
  return d.forward.adjoint(d.degraded, new Float64Array(n));
}

/**
 * The saddle-form problem of one measurement: `g = ½‖Ax − b‖² + (μ/2)‖x‖²` (lifted to `(x, z)`
 * with `(γ/2)‖z‖²` when the model lifts its primal), `g*` when `g` is strongly convex, the model's
 * `K_θ`, `f*`, `f` at its current θ.
 * @param start `degraded` (default) starts at the measurement, `zero` at 0
 */
export function saddleReconstruction(model: VariationalModel, d: DataSpec, start: 'degraded' | 'zero' = 'degraded'): SaddleReconstruction {
  const form = model.saddle;
  if (!form) throw new ValidationError(`${model.kind} models have no saddle form; use the smooth form (FISTA)`);
  const n = shapeSize(model.shape);
  const lift = form.lifting;
  const g = lift ? liftedDataTerm(model.shape, lift, d) : imageDataTerm(model.shape, d);
  const gStar = g.strongConvexity > 0 ? (g as Conjugable).conjugate() : undefined;
  const x0 = new Float64Array(n + (lift?.auxiliarySize ?? 0));
  if (start === 'degraded') x0.set(measurementImage(model, d));
  if (lift) lift.start(x0.subarray(0, n), x0.subarray(n));
  return {
    problem: saddleProblem(form, { g, ...(gStar ? { gStar: gStar as SaddleProblem['gStar'] } : {}) }),
    x0,
    image: (x) => (lift ? x.subarray(0, n) : x),
  };
}

/**
 * The smooth-form problem of one measurement: `h = ½‖Ax − b‖² + (μ/2)‖x‖² + R_θ` (MAID's
 * lower level), sharing θ with the model.
 * @param start `degraded` (default) starts at the measurement, `zero` at 0
 */
export function smoothReconstruction(model: VariationalModel, d: DataSpec, start: 'degraded' | 'zero' = 'degraded'): SmoothReconstruction {
  const form = model.smooth;
  if (!form) throw new ValidationError(`${model.kind} models have no smooth form; use the saddle form (PDHG)`);
  const h = smoothObjective({ data: imageDataTerm(model.shape, d), regularizer: form.R, nonconvex: form.nonconvex ?? false });
  return { problem: { h }, x0: start === 'degraded' ? measurementImage(model, d) : new Float64Array(shapeSize(model.shape)) };
}
