/**
 * Conformance suites: every operator and functional of the workspace is registered in a list of
 * cases, and the suites derive the applicable checks from the capabilities it implements.
 * `operatorChecks` / `functionalChecks` return named checks, framework-free: they run anywhere
 * (and the suites can be tested on planted defects). `describeOperatorSuite` /
 * `describeFunctionalSuite` of `@bilevel/core/testing/vitest` register them with vitest.
 * @module
 */
import { dot, nrm2 } from '../blas.js';
import type {
  Conjugable,
  Functional,
  HessianInvertible,
  LearnableFunctional,
  ProxDifferentiable,
  Proximable,
  Smooth,
  Subdifferentiable,
  TwiceSmooth,
} from '../contracts/functional.js';
import { isParametricOperator, type LinearOperator, type ParametricOperator } from '../contracts/operator.js';
import type { ParametricSmooth } from '../contracts/problem.js';
import { Rng } from '../rng.js';
import { shapeSize, type Vec } from '../vec.js';
import { checkGradient, checkJvp, maxAbsDifference } from './fd.js';
import { biconjugateError, checkFenchelYoung, checkProxByDefinition, moreauResidual } from './functional-checks.js';
import { adjointError, checkNorm, checkParamVjp, paramVjpAccumulationError, paramVjpBoundViolation } from './operator-checks.js';
import { aliasDiscrepancy, mutatedInputs } from './side-effects.js';

/** Outcome of one check: the measured quantity, the limit it must stay under, and the verdict. */
export interface CheckOutcome {
  /** The measured error (or violation). */
  readonly value: number;
  /** The largest acceptable value. */
  readonly limit: number;
  /** `value ≤ limit`. */
  readonly pass: boolean;
}

/** A named, lazily evaluated check. */
export interface NamedCheck {
  /** What is checked, e.g. `adjoint` or `proxJvp vs FD (tau=1)`. */
  readonly name: string;
  /** Run the check. */
  run(): CheckOutcome;
}

function outcome(value: number, limit: number): CheckOutcome {
  return { value, limit, pass: value <= limit };
}

/** An operator registered in the conformance suite. */
export interface OperatorCase {
  /** Display name, e.g. `gradient2d neumann 1×7×5`. */
  readonly name: string;
  /** Build a fresh operator (called once per check). */
  readonly make: () => LinearOperator;
  /** Limit of the normalised adjoint error (default 1e-12). */
  readonly adjointTol?: number;
  /** Limit of the relative FD error of `paramVjp` (default 1e-7). */
  readonly fdTol?: number;
  /** Seed of the random inputs (default 1). */
  readonly seed?: number;
}

/** The checks that apply to an operator case. */
export function operatorChecks(c: OperatorCase): NamedCheck[] {
  const rng = (): Rng => Rng.seeded(c.seed ?? 1);
  const checks: NamedCheck[] = [
    { name: 'adjoint (normalised dot test)', run: () => outcome(adjointError(c.make(), rng(), 5), c.adjointTol ?? 1e-12) },
    {
      name: 'apply/adjoint do not mutate their input',
      run: () => {
        const K = c.make();
        const r = rng();
        const x = r.normalVec(shapeSize(K.domain));
        const y = r.normalVec(shapeSize(K.range));
        const a = mutatedInputs((u) => K.apply(u, new Float64Array(shapeSize(K.range))), [x]).length;
        const b = mutatedInputs((u) => K.adjoint(u, new Float64Array(shapeSize(K.domain))), [y]).length;
        return outcome(a + b, 0);
      },
    },
  ];
  const probe = c.make();
  if (probe.norm) {
    checks.push({ name: `norm() consistent with its kind (${probe.norm().kind})`, run: () => normOutcome(c.make()) });
  }
  if (isParametricOperator(probe)) {
    /** A fresh operator of the case, which registered as parametric. */
    const make = (): ParametricOperator => {
      const K = c.make();
      if (!isParametricOperator(K)) throw new Error('not parametric');
      return K;
    };
    checks.push(
      { name: 'paramVjp vs central differences of ⟨K_θx, y⟩', run: () => outcome(checkParamVjp(make(), rng()).relError, c.fdTol ?? 1e-7) },
      { name: 'paramVjp accumulates (grad += s·…)', run: () => outcome(paramVjpAccumulationError(make(), rng()), 1e-12) },
      {
        name: 'paramNames has one name per parameter',
        run: () => {
          const K = make();
          return outcome(Math.abs(K.paramNames().length - K.params.length), 0);
        },
      },
    );
    if (probe.paramVjpBound) {
      checks.push({ name: 'paramVjpBound bounds ‖∇θ⟨K_θx, y⟩‖/(‖x‖‖y‖)', run: () => outcome(paramVjpBoundViolation(make(), rng()), 1e-12) });
    }
    if (probe.norm) {
      checks.push({
        name: 'norm() follows setParams',
        run: () => {
          const K = make();
          K.norm!();
          K.setParams(K.params.map((t, i) => t * 1.5 + 0.1 * Math.sin(i + 1)));
          return normOutcome(K);
        },
      });
    }
  }
  return checks;
}

