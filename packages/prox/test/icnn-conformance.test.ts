/**
 * ICNN operators and functionals in the conformance suites: one case per line (adjoint, norm
 * bounds, parameter VJPs and their bound; prox by definition, Fenchel–Young, Moreau where not
 * circular, biconjugate, prox Jacobians against finite differences away from kinks, gradients,
 * HVPs, Lipschitz constants, generalised Hessian inverses).
 */
import type { Rng} from '@bilevel/core';
import { type Vec } from '@bilevel/core';
import type { FunctionalCase } from '@bilevel/core/testing';
import { describeFunctionalSuite } from '@bilevel/core/testing/vitest';
import {
  IcnnDualTerm,
  IcnnPotential,
  LeakyReluEpigraph,
  LeakyReluEpigraphConjugate,
  SmoothReluSum,
  SmoothReluSumConjugate,
} from '@bilevel/prox';
import { without } from './helpers.js';



/** Pairs `(y₁, y₂)` of the epigraph conjugate's domain: zero, on the rays `p = a`, `p = 1`, or inside. */
function conePoint(rng: Rng, n: number, slope: number): Vec {
  const N = n / 2;
  const y = new Float64Array(n);
  for (let i = 0; i < N; i++) {
    const kind = i % 4;
    const t = 0.2 + 1.5 * rng.uniform();
    const p = kind === 1 ? slope : kind === 2 ? 1 : slope + (1 - slope) * (0.1 + 0.8 * rng.uniform());
    if (kind !== 0) {
      y[i] = p * t;
      y[N + i] = -t;
    }
  }
  return y;
}

/** Points of the hidden conjugate's box `[0, a]`: at the bounds and inside. */
function boxPoint(rng: Rng, n: number, a: readonly number[]): Vec {
  const y = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const aj = a[j % a.length]!;
    y[j] = j % 3 === 0 ? 0 : j % 3 === 1 ? aj : aj * (0.1 + 0.8 * rng.uniform());
  }
  return y;
}

const EPI = [2, 2, 3] as const; // 6 pairs, bias per 3 pairs
const epi = (o: { smoothing?: number; epsilon?: number; slope?: number } = {}) => ({ shape: [...EPI], slope: 0.2, bias: [0.3, -0.2], ...o });
const HID = { shape: [5], smoothing: 0.3, weight: [1.5, 0.7, 1, 2, 0.4], bias: [0.2, -0.1, 0, 0.3, -0.4] };

/** Arguments `u` of the smoothed ReLU sum away from its kinks `u_j + b_j ∈ {0, ω}`: below, inside, above. */
const reluArgument = (rng: Rng, n: number): Vec => {
  const u = new Float64Array(n);
  const at = [-0.5, 0.5 * HID.smoothing, 2 * HID.smoothing];
  for (let j = 0; j < n; j++) u[j] = at[(j + rng.int(0, 3)) % 3]! + 0.05 * rng.normal() - HID.bias[j % HID.bias.length]!;
  return u;
};
const dual = (epsilon: number) => new IcnnDualTerm(new LeakyReluEpigraphConjugate(epi({ smoothing: 0.4, epsilon })), new SmoothReluSumConjugate(HID));
const dualPoint = (rng: Rng, n: number): Vec => {
  const y = new Float64Array(n);
  y.set(conePoint(rng, 12, 0.2));
  y.set(boxPoint(rng, 5, HID.weight), 12);
  return y;
};

