/**
 * Messages between the page and the training worker. Images travel as
 * `{ channels, height, width, data: Float64Array }` (structured clone).
 * @module
 */
import type { Image } from '@bilevel/imaging';
import type { ModelJson } from './worker/model.js';
import type { ExperimentJson, TrainingSettings } from './worker/experiment.js';
import type { StepReport } from './worker/session.js';

/** FoE filters for the page: `count` filters of `size × size`, filter by filter. */
export interface Filters {
  readonly count: number;
  readonly size: number;
  readonly data: Float64Array;
}

/** Which arithmetic the lower level runs in. */
export type BackendChoice = 'float64' | 'webgl';

/** What the worker found it can run. */
export interface BackendInfo {
  /** The gpu.js GPU mode that answers here (`webgl2`, `webgl`, `webgpu`), or null. */
  readonly gpuMode: string | null;
  /** Whether WebAssembly (with SIMD) is there for the fused Huber-TV kernel. */
  readonly wasm: boolean;
}

/** Page → worker. */
export type ToWorker =
  | { readonly type: 'probe' }
  | {
      readonly type: 'start';
      /** Where the clean image comes from: a URL to fetch (a bundled photograph, by name) or file bytes (by file name). */
      readonly source: { readonly url: string; readonly name: string } | { readonly bytes: ArrayBuffer; readonly name: string };
      /** Longer side of the image before cropping. */
      readonly maxSide: number;
      readonly settings: TrainingSettings;
      readonly backend: BackendChoice;
      /** Stop after this many iterations (the page can resume past it). */
      readonly iterations: number;
    }
  | { readonly type: 'pause' }
  | { readonly type: 'resume'; readonly iterations: number }
  | { readonly type: 'reset' }
  | { readonly type: 'apply'; readonly model: unknown; readonly bytes: ArrayBuffer | null; readonly name: string };

/** Worker → page. */
export type FromWorker =
  | { readonly type: 'probed'; readonly info: BackendInfo }
  | {
      readonly type: 'started';
      readonly clean: Image;
      readonly degraded: Image;
      readonly reconstruction: Image;
      readonly model: ModelJson;
      /** The run as an experiment config of `bilevel train` (the session is built from it). */
      readonly experiment: ExperimentJson;
      readonly filters: Filters | null;
      readonly names: readonly string[];
      /** What runs the lower level, e.g. `float64 JS (host)` or `gpu.js webgl2 (float32)`. */
      readonly backend: string;
      readonly precision: 'float64' | 'float32';
      readonly initialPsnr: number;
      readonly setupMs: number;
    }
  | { readonly type: 'step'; readonly report: StepReport; readonly reconstruction: Image; readonly model: ModelJson; readonly filters: Filters | null }
  | { readonly type: 'paused'; readonly iteration: number; readonly reason: 'budget' | 'pause' | 'converged' }
  | { readonly type: 'applied'; readonly input: Image; readonly output: Image; readonly solver: string; readonly iterations: number; readonly distance: number; readonly ms: number }
  | { readonly type: 'error'; readonly message: string };
