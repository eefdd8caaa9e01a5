/**
 * Zero-mean filters: the projection the FoE code of the ISGD paper applies after every update
 * (`zero_mean()`), and the FoE initialisation of MAID (`FoE.py`) applies once.
 * @module
 */
import { subtractGroupMeans } from '@bilevel/core';
import type { ThetaProjection } from './model.js';

/**
 * Subtract each filter's mean, in place on θ: `filters` consecutive filters of `per` entries from
 * `offset`, each `k_i ← k_i − mean(k_i)` (the filter then has no response to a constant image).
 */
export function zeroMeanFilters(offset: number, filters: number, per: number): ThetaProjection {
  return (theta) => {
    subtractGroupMeans(theta, offset, filters, per);
  };
}