const functionalCases: FunctionalCase[] = [
  // epigraph indicator (leaky ReLU, non-smoothed and smoothed) and its Moreau envelope
  { name: 'LeakyReluEpigraph indicator, ω=0', make: () => new LeakyReluEpigraph(epi()) },
  { name: 'LeakyReluEpigraph indicator, ω=0.4', make: () => new LeakyReluEpigraph(epi({ smoothing: 0.4 })) },
  { name: 'LeakyReluEpigraph indicator, ReLU (a=0), ω=0.3', make: () => new LeakyReluEpigraph(epi({ slope: 0, smoothing: 0.3 })) },
  { name: 'LeakyReluEpigraph Moreau ε=0.5, ω=0.4 (smooth)', make: () => new LeakyReluEpigraph(epi({ smoothing: 0.4, epsilon: 0.5 })) },
  { name: 'LeakyReluEpigraph Moreau ε=0.3, ω=0 (smooth)', make: () => new LeakyReluEpigraph(epi({ epsilon: 0.3 })) },
  // its conjugate: prox checks at generic points, Hessian / inverse at points of the cone's faces
  {
    name: 'LeakyReluEpigraphConjugate ω=0, generic points (prox)',
    make: () => without(new LeakyReluEpigraphConjugate(epi()), 'hvp', 'minNormSubgradient'),
  },
  {
    name: 'LeakyReluEpigraphConjugate ω=0.4, generic points (prox)',
    make: () => without(new LeakyReluEpigraphConjugate(epi({ smoothing: 0.4 })), 'hvp', 'minNormSubgradient'),
  },
  {
    name: 'LeakyReluEpigraphConjugate ω=0.4 ε=0.5, generic points (prox)',
    make: () => without(new LeakyReluEpigraphConjugate(epi({ smoothing: 0.4, epsilon: 0.5 })), 'hvp', 'hvpInverse', 'minNormSubgradient'),
  },
  {
    name: 'LeakyReluEpigraphConjugate ω=0.4 ε=0.5, points on the cone (Hessian)',
    make: () => new LeakyReluEpigraphConjugate(epi({ smoothing: 0.4, epsilon: 0.5 })),
    point: (r, n) => conePoint(r, n, 0.2),
  },
  {
    name: 'LeakyReluEpigraphConjugate ω=0 ε=0.2, points on the cone (Hessian)',
    make: () => new LeakyReluEpigraphConjugate(epi({ epsilon: 0.2 })),
    point: (r, n) => conePoint(r, n, 0.2),
  },
  // the hidden layer (at points of the box's faces with zero bias the prox input sits on a kink of
  // the prox, so the face-point cases below hide proxJvp; the generic cases check it)
  { name: 'SmoothReluSum ω=0.3, per-unit a, b', make: () => new SmoothReluSum(HID) },
  { name: 'SmoothReluSum ω=0.05, shared a', make: () => new SmoothReluSum({ shape: [2, 3], smoothing: 0.05, weight: 0.8, bias: 0.1 }) },
  { name: 'SmoothReluSumConjugate, generic points (prox)', make: () => without(new SmoothReluSumConjugate(HID), 'hvp', 'hvpInverse', 'minNormSubgradient') },
  { name: 'SmoothReluSumConjugate, points of the box (Hessian)', make: () => without(new SmoothReluSumConjugate(HID), 'proxJvp'), point: (r, n) => boxPoint(r, n, HID.weight), pairPoint: reluArgument },
  // the ICNN's dual term and potential
  { name: 'IcnnDualTerm ε=0.5, generic points (prox)', make: () => without(dual(0.5), 'hvp', 'hvpInverse', 'minNormSubgradient') },
  { name: 'IcnnDualTerm ε=0.5, points of the faces (Hessian)', make: () => without(dual(0.5), 'proxJvp'), point: dualPoint, pairPoint: (r, n) => Float64Array.of(...r.normalVec(12), ...reluArgument(r, n - 12)) },
  { name: 'IcnnDualTerm ε=0, generic points (prox)', make: () => without(dual(0), 'hvp', 'minNormSubgradient') },
  { name: 'IcnnPotential ε=0.5 (smooth)', make: () => dual(0.5).conjugate() },
  { name: 'IcnnPotential ε=0 (constraint)', make: () => new IcnnPotential(new LeakyReluEpigraph(epi({ smoothing: 0.4 })), new SmoothReluSum(HID)) },
];

describeFunctionalSuite('ICNN functionals', functionalCases);
