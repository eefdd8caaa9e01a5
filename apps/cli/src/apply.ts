/**
 * `bilevel denoise` / `bilevel deblur`: apply a learned model to an image file.
 * @module
 */
import { resolve } from 'node:path';
import { ValidationError } from '@bilevel/core';
import { dropAlpha, fitMaxSide, getChannel, readImage, writePng, type Image } from '@bilevel/imaging';
import { readParams, readRunConfig } from './run/status.js';
import { reconstruct } from './wiring/problem.js';
import { stdoutLine } from './run/output.js';

/** Options of {@link applyModel}. */
export interface ApplyOptions {
  /** The run directory of `bilevel train` (holds `config.json` and `params.json`). */
  readonly model: string;
  /** Input image (PNG; JPEG also accepted). */
  readonly input: string;
  /** Output PNG. */
  readonly output: string;
  /** `denoise` or `deblur`: must match what the model was trained for. */
  readonly task: 'denoise' | 'deblur';
  /** Lower-level accuracy (default: the run's `eval.epsilon`). */
  readonly epsilon?: number;
  /** Iteration cap (default: the run's `eval.maxIterations`). */
  readonly maxIterations?: number;
  /** Shrink the input so its longer side is at most this many pixels first. */
  readonly maxSide?: number;
  /** Messages (default: stdout). */
  readonly write?: (line: string) => void;
}

/** Outcome of {@link applyModel}. */
export interface ApplyResult {
  /** The reconstructed image (also written to `output`). */
  readonly image: Image;
  /** Lower-level iterations, summed over channels. */
  readonly iterations: number;
  /** Largest certified distance bound over channels. */
  readonly distance: number;
}

/**
 * Reconstruct `input` with the learned model of a run and write `output` (PNG, 8 bit). Gray
 * models are applied to each colour channel separately; an alpha channel is dropped. The data
 * term is the one the model was trained with: plain denoising, or deblurring with the run's blur
 * kernel.
 */
export function applyModel(options: ApplyOptions): ApplyResult {
  const dir = resolve(options.model);
  const write = options.write ?? stdoutLine;
  const config = readRunConfig(dir, `--model ${options.model}`);
  const trainedFor = config.data.degradation.kind === 'noise' ? 'denoise' : 'deblur';
  if (trainedFor !== options.task) {
    throw new ValidationError(
      `--model ${options.model} was trained for ${trainedFor === 'denoise' ? 'denoising' : 'deblurring'}; use \`bilevel ${trainedFor}\` with it`,
    );
  }
  const params = readParams(dir);
  const theta = Float64Array.from(params.theta);
  let img = dropAlpha(readImage(options.input));
  if (options.maxSide) img = fitMaxSide(img, options.maxSide);
  const opts = { epsilon: options.epsilon ?? config.eval.epsilon, maxIterations: options.maxIterations ?? config.eval.maxIterations };
  write(`${options.task === 'denoise' ? 'denoising' : 'deblurring'} ${options.input} (${img.width}×${img.height}, ${img.channels} channel(s)) with ${config.name} …`);
  const out = new Float64Array(img.data.length);
  const n = img.height * img.width;
  let iterations = 0;
  let distance = 0;
  for (let c = 0; c < img.channels; c++) {
    const r = reconstruct(config, theta, getChannel(img, c), opts);
    out.set(r.image.data, c * n);
    iterations += r.iterations;
    distance = Math.max(distance, r.distance);
  }
  const image: Image = { channels: img.channels, height: img.height, width: img.width, data: out };
  writePng(options.output, image);
  write(`wrote ${options.output} (${iterations} lower-level iterations, certified distance ≤ ${distance.toPrecision(3)})`);
  return { image, iterations, distance };
}
