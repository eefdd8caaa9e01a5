/**
 * Capability propagation for the calculus (scaling, argument transforms, separable sums, Moreau
 * conjugates and envelopes). A wrapper class implements every method its capability could
 * need; at construction it hides (sets to `undefined` on the instance) the methods whose
 * capability the wrapped functional lacks, so that `typeof w.prox === 'function'` tells the
 * truth and the conformance suites pick exactly the applicable checks
 * (docs/architecture.md#functionals-and-capabilities).
 * @module
 */
import type { Functional, Vec } from '@bilevel/core';

/** Optional methods of the functional contracts (`@bilevel/core` `contracts/functional.ts`). */
export const CAPABILITY_METHODS = [
  'prox',
  'proxJvp',
  'gradient',
  'hvp',
  'hvpInverse',
  'minNormSubgradient',
  'conjugate',
  'valueParamGrad',
  'proxParamVjp',
  'gradParamVjp',
  'gradParamJvp',
  'setParams',
  'paramNames',
] as const;

/** Name of an optional capability method. */
export type CapabilityMethod = (typeof CAPABILITY_METHODS)[number];

/** Whether `f` implements the method `key`. */
export function hasMethod(f: object, key: string): boolean {
  return typeof (f as Record<string, unknown>)[key] === 'function';
}

/** Whether `f` is learnable (owns parameters and implements `setParams`). */
export function isLearnable<F extends Functional>(
  f: F,
): f is F & { params: Float64Array; setParams(t: ArrayLike<number>): void; paramNames(): readonly string[] } {
  return hasMethod(f, 'setParams');
}

/**
 * Hide on `target` every capability method for which `present(key)` is false (own property set
 * to `undefined`), plus the `params` accessor when `setParams` is hidden.
 */
export function hideMissing(target: object, present: (key: CapabilityMethod) => boolean): void {
  for (const key of CAPABILITY_METHODS) {
    if (!present(key)) Object.defineProperty(target, key, { value: undefined, configurable: true, enumerable: false });
  }
  if (!present('setParams')) Object.defineProperty(target, 'params', { value: undefined, configurable: true, enumerable: false });
}

/**
 * A functional with every optional capability typed as optional: what the calculus accepts
 * (its wrappers then expose exactly the capabilities present).
 */
export type AnyFunctional = Functional & {
  prox?(v: Vec, tau: number, out: Vec): Vec;
  proxJvp?(v: Vec, tau: number, dv: Vec, out: Vec): Vec;
  gradient?(x: Vec, out: Vec): Vec;
  hvp?(x: Vec, v: Vec, out: Vec, pair?: Vec): Vec;
  hvpInverse?(x: Vec, v: Vec, out: Vec, pair?: Vec): Vec;
  readonly inverseHessianLipschitz?: { readonly point: number; readonly pair: number };
  readonly lipschitz?: number;
  minNormSubgradient?(x: Vec, shift: Vec, out: Vec): Vec;
  conjugate?(): Functional;
  /** `f*(y)` in closed form (see `HasConjugateValue`). */
  conjugateValue?(y: Vec): number;
  valueParamGrad?(x: Vec, grad: Float64Array, scale?: number): void;
  proxParamVjp?(v: Vec, tau: number, w: Vec, grad: Float64Array, scale?: number): void;
  gradParamVjp?(x: Vec, w: Vec, grad: Float64Array, scale?: number): void;
  gradParamJvp?(x: Vec, dTheta: ArrayLike<number>, out: Vec): Vec;
  readonly params?: Float64Array;
  paramNames?(): readonly string[];
  setParams?(theta: ArrayLike<number>): void;
};