/** `checkNorm` as an outcome: 0 when the reported norm is consistent with its kind, else its relative deviation. */
function normOutcome(K: LinearOperator): CheckOutcome {
  const r = checkNorm(K);
  return outcome(r.pass ? 0 : Math.abs(r.reported - r.reference) / r.reference, 0);
}

/** A functional registered in the conformance suite. */
export interface FunctionalCase {
  /** Display name, e.g. `huberConjugate iso α=0.3 ε=0.1`. */
  readonly name: string;
  /** Build a fresh functional (called once per check). */
  readonly make: () => Functional;
  /**
   * A random test point (prox input, gradient point) away from kinks and inside the domain of
   * smooth terms. Default: standard normal entries.
   */
  readonly point?: (rng: Rng, n: number) => Vec;
  /**
   * A random point `u` of the conjugate's domain away from its kinks, for the checks of the
   * generalised Hessian at the graph point `(∇f*(u), u)` (default: {@link FunctionalCase.point}).
   */
  readonly pairPoint?: (rng: Rng, n: number) => Vec;
  /** Prox step sizes to test (default `[0.1, 1, 7]`). */
  readonly taus?: readonly number[];
  /** Limit of relative FD errors of first derivatives (default 1e-7). */
  readonly fdTol?: number;
  /** Seed of the random inputs (default 2). */
  readonly seed?: number;
}

const has = <K extends string>(f: object, key: K): boolean => typeof (f as Record<string, unknown>)[key] === 'function';

/** What the checks of one functional case share. */
interface CaseContext {
  /** Entries of the argument. */
  readonly n: number;
  /** Limit of relative FD errors of first derivatives. */
  readonly fdTol: number;
  /** A freshly seeded generator (every check draws the same stream). */
  rng(): Rng;
  /** A test point of the case drawn from `r`. */
  point(r: Rng): Vec;
}

/**
 * A check of a fresh functional at a test point `x`, the first draw of a freshly seeded
 * generator `r` (the further draws of `measure` come after it).
 */
function atPoint<F>(ctx: CaseContext, name: string, make: () => F, measure: (f: F, x: Vec, r: Rng) => CheckOutcome): NamedCheck {
  return {
    name,
    run: () => {
      const f = make();
      const r = ctx.rng();
      return measure(f, ctx.point(r), r);
    },
  };
}

/** The analytic `jvp` against central differences of `F` (writing into a reused output) at `x` along `dx`. */
function fdJvp(ctx: CaseContext, F: (u: Vec, out: Vec) => Vec, x: Vec, dx: Vec, jvp: Vec): CheckOutcome {
  const out = new Float64Array(jvp.length);
  return outcome(checkJvp((u) => F(u, out), x, dx, jvp).relError, ctx.fdTol);
}

/** `|lhs − rhs|/(1 + |lhs|)`: how far two inner products that must agree (a symmetry, a transpose) are apart. */
function symmetryGap(lhs: number, rhs: number): number {
  return Math.abs(lhs - rhs) / (1 + Math.abs(lhs));
}

