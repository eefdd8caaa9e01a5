/**
 * Tests of the tests: every conformance check passes on correct reference implementations and
 * fails on a planted defect.
 */
import { describe, expect, it } from 'vitest';
import {
  Rng,
  type Functional,
  type LinearOperator,
  type ParametricOperator,
  type Proximable,
  type Vec,
} from '@bilevel/core';
import {
  adjointError,
  checkGradient,
  checkJvp,
  checkNorm,
  checkProxByDefinition,
  checkFenchelYoung,
  moreauResidual,
  mutatedInputs,
  aliasDiscrepancy,
  operatorChecks,
  functionalChecks,
  type NamedCheck,
} from '@bilevel/core/testing';
import { describeOperatorSuite, describeFunctionalSuite } from '@bilevel/core/testing/vitest';

/** y = M x with a learnable row-major matrix M (rows × cols); defects can be planted. */
class Matrix implements ParametricOperator {
  readonly domain: number[];
  readonly range: number[];
  readonly params: Float64Array;
  constructor(
    readonly rows: number,
    readonly cols: number,
    seed: number,
    private defect: 'none' | 'adjoint' | 'vjp' | 'mutate' | 'norm' | 'vjp-bound' = 'none',
  ) {
    this.domain = [cols];
    this.range = [rows];
    this.params = Rng.seeded(seed).normalVec(rows * cols);
  }
  paramNames(): string[] {
    return Array.from(this.params, (_, k) => `M[${Math.floor(k / this.cols)},${k % this.cols}]`);
  }
  setParams(theta: ArrayLike<number>): void {
    this.params.set(theta);
  }
  apply(x: Vec, out: Vec): Vec {
    for (let i = 0; i < this.rows; i++) {
      let s = 0;
      for (let j = 0; j < this.cols; j++) s += this.params[i * this.cols + j]! * x[j]!;
      out[i] = s;
    }
    if (this.defect === 'mutate') x[0] = 0;
    return out;
  }
  adjoint(y: Vec, out: Vec): Vec {
    for (let j = 0; j < this.cols; j++) {
      let s = 0;
      for (let i = 0; i < this.rows; i++) s += this.params[i * this.cols + j]! * y[i]!;
      out[j] = this.defect === 'adjoint' && j === 0 ? 1.0001 * s : s;
    }
    return out;
  }
  paramVjp(x: Vec, y: Vec, grad: Float64Array, scale = 1): void {
    for (let i = 0; i < this.rows; i++)
      for (let j = 0; j < this.cols; j++) grad[i * this.cols + j]! += scale * y[i]! * x[this.defect === 'vjp' ? (j + 1) % this.cols : j]!;
  }
  paramVjpBound(): number {
    return this.defect === 'vjp-bound' ? 0.5 : 1;
  }
  norm() {
    // Frobenius norm is an upper bound of the spectral norm; the defect claims half of it exactly.
    let f = 0;
    for (const m of this.params) f += m * m;
    return this.defect === 'norm' ? { value: 0.5 * Math.sqrt(f), kind: 'upper-bound' as const } : { value: Math.sqrt(f), kind: 'upper-bound' as const };
  }
}

