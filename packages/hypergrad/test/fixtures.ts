/**
 * Small dense saddle problems with exact solutions and exact hypergradients: K a learnable
 * dense matrix, g(x) = ½‖x − b‖² + μ/2‖x‖², and
 * f*(y) = a/2‖y‖² + c Σ log cosh y_i (smooth, strongly convex, Lipschitz Hessian), so every
 * assumption of Theorem 2 holds and the constants are known exactly.
 */
import { TrainingSet, models, type ModelSpec } from '@bilevel/models';
import { DenseMatrix } from '@bilevel/operators';
import {
  Rng,
  nrm2,
  type ParametricSmooth,
  type SmoothModel,
  type HessianInvertible,
  type ProxDifferentiable,
  type SaddleModel,
  type SaddleSample,
  type Smooth,
  type Subdifferentiable,
  type TwiceSmooth,
  type Vec,
} from '@bilevel/core';

function fillFrom(out: Vec, f: (i: number) => number): Vec {
  for (let i = 0; i < out.length; i++) out[i] = f(i);
  return out;
}

/**
 * The separable pair φ(x) = Σ a/2 x_i² − b_i x_i + c log cosh x_i and its conjugate φ*:
 * φ'' ∈ [a, a + c] and |φ'''| ≤ 4c/(3√3), so φ is a-strongly convex with an (a+c)-Lipschitz
 * gradient and a Lipschitz Hessian; ∇φ* = (∇φ)⁻¹ (Newton per coordinate) and the Hessian of φ*
 * is Lipschitz with constant ≤ max|φ'''|/a³. With c = 0 it is the quadratic a/2‖x‖² − ⟨b, x⟩.
 */
export function separableLogCosh(m: number, a: number, c: number, b: Vec = new Float64Array(m)) {
  const d1 = (t: number, i: number) => a * t - b[i]! + c * Math.tanh(t);
  const d2 = (t: number) => a + c * (1 - Math.tanh(t) ** 2);
  const newton = (r: (t: number) => number, dr: (t: number) => number, t0: number): number => {
    let t = t0;
    for (let k = 0; k < 60; k++) {
      const step = r(t) / dr(t);
      t -= step;
      if (Math.abs(step) <= 4e-16 * (1 + Math.abs(t))) break;
    }
    return t;
  };
  const inv = (s: number, i: number) => newton((t) => d1(t, i) - s, d2, (s + b[i]!) / (a + c));
  const prox1 = (w: number, sigma: number, i: number) =>
    newton((p) => p + sigma * d1(p, i) - w, (p) => 1 + sigma * d2(p), (w + sigma * b[i]!) / (1 + sigma * (a + c)));
  const third = (4 * c) / (3 * Math.sqrt(3));
  const fn: ProxDifferentiable & Smooth & TwiceSmooth & HessianInvertible & Subdifferentiable = {
    shape: [m],
    strongConvexity: a,
    lipschitz: a + c,
    hessianLipschitz: third,
    value: (y) => y.reduce((s, t, i) => s + 0.5 * a * t * t - b[i]! * t + c * Math.log(Math.cosh(t)), 0),
    gradient: (y, out) => fillFrom(out, (i) => d1(y[i]!, i)),
    hvp: (y, v, out) => fillFrom(out, (i) => d2(y[i]!) * v[i]!),
    hvpInverse: (y, v, out) => fillFrom(out, (i) => v[i]! / d2(y[i]!)),
    prox: (w, sigma, out) => fillFrom(out, (i) => prox1(w[i]!, sigma, i)),
    proxJvp: (w, sigma, dv, out) => fillFrom(out, (i) => dv[i]! / (1 + sigma * d2(prox1(w[i]!, sigma, i)))),
    minNormSubgradient: (y, shift, out) => fillFrom(out, (i) => shift[i]! + d1(y[i]!, i)),
  };
  const conj: Smooth & TwiceSmooth = {
    shape: [m],
    strongConvexity: 1 / (a + c),
    lipschitz: 1 / a,
    hessianLipschitz: third / a ** 3,
    value: (s) =>
      s.reduce((acc, si, i) => {
        const t = inv(si, i);
        return acc + si * t - (0.5 * a * t * t - b[i]! * t + c * Math.log(Math.cosh(t)));
      }, 0),
    gradient: (s, out) => fillFrom(out, (i) => inv(s[i]!, i)),
    hvp: (s, v, out) => fillFrom(out, (i) => v[i]! / d2(inv(s[i]!, i))),
  };
  return { fn, conj };
}

