/**
 * Process-wide count of the gpu.js instances this package created and has not yet destroyed.
 * @module
 */

let liveInstances = 0;

/** Record a created gpu.js instance. */
export function noteCreated(): void {
  liveInstances++;
}

/** Record a destroyed gpu.js instance. */
export function noteDisposed(): void {
  liveInstances--;
}

/**
 * Number of gpu.js `GPU` instances created by this package's backends and not yet disposed
 * (process-wide; a leak test asserts it returns to its starting value).
 */
export function liveGpuInstances(): number {
  return liveInstances;
}
