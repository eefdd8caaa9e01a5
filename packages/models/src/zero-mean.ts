/**
 * Zero-mean filters: the projection the FoE code of the ISGD paper applies after every update
 * (`zero_mean()`), and the FoE initialisation of MAID (`FoE.py`) applies once.
 * @module
 */
import type { ThetaProjection } from './model.js';

/**
 * Subtract each filter's mean, in place on θ: `filters` consecutive filters of `per` entries from
 * `offset`, each `k_i ← k_i − mean(k_i)` (the filter then has no response to a constant image).
 */
export function zeroMeanFilters(offset: number, filters: number, per: number): ThetaProjection {
  return (theta) => {
    for (let f = 0; f < filters; f++) {
      const o = offset + f * per;
      let mean = 0;
      for (let t = 0; t < per; t++) mean += theta[o + t]!;
      mean /= per;
      for (let t = 0; t < per; t++) theta[o + t] = theta[o + t]! - mean;
    }
  };
}