/** A smooth saddle model over `N` samples with random data (seeded). */
export function smoothSaddleModel(
  options: { n?: number; m?: number; samples?: number; seed?: number; mu?: number; cg?: number; a?: number; c?: number } = {},
) {
  const { n = 12, m = 18, samples = 2, seed = 0, mu = 0, cg = 0, a = 0.5, c = 0.5 } = options;
  const rng = Rng.seeded(seed);
  const K = new DenseMatrix(m, n, rng.normalVec(m * n).map((t) => t / Math.sqrt(n)));
  const { fn: fStar, conj: f } = separableLogCosh(m, a, c);
  const data = Array.from({ length: samples }, () => {
    const target = rng.normalVec(n);
    const b = target.map((t) => t + 0.3 * rng.normal());
    const { fn: g, conj: gStar } = separableLogCosh(n, 1 + mu, cg, b);
    return { b, target, g, gStar };
  });
  const model: SaddleModel = {
    K,
    fStar,
    f,
    numSamples: samples,
    params: K.params,
    paramNames: () => K.paramNames(),
    setParams: (t) => K.setParams(t),
    sample: (i): SaddleSample => ({ g: data[i]!.g, gStar: data[i]!.gStar, target: data[i]!.target }),
  };
  return { model, K, fStar, f, data, n, m, mu, a, c };
}

function unit(n: number, k: number): Float64Array {
  const e = new Float64Array(n);
  e[k] = 1;
  return e;
}

/** Solve the dense system M z = r by Gaussian elimination with partial pivoting. */
export function solveDense(M: number[][], r: number[]): number[] {
  const N = r.length;
  const A = M.map((row, i) => [...row, r[i]!]);
  for (let k = 0; k < N; k++) {
    let p = k;
    for (let i = k + 1; i < N; i++) if (Math.abs(A[i]![k]!) > Math.abs(A[p]![k]!)) p = i;
    [A[k], A[p]] = [A[p]!, A[k]!];
    for (let i = k + 1; i < N; i++) {
      const f = A[i]![k]! / A[k]![k]!;
      for (let j = k; j <= N; j++) A[i]![j]! -= f * A[k]![j]!;
    }
  }
  const z = new Array<number>(N).fill(0);
  for (let i = N - 1; i >= 0; i--) {
    let s = A[i]![N]!;
    for (let j = i + 1; j < N; j++) s -= A[i]![j]! * z[j]!;
    z[i] = s / A[i]![i]!;
  }
  return z;
}

/**
 * Exact saddle point (Newton on ∇g(x) + Kᵀ∇f(Kx) = 0, to machine precision), exact adjoint from
 * the block system [[H_g, Kᵀ], [K, −H_{f*}]](X, Y) = −(∇ℓ, 0)
 * (docs/math/piggyback.md#the-adjoint-system-and-the-hypergradient) and the exact
 * hypergradient z = yXᵀ + Yxᵀ, for sample `i` and loss ½‖x − x†‖².
 */
export function exactHypergradient(fx: ReturnType<typeof smoothSaddleModel>, i: number) {
  const { K, f, fStar, data, n, m } = fx;
  const { g, target } = data[i]!;
  const x = new Float64Array(n);
  const Kx = new Float64Array(m);
  const gf = new Float64Array(m);
  const r = new Float64Array(n);
  const gg = new Float64Array(n);
  const Hg = new Float64Array(n);
  for (let it = 0; it < 100; it++) {
    K.apply(x, Kx);
    f.gradient(Kx, gf);
    K.adjoint(gf, r);
    g.gradient(x, gg);
    for (let j = 0; j < n; j++) r[j]! += gg[j]!;
    // Hessian: H_g + Kᵀ diag(f'') K
    const H: number[][] = Array.from({ length: n }, (_, p) =>
      Array.from({ length: n }, (_, q) => {
        let s = p === q ? g.hvp(x, unit(n, p), Hg)[p]! : 0;
        for (let k = 0; k < m; k++) {
          const e = new Float64Array(m);
          e[k] = 1;
          const h = f.hvp(Kx, e, new Float64Array(m))[k]!;
          s += K.params[k * n + p]! * h * K.params[k * n + q]!;
        }
        return s;
      }),
    );
    const dx = solveDense(H, [...r].map((t) => -t));
    let nd = 0;
    for (let j = 0; j < n; j++) {
      x[j]! += dx[j]!;
      nd += dx[j]! ** 2;
    }
    if (Math.sqrt(nd) < 1e-16) break;
  }
  K.apply(x, Kx);
  const y = f.gradient(Kx, new Float64Array(m));
  // Block system.
  const N = n + m;
  const Hf = Array.from({ length: m }, (_, k) => {
    const e = new Float64Array(m);
    e[k] = 1;
    return fStar.hvp(y, e, new Float64Array(m))[k]!;
  });
  const M: number[][] = Array.from({ length: N }, () => new Array<number>(N).fill(0));
  for (let p = 0; p < n; p++) M[p]![p] = g.hvp(x, unit(n, p), Hg)[p]!;
  for (let k = 0; k < m; k++) {
    for (let p = 0; p < n; p++) {
      M[p]![n + k] = K.params[k * n + p]!;
      M[n + k]![p] = K.params[k * n + p]!;
    }
    M[n + k]![n + k] = -Hf[k]!;
  }
  const rhs = [...Array.from(x, (t, j) => -(t - target[j]!)), ...new Array<number>(m).fill(0)];
  const sol = solveDense(M, rhs);
  const X = Float64Array.from(sol.slice(0, n));
  const Y = Float64Array.from(sol.slice(n));
  const z = new Float64Array(m * n);
  K.paramVjp(X, y, z);
  K.paramVjp(x, Y, z);
  return { x, y, X, Y, z, loss: 0.5 * x.reduce((s, t, j) => s + (t - target[j]!) ** 2, 0) };
}