/** f(x) = w‖x‖₁ with conjugate ι{‖y‖∞ ≤ w}; defects can be planted in the prox. */
class WeightedL1 implements Proximable {
  readonly shape = [6];
  readonly strongConvexity = 0;
  constructor(
    readonly w: number,
    private defect: 'none' | 'prox' | 'alias' = 'none',
  ) {}
  value(x: Vec): number {
    let s = 0;
    for (const t of x) s += Math.abs(t);
    return this.w * s;
  }
  prox(v: Vec, tau: number, out: Vec): Vec {
    const t = tau * this.w * (this.defect === 'prox' ? 0.98 : 1);
    for (let i = 0; i < v.length; i++) {
      const a = Math.abs(v[i]!) - t;
      out[i] = a > 0 ? Math.sign(v[i]!) * a : 0;
      if (this.defect === 'alias' && i > 0) out[i]! += 0.1 * v[i - 1]!;
    }
    return out;
  }
  proxJvp(v: Vec, tau: number, dv: Vec, out: Vec): Vec {
    for (let i = 0; i < v.length; i++) out[i] = Math.abs(v[i]!) > tau * this.w ? dv[i]! : 0;
    return out;
  }
  conjugate(): Proximable {
    const w = this.w;
    return {
      shape: [6],
      strongConvexity: 0,
      value: (y: Vec) => (y.every((t) => Math.abs(t) <= w * (1 + 1e-12)) ? 0 : Infinity),
      prox: (v: Vec, _tau: number, out: Vec) => {
        for (let i = 0; i < v.length; i++) out[i] = Math.min(w, Math.max(-w, v[i]!));
        return out;
      },
    };
  }
}

/** f(x) = Σ log cosh(x_i) + μ/2‖x‖², smooth and μ-strongly convex; gradient defect optional. */
function logCosh(mu: number, defect: 'none' | 'gradient' | 'hvp' | 'lipschitz' = 'none') {
  return {
    shape: [5],
    strongConvexity: mu,
    lipschitz: defect === 'lipschitz' ? 0.5 : 1 + mu,
    value: (x: Vec) => x.reduce((s, t) => s + Math.log(Math.cosh(t)) + 0.5 * mu * t * t, 0),
    gradient: (x: Vec, out: Vec) => {
      for (let i = 0; i < x.length; i++) out[i] = Math.tanh(x[i]!) + mu * x[i]! + (defect === 'gradient' ? 1e-4 : 0);
      return out;
    },
    hvp: (x: Vec, v: Vec, out: Vec) => {
      for (let i = 0; i < x.length; i++) out[i] = (1 - Math.tanh(x[i]!) ** 2 + mu + (defect === 'hvp' ? 0.01 : 0)) * v[i]!;
      return out;
    },
  };
}

const failing = (checks: NamedCheck[]): string[] => checks.filter((c) => !c.run().pass).map((c) => c.name);

describe('operator checks', () => {
  it('pass on a correct operator', () => {
    expect(failing(operatorChecks({ name: 'ok', make: () => new Matrix(4, 3, 1) }))).toEqual([]);
  });
  it('catch a wrong adjoint', () => {
    expect(adjointError(new Matrix(4, 3, 1, 'adjoint'), Rng.seeded(0))).toBeGreaterThan(1e-6);
    expect(failing(operatorChecks({ name: 'bad', make: () => new Matrix(4, 3, 1, 'adjoint') }))).toContain('adjoint (normalised dot test)');
  });
  it('catch a wrong paramVjp, an input mutation and a norm claimed too small', () => {
    expect(failing(operatorChecks({ name: 'bad', make: () => new Matrix(4, 3, 1, 'vjp') }))).toContain(
      'paramVjp vs central differences of ⟨K_θx, y⟩',
    );
    expect(failing(operatorChecks({ name: 'bad', make: () => new Matrix(4, 3, 1, 'mutate') }))).toContain(
      'apply/adjoint do not mutate their input',
    );
    expect(checkNorm(new Matrix(4, 3, 1, 'norm')).pass).toBe(false);
    expect(failing(operatorChecks({ name: 'bad', make: () => new Matrix(4, 3, 1, 'vjp-bound') }))).toContain(
      'paramVjpBound bounds ‖∇θ⟨K_θx, y⟩‖/(‖x‖‖y‖)',
    );
  });
});

