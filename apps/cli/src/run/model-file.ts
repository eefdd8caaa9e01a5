/**
 * The `model.json` of a run directory: the learned model as the registry's model data
 * (`{ kind, options, theta, meta }` of `@bilevel/models`, see `runModelSpec`), written at every
 * checkpoint and at the end of training, when it also stores the TV baseline tuned on the run's
 * training crops — the weight `bilevel eval --model … --images …` compares the model with.
 * @module
 */
import { modelToJson } from '@bilevel/models';
import type { ExperimentConfig } from '../config/schema.js';
import type { ImagePair } from '@bilevel/imaging';
import { tuneTvWeight } from '../eval.js';
import { runModelSpec, type TvBaselineMeta } from '../model-source.js';
import { runFile, writeFileAtomic } from './files.js';

/**
 * Write `model.json` of the run in `dir` at θ, with the names of its training images (which
 * `bilevel eval --model` leaves out) and the tuned TV baseline when given, atomically.
 */
export function writeRunModel(dir: string, config: ExperimentConfig, theta: ArrayLike<number>, trainingImages: readonly string[], tvBaseline?: TvBaselineMeta): void {
  writeFileAtomic(runFile(dir, 'model'), modelToJson(runModelSpec(config, theta, tvBaseline, trainingImages)));
}

/**
 * The TV baseline of a run: the weight of the best mean PSNR on the training crops over the
 * config's `eval.tvWeights` grid, refined once (`tuneTvWeight`, the same search as `bilevel eval`).
 */
export function tuneTvBaseline(config: ExperimentConfig, train: readonly ImagePair[], write: (line: string) => void): TvBaselineMeta {
  const tv = tuneTvWeight(config, train, write);
  return { weight: tv.weight, trainPsnr: tv.trainPsnr, trainCrops: train.length };
}