/** The checks that apply to a functional case, chosen by the capabilities it implements. */
export function functionalChecks(c: FunctionalCase): NamedCheck[] {
  const probe = c.make();
  const n = shapeSize(probe.shape);
  const ctx: CaseContext = {
    n,
    fdTol: c.fdTol ?? 1e-7,
    rng: () => Rng.seeded(c.seed ?? 2),
    point: (r) => (c.point ? c.point(r, n) : r.normalVec(n)),
  };
  const { rng, point, fdTol } = ctx;
  const taus = c.taus ?? [0.1, 1, 7];
  const checks: NamedCheck[] = [];

  if (has(probe, 'prox')) {
    const make = c.make as () => Proximable;
    for (const tau of taus) {
      checks.push({
        name: `prox by definition (tau=${tau})`,
        run: () => {
          const r = rng();
          let worst = -Infinity;
          for (let k = 0; k < 3; k++) worst = Math.max(worst, checkProxByDefinition(make(), point(r), tau, r).violation);
          return outcome(worst, 1e-10);
        },
      });
    }
    checks.push(
      atPoint(ctx, 'prox does not mutate v and allows out === v', make, (f, v) => {
        const m = mutatedInputs((u) => f.prox(u, 0.7, new Float64Array(n)), [v]).length;
        return outcome(m + aliasDiscrepancy((u, out) => f.prox(u, 0.7, out), v), 0);
      }),
    );
  }
  if (has(probe, 'proxJvp')) {
    const make = c.make as () => ProxDifferentiable;
    for (const tau of taus) {
      checks.push(
        atPoint(ctx, `proxJvp vs FD (tau=${tau})`, make, (f, v, r) => {
          const dv = r.normalVec(n);
          return fdJvp(ctx, (u, out) => f.prox(u, tau, out), v, dv, f.proxJvp(v, tau, dv, new Float64Array(n)));
        }),
      );
    }
    checks.push(
      atPoint(ctx, 'proxJvp is symmetric', make, (f, v, r) => {
        const a = r.normalVec(n);
        const b = r.normalVec(n);
        const Ja = f.proxJvp(v, 0.9, a, new Float64Array(n));
        const Jb = f.proxJvp(v, 0.9, b, new Float64Array(n));
        return outcome(symmetryGap(dot(n, Ja, b), dot(n, a, Jb)), 1e-12);
      }),
    );
  }
  if (has(probe, 'gradient')) {
    const make = c.make as () => Smooth;
    checks.push(
      atPoint(ctx, 'gradient vs FD', make, (f, x, r) =>
        outcome(checkGradient((u) => f.value(u), f.gradient(x, new Float64Array(n)), x, r).relError, fdTol),
      ),
      {
        name: 'gradient Lipschitz constant is an upper bound',
        run: () => {
          const f = make();
          if (!Number.isFinite(f.lipschitz)) return outcome(0, 0);
          const r = rng();
          let worst = 0;
          for (let k = 0; k < 10; k++) {
            const x = point(r);
            const y = point(r);
            for (let i = 0; i < n; i++) y[i] = x[i]! + (y[i]! - x[i]!) * 10 ** -(k % 4);
            const gx = f.gradient(x, new Float64Array(n));
            const gy = f.gradient(y, new Float64Array(n));
            let dg = 0;
            let dx = 0;
            for (let i = 0; i < n; i++) {
              dg += (gx[i]! - gy[i]!) ** 2;
              dx += (x[i]! - y[i]!) ** 2;
            }
            worst = Math.max(worst, Math.sqrt(dg) / Math.sqrt(dx) / f.lipschitz - 1);
          }
          return outcome(worst, 1e-9);
        },
      },
    );
    if (probe.strongConvexity !== 0) {
      checks.push({
        // also for a negative (weak convexity) modulus: f(y) ≥ f(x) + ⟨∇f(x), y − x⟩ + μ/2‖y − x‖²
        name: 'strong convexity modulus is a lower bound',
        run: () => {
          const f = make();
          const r = rng();
          let worst = -Infinity;
          for (let k = 0; k < 10; k++) {
            const x = point(r);
            const y = point(r);
            const gx = f.gradient(x, new Float64Array(n));
            let lin = 0;
            let dd = 0;
            for (let i = 0; i < n; i++) {
              lin += gx[i]! * (y[i]! - x[i]!);
              dd += (y[i]! - x[i]!) ** 2;
            }
            const gap = f.value(y) - f.value(x) - lin - 0.5 * f.strongConvexity * dd;
            worst = Math.max(worst, -gap / (1 + Math.abs(f.value(y))));
          }
          return outcome(worst, 1e-10);
        },
      });
    }
  }
  if (has(probe, 'hvp') && has(probe, 'gradient')) {
    const make = c.make as () => TwiceSmooth;
    checks.push(
      atPoint(ctx, 'hvp vs FD of the gradient', make, (f, x, r) => {
        const v = r.normalVec(n);
        return fdJvp(ctx, (u, out) => f.gradient(u, out), x, v, f.hvp(x, v, new Float64Array(n)));
      }),
    );
  }
  if (has(probe, 'hvpInverse') && has(probe, 'hvp')) {
    const make = c.make as () => HessianInvertible;
    checks.push(
      atPoint(ctx, 'hvpInverse inverts hvp (on the free directions)', make, (f, x, r) => {
        const hv = f.hvp(x, r.normalVec(n), new Float64Array(n));
        const back = f.hvp(x, f.hvpInverse(x, hv, new Float64Array(n)), new Float64Array(n));
        return outcome(maxAbsDifference(back, hv) / (1 + nrm2(n, hv)), 1e-10);
      }),
    );
  }
  const conjugate = has(probe, 'conjugate') ? (probe as unknown as Conjugable).conjugate() : undefined;
  if (has(probe, 'hvpInverse') && has(probe, 'hvp') && conjugate && has(conjugate, 'gradient')) {
    // At a graph point (y, u) with y = ∇h(u), h the (smooth) conjugate: H⁻¹(y; u) = ∇²h(u).
    const make = c.make as () => HessianInvertible & Conjugable;
    const graphPoint = (r: Rng) => {
      const h = make().conjugate() as unknown as Smooth;
      const u = c.pairPoint ? c.pairPoint(r, n) : point(r);
      return { u, y: h.gradient(u, new Float64Array(n)), h };
    };
    checks.push(
      {
        name: 'hvpInverse at a graph point (∇h(u), u) is ∇²h(u) of the conjugate h (vs FD)',
        run: () => {
          const f = make();
          const r = rng();
          const { u, y, h } = graphPoint(r);
          const v = r.normalVec(n);
          return fdJvp(ctx, (w, out) => h.gradient(w, out), u, v, f.hvpInverse(y, v, new Float64Array(n), u));
        },
      },
      {
        name: 'hvp ∘ hvpInverse at a graph point is a symmetric projection',
        run: () => {
          const f = make();
          const r = rng();
          const { u, y } = graphPoint(r);
          const P = (v: Vec): Vec => f.hvp(y, f.hvpInverse(y, v, new Float64Array(n), u), new Float64Array(n), u);
          const a = r.normalVec(n);
          const b = r.normalVec(n);
          const Pa = P(a);
          const PPa = P(Pa);
          const sym = Math.abs(dot(n, Pa, b) - dot(n, a, P(b)));
          return outcome((maxAbsDifference(PPa, Pa) + sym) / (1 + nrm2(n, a) * nrm2(n, b)), 1e-10);
        },
      },
    );
  }
  if (has(probe, 'minNormSubgradient') && has(probe, 'gradient')) {
    const make = c.make as () => Smooth & Subdifferentiable;
    checks.push(
      atPoint(ctx, 'minNormSubgradient = shift + ∇f at smooth points', make, (f, x, r) => {
        const shift = r.normalVec(n);
        const s = f.minNormSubgradient(x, shift, new Float64Array(n));
        const g = f.gradient(x, new Float64Array(n));
        let e = 0;
        for (let i = 0; i < n; i++) e = Math.max(e, Math.abs(s[i]! - shift[i]! - g[i]!));
        return outcome(e / (1 + nrm2(n, g)), 1e-12);
      }),
    );
  }
  if (has(probe, 'conjugate') && has(probe, 'prox')) {
    const make = c.make as () => Proximable & Conjugable;
    for (const tau of taus) {
      checks.push(
        atPoint(ctx, `Fenchel–Young (tau=${tau})`, make, (f, x, r) => {
          const fy = checkFenchelYoung(f, f.conjugate(), x, tau, r);
          return outcome(Math.max(fy.equalityGap, fy.inequalityViolation), 1e-10);
        }),
      );
    }
    const conj = (probe as Conjugable).conjugate();
    if (has(conj, 'prox') && !probe.derivedByMoreau && !conj.derivedByMoreau) {
      checks.push({
        name: 'Moreau identity v = prox_τf(v) + τ prox_{f*/τ}(v/τ)',
        run: () => {
          const f = make();
          const r = rng();
          let worst = 0;
          for (const tau of taus) worst = Math.max(worst, moreauResidual(f, f.conjugate() as Proximable, point(r), tau));
          return outcome(worst, 1e-12);
        },
      });
    }
    if (has(conj, 'conjugate')) {
      checks.push(
        atPoint(ctx, 'biconjugate f** = f', make, (f, x, r) => {
          const fss = (f.conjugate() as Conjugable).conjugate();
          return outcome(biconjugateError(f, fss, [x, point(r), f.prox(point(r), 1, new Float64Array(n))]), 1e-12);
        }),
      );
    }
  }
  if (has(probe, 'setParams')) {
    checks.push(...learnableChecks(c.make as () => LearnableFunctional, ctx));
  }
  return checks;
}