describe('functional checks', () => {
  const rng = Rng.seeded(5);
  it('pass on correct prox, conjugate and smooth functionals', () => {
    expect(failing(functionalChecks({ name: 'l1', make: () => new WeightedL1(0.3) }))).toEqual([]);
    expect(failing(functionalChecks({ name: 'logcosh', make: () => logCosh(0.2) }))).toEqual([]);
  });
  it('catch a wrong prox (by definition, Moreau and Fenchel–Young)', () => {
    const v = rng.normalVec(6);
    expect(checkProxByDefinition(new WeightedL1(0.3, 'prox'), v, 1, Rng.seeded(1)).violation).toBeGreaterThan(1e-8);
    expect(moreauResidual(new WeightedL1(0.3, 'prox'), new WeightedL1(0.3).conjugate(), v, 1)).toBeGreaterThan(1e-6);
    const fy = checkFenchelYoung(new WeightedL1(0.3, 'prox'), new WeightedL1(0.3).conjugate(), v, 1, Rng.seeded(1));
    expect(fy.equalityGap).toBeGreaterThan(1e-8);
    expect(failing(functionalChecks({ name: 'bad', make: () => new WeightedL1(0.3, 'prox') }))).toContain('prox by definition (tau=1)');
  });
  it('catch a prox that is unsafe when out aliases v', () => {
    expect(aliasDiscrepancy((u, out) => new WeightedL1(0.3, 'alias').prox(u, 1, out), rng.normalVec(6))).toBeGreaterThan(0);
  });
  it('catch wrong gradients, Hessians and Lipschitz constants', () => {
    expect(failing(functionalChecks({ name: 'bad', make: () => logCosh(0.2, 'gradient') }))).toContain('gradient vs FD');
    expect(failing(functionalChecks({ name: 'bad', make: () => logCosh(0.2, 'hvp') }))).toContain('hvp vs FD of the gradient');
    expect(failing(functionalChecks({ name: 'bad', make: () => logCosh(0.2, 'lipschitz') }))).toContain(
      'gradient Lipschitz constant is an upper bound',
    );
    expect(failing(functionalChecks({ name: 'bad', make: () => ({ ...logCosh(0.2), strongConvexity: 5 }) }))).toContain(
      'strong convexity modulus is a lower bound',
    );
  });
});

describe('finite-difference checkers', () => {
  it('accept exact derivatives to ~1e-10 and reject a 1e-4 error', () => {
    const r = Rng.seeded(9);
    const x = r.normalVec(4);
    const f = (u: Vec) => Math.exp(u[0]!) * Math.sin(u[1]!) + u[2]! ** 3 - u[3]! * u[0]!;
    const g = Float64Array.from([Math.exp(x[0]!) * Math.sin(x[1]!) - x[3]!, Math.exp(x[0]!) * Math.cos(x[1]!), 3 * x[2]! ** 2, -x[0]!]);
    expect(checkGradient(f, g, x, r).relError).toBeLessThan(1e-9);
    g[2]! += 1e-4;
    expect(checkGradient(f, g, x, r).relError).toBeGreaterThan(1e-6);
    const F = (u: Vec) => Float64Array.from([u[0]! * u[1]!, Math.sin(u[2]!)]);
    const dx = r.normalVec(4);
    const jvp = Float64Array.from([dx[0]! * x[1]! + x[0]! * dx[1]!, Math.cos(x[2]!) * dx[2]!]);
    expect(checkJvp(F, x, dx, jvp).relError).toBeLessThan(1e-9);
    jvp[1]! *= 1.001;
    expect(checkJvp(F, x, dx, jvp).relError).toBeGreaterThan(1e-5);
  });
  it('mutatedInputs reports the mutated argument', () => {
    const a = new Float64Array(3);
    const b = new Float64Array(3);
    expect(mutatedInputs((_u, v) => (v[1] = 2), [a, b])).toEqual([1]);
  });
});

// The registration helpers themselves, on the correct references.
describeOperatorSuite('reference operators', [
  { name: 'matrix 4×3', make: (): LinearOperator => new Matrix(4, 3, 1) },
  { name: 'matrix 1×7', make: (): LinearOperator => new Matrix(1, 7, 2) },
]);
describeFunctionalSuite('reference functionals', [
  { name: 'weighted l1', make: (): Functional => new WeightedL1(0.7) },
  { name: 'log cosh + quadratic', make: (): Functional => logCosh(1) },
]);