/**
 * The smooth (primal) form of {@link smoothSaddleModel}: h_K(x) = g(x) + f(Kx), a
 * `ParametricSmooth` in the entries of K with `mixedVjp` (∇_K⟨∇ₓh, q⟩ = ∇f(Kx)qᵀ + (∇²f(Kx)Kq)xᵀ)
 * and `mixedJvp`. When g and f are quadratic (cg = 0, c = 0) the bound constants are exact:
 * ‖B‖ ≤ ‖∇f(Kx)‖ + L_f‖K‖‖x‖ (plus the radius), L_B ≤ 2 L_f ‖K‖, L_{A⁻¹} = 0.
 */
export function smoothFormModel(fx: ReturnType<typeof smoothSaddleModel>): SmoothModel {
  const { K, f, data, n, m } = fx;
  const kx = new Float64Array(m);
  const t1 = new Float64Array(m);
  const t2 = new Float64Array(m);
  const d = new Float64Array(n);
  const samples = data.map(({ g, target }) => {
    const h: ParametricSmooth = {
      shape: [n],
      get strongConvexity() {
        return g.strongConvexity;
      },
      get lipschitz() {
        const k = 1.01 * K.norm().value; // DenseMatrix reports a power-iteration estimate (from below)
        return g.lipschitz + k * k * f.lipschitz;
      },
      params: K.params,
      paramNames: () => K.paramNames(),
      setParams: (t) => K.setParams(t),
      value: (x) => g.value(x) + f.value(K.apply(x, kx)),
      gradient: (x, out) => {
        K.adjoint(f.gradient(K.apply(x, kx), t1), out);
        g.gradient(x, d);
        for (let j = 0; j < n; j++) out[j]! += d[j]!;
        return out;
      },
      hvp: (x, v, out) => {
        K.apply(x, kx);
        K.adjoint(f.hvp(kx, K.apply(v, t1), t2), out);
        g.hvp(x, v, d);
        for (let j = 0; j < n; j++) out[j]! += d[j]!;
        return out;
      },
      mixedVjp: (x, q, grad, scale = 1) => {
        K.apply(x, kx);
        f.gradient(kx, t1);
        f.hvp(kx, K.apply(q, t2), t2);
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) grad[i * n + j]! += scale * (t1[i]! * q[j]! + t2[i]! * x[j]!);
      },
      mixedJvp: (x, dK, out) => {
        K.apply(x, kx);
        f.gradient(kx, t1);
        const dKx = new Float64Array(m);
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) dKx[i]! += dK[i * n + j]! * x[j]!;
        K.adjoint(f.hvp(kx, dKx, t2), out);
        for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) out[j]! += dK[i * n + j]! * t1[i]!;
        return out;
      },
    };
    return {
      h,
      target,
      boundConstants: (x: Vec, radius: number) => {
        const k = 1.01 * K.norm().value; // DenseMatrix reports a power-iteration estimate (from below)
        const L = f.lipschitz;
        const gf = nrm2(m, f.gradient(K.apply(x, kx), t1));
        return { normB: gf + L * k * (radius + 2 * nrm2(n, x)), lipB: 2 * L * k, lipAInv: 0, certified: true };
      },
    };
  });
  return {
    params: K.params,
    paramNames: () => K.paramNames(),
    setParams: (t) => K.setParams(t),
    numSamples: data.length,
    sample: (i) => samples[i]!,
  };
}

/** A (degraded, clean) pair of one image. */
export interface Pair {
  readonly degraded: Float64Array;
  readonly target: Float64Array;
}

/**
 * The training model of a registered kind over `pairs` (cold starts at zero): the saddle model
 * for piggyback, or the smooth model for implicit differentiation.
 */
export function trained(spec: ModelSpec, shape: readonly number[], pairs: readonly Pair[]) {
  const set = new TrainingSet(models.build(spec, shape), pairs.map((p) => ({ degraded: p.degraded, clean: p.target })), { start: 'zero' });
  return { set, saddle: () => set.saddleModel(), smooth: () => set.smoothModel() };
}