function learnableChecks(make: () => LearnableFunctional, ctx: CaseContext): NamedCheck[] {
  const { n, fdTol } = ctx;
  const probe = make();
  const p = probe.params.length;
  const viaParams = (f: LearnableFunctional, phi: (f: LearnableFunctional) => number) => (theta: Vec) => {
    f.setParams(theta);
    return phi(f);
  };
  /** `vjp(f, x, w, g)` (`g += ∇_θ⟨map_θ(x), w⟩`) against central differences of `θ ↦ ⟨map_θ(x), w⟩`. */
  const vjpCheck = (
    name: string,
    vjp: (f: LearnableFunctional, x: Vec, w: Vec, grad: Float64Array) => void,
    map: (f: LearnableFunctional, x: Vec, out: Vec) => Vec,
  ): NamedCheck =>
    atPoint(ctx, name, make, (f, x, r) => {
      const w = r.normalVec(n);
      const g = new Float64Array(p);
      vjp(f, x, w, g);
      const out = new Float64Array(n);
      return outcome(checkGradient(viaParams(f, (h) => dot(n, map(h, x, out), w)), g, Float64Array.from(f.params), r).relError, fdTol);
    });
  const checks: NamedCheck[] = [
    { name: 'paramNames has one name per parameter', run: () => outcome(Math.abs(make().paramNames().length - p), 0) },
  ];
  if (probe.valueParamGrad) {
    checks.push(
      atPoint(ctx, 'valueParamGrad vs FD', make, (f, x, r) => {
        const g = new Float64Array(p);
        f.valueParamGrad!(x, g, 1);
        return outcome(checkGradient(viaParams(f, (h) => h.value(x)), g, Float64Array.from(f.params), r).relError, fdTol);
      }),
    );
  }
  if (probe.proxParamVjp) {
    checks.push(vjpCheck('proxParamVjp vs FD', (f, v, w, g) => f.proxParamVjp!(v, 0.8, w, g, 1), (h, v, out) => (h as unknown as Proximable).prox(v, 0.8, out)));
  }
  if (probe.gradParamVjp) {
    checks.push(vjpCheck('gradParamVjp (mixed derivative) vs FD', (f, x, w, g) => f.gradParamVjp!(x, w, g, 1), (h, x, out) => (h as unknown as Smooth).gradient(x, out)));
  }
  if (probe.gradParamJvp) {
    checks.push(
      atPoint(ctx, 'gradParamJvp (mixed derivative) vs FD', make as () => LearnableFunctional & Smooth, (f, x, r) => {
        const theta = Float64Array.from(f.params);
        const dTheta = r.normalVec(p);
        const jvp = f.gradParamJvp!(x, dTheta, new Float64Array(n));
        const F = (t: Vec, out: Vec): Vec => {
          f.setParams(t);
          return f.gradient(x, out);
        };
        return fdJvp(ctx, F, theta, dTheta, jvp);
      }),
    );
  }
  if (typeof (probe as Partial<ParametricSmooth>).mixedVjp === 'function') {
    checks.push(
      vjpCheck('mixedVjp Bᵀq vs FD of θ ↦ ⟨∇ₓh_θ(x), q⟩', (f, x, q, g) => (f as unknown as ParametricSmooth).mixedVjp(x, q, g, 1), (h, x, out) =>
        (h as unknown as ParametricSmooth).gradient(x, out),
      ),
    );
    checks.push(
      atPoint(ctx, 'mixedJvp is the transpose of mixedVjp', make as unknown as () => ParametricSmooth, (h, x, r) => {
        const q = r.normalVec(n);
        const dTheta = r.normalVec(p);
        const g = new Float64Array(p);
        h.mixedVjp(x, q, g, 1);
        const Bd = h.mixedJvp(x, dTheta, new Float64Array(n));
        return outcome(symmetryGap(dot(p, g, dTheta), dot(n, Bd, q)), 1e-10);
      }),
    );
  }
  return checks;
}
