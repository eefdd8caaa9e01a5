/**
 * Conformance suite of the elementary functionals: one case per line (prox by definition,
 * Moreau identity, Fenchel–Young, biconjugate, proxJvp and parameter derivatives against
 * finite differences, gradient / HVP / constants, min-norm subgradients).
 */
import type { FunctionalCase } from '@bilevel/core/testing';
import { describeFunctionalSuite } from '@bilevel/core/testing/vitest';
import {
  Box,
  BoxSupport,
  GroupHuber,
  GroupL21,
  Huber,
  HuberConjugate,
  L1,
  L2,
  L2InfBall,
  LInfBall,
  NonNegative,
  QuadraticFidelity,
  SmoothAbs,
  SquaredL2,
} from '@bilevel/prox';
import { awayFrom, groupPoint, randomMatrix, uniformVec, without } from './helpers.js';

const S = [2, 3, 4]; // 24 entries; groupSize 2 → 12 groups; 3 blocks of 4 groups
const n = 24;

export const functionalCases: FunctionalCase[] = [
  { name: 'L1 λ=0.4', make: () => new L1({ shape: S, weight: 0.4 }) },
  { name: 'L1 per-block λ', make: () => new L1({ shape: S, weight: [0.2, 0.5, 0.3, 0.9] }) },
  { name: 'L2 λ=0.7', make: () => new L2({ shape: S, weight: 0.7 }), point: (r, m) => r.normalVec(m).map((t) => 0.4 * t) },
  { name: 'GroupL21 G=2 λ=0.5', make: () => new GroupL21({ shape: S, groupSize: 2, weight: 0.5 }) },
  { name: 'GroupL21 G=4 per-block λ', make: () => new GroupL21({ shape: S, groupSize: 4, weight: [0.3, 0.6, 0.2] }) },
  { name: 'LInfBall ρ=0.6', make: () => new LInfBall({ shape: S, radius: 0.6 }) },
  { name: 'L2InfBall G=2 ρ=0.8', make: () => new L2InfBall({ shape: S, groupSize: 2, radius: 0.8 }) },
  { name: 'L2InfBall G=2 per-block ρ', make: () => new L2InfBall({ shape: S, groupSize: 2, radius: [0.5, 1.2, 0.9] }) },
  { name: 'Huber α=0.7 ε=0.3', make: () => new Huber({ shape: S, alpha: 0.7, epsilon: 0.3 }) },
  { name: 'GroupHuber G=2 α=0.4 ε=0.6', make: () => new GroupHuber({ shape: S, groupSize: 2, alpha: 0.4, epsilon: 0.6 }) },
  {
    name: 'GroupHuber G=2 per-block α, ε',
    make: () => new GroupHuber({ shape: S, groupSize: 2, alpha: [0.4, 1.1, 0.2], epsilon: [0.6, 0.3, 0.9] }),
  },
  {
    name: 'HuberConjugate aniso α=0.3 ε=0.1 (mixed activity)',
    make: () => without(new HuberConjugate({ shape: S, alpha: 0.3, epsilon: 0.1 }), 'valueParamGrad'),
    point: (r, m) => awayFrom(r, m, [0.3, 0.3 / 0.97, 0.4, 1], 0.03),
  },
  {
    name: 'HuberConjugate iso G=2 α=0.3 ε=0.1 (mixed activity)',
    make: () => without(new HuberConjugate({ shape: S, groupSize: 2, alpha: 0.3, epsilon: 0.1 }), 'valueParamGrad'),
    point: (r, m) => groupPoint(r, m, 2, 0.05, 2.5),
  },
  {
    name: 'HuberConjugate iso G=2 per-block (interior points)',
    make: () => new HuberConjugate({ shape: S, groupSize: 2, alpha: [0.3, 0.5, 0.8], epsilon: [0.1, 0.4, 0.2] }),
    point: (r, m) => groupPoint(r, m, 2, 0.05, 0.25),
  },
  {
    name: 'HuberConjugate vectorial G=6 α=0.5 ε=0.2',
    make: () => without(new HuberConjugate({ shape: S, groupSize: 6, alpha: 0.5, epsilon: 0.2 }), 'valueParamGrad'),
    point: (r, m) => groupPoint(r, m, 6, 0.05, 3),
  },
  { name: 'SmoothAbs λ=0.8 ν=0.3', make: () => new SmoothAbs({ shape: S, weight: 0.8, nu: 0.3 }) },
  { name: 'SmoothAbs G=2 per-block λ, ν', make: () => new SmoothAbs({ shape: S, groupSize: 2, weight: [0.8, 0.2, 1.5], nu: [0.3, 0.05, 1] }) },
  {
    name: 'SmoothAbs conjugate (Moreau) G=2',
    make: () => new SmoothAbs({ shape: S, groupSize: 2, weight: 0.9, nu: 0.4 }).conjugate(),
    point: (r, m) => groupPoint(r, m, 2, 0.05, 2),
  },
  { name: 'SquaredL2 λ=1.7', make: () => new SquaredL2({ shape: S, weight: 1.7 }) },
  { name: 'Box [−0.5, 0.7]', make: () => new Box({ shape: S, lower: -0.5, upper: 0.7 }), point: (r, m) => awayFrom(r, m, [0.5, 0.7]) },
  {
    name: 'Box per-entry bounds, one-sided',
    make: () => new Box({ shape: S, lower: uniformVec(3, n, -1, 0), upper: Infinity }),
  },
  { name: 'NonNegative', make: () => new NonNegative({ shape: S }), point: (r, m) => awayFrom(r, m, [0]) },
  {
    name: 'BoxSupport [−0.5, 0.7]',
    make: () => new BoxSupport({ shape: S, lower: -0.5, upper: 0.7 }),
    point: (r, m) => awayFrom(r, m, [0.05, 0.07, 0.5, 0.7, 3.5, 4.9]),
  },
  { name: 'QuadraticFidelity identity', make: () => new QuadraticFidelity({ shape: S, data: uniformVec(4, n, -1, 1) }) },
  {
    name: 'QuadraticFidelity identity μ=0.3',
    make: () => new QuadraticFidelity({ shape: S, data: uniformVec(4, n, -1, 1), mu: 0.3 }),
  },
  {
    name: 'QuadraticFidelity mask + μ=0.05',
    make: () =>
      new QuadraticFidelity({ shape: S, data: uniformVec(5, n, -1, 1), mask: uniformVec(6, n, 0, 1).map((t) => (t < 0.6 ? 1 : 0)), mu: 0.05 }),
  },
  {
    name: 'QuadraticFidelity mask, μ=0 (no conjugate)',
    make: () => new QuadraticFidelity({ shape: S, data: uniformVec(5, n, -1, 1), mask: uniformVec(6, n, 0, 1).map((t) => (t < 0.6 ? 1 : 0)) }),
  },
  {
    name: 'QuadraticFidelity diagonal',
    make: () => new QuadraticFidelity({ shape: S, data: uniformVec(7, n, -1, 1), diagonal: uniformVec(8, n, -2, 2) }),
  },
  {
    name: 'QuadraticFidelity general A 30×24 + μ=0.1 (CG)',
    make: () =>
      new QuadraticFidelity({ shape: S, data: uniformVec(9, 30, -1, 1), operator: randomMatrix(30, n, 10, S), mu: 0.1, cg: { tol: 1e-14 } }),
  },
  {
    name: 'QuadraticFidelity general A 16×24, μ=0 (CG, no conjugate)',
    make: () => new QuadraticFidelity({ shape: S, data: uniformVec(11, 16, -1, 1), operator: randomMatrix(16, n, 12, S), cg: { tol: 1e-14 } }),
  },
  {
    name: 'QuadraticFidelity mask + μ=0.05, conjugate g*',
    make: () =>
      new QuadraticFidelity({ shape: S, data: uniformVec(5, n, -1, 1), mask: uniformVec(6, n, 0, 1).map((t) => (t < 0.6 ? 1 : 0)), mu: 0.05 }).conjugate(),
  },
  {
    name: 'QuadraticFidelity general A + μ=0.1, conjugate g* (CG)',
    make: () =>
      new QuadraticFidelity({ shape: S, data: uniformVec(9, 30, -1, 1), operator: randomMatrix(30, n, 10, S), mu: 0.1, cg: { tol: 1e-14 } }).conjugate(),
  },
];

describeFunctionalSuite('prox functionals', functionalCases);
