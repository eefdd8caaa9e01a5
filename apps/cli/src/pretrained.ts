/**
 * Making a pretrained model: a completed run's `model.json` with its provenance — the one
 * command and the config that retrain it, how long it trained, and the numbers `bilevel eval
 * --model <name> --images …` measures with the stated options (apps/cli/models/README.md).
 * @module
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { ValidationError } from '@bilevel/core';
import { modelFromJson, modelToJson } from '@bilevel/models';
import type { ExperimentConfig } from './config/schema.js';
import { evaluateModelOnFolder, type FolderEvalOptions } from './eval-folder.js';
import { readCurve } from './report/artifacts.js';
import { runFile } from './run/files.js';
import { readRunConfig, readStatus } from './run/status.js';
import { resolvedConfig, trajectoryDiffs } from './run/train.js';

/** The `bilevel eval --model … --images …` options a pretrained model's numbers are measured with. */
export type PretrainedEvaluation = Required<Pick<FolderEvalOptions, 'images'>> & Pick<FolderEvalOptions, 'crops' | 'cropSize' | 'maxSide' | 'seed'>;

/** Options of {@link pretrainedModelJson}. */
export interface PretrainedOptions {
  /** The model's name (`--model <name>`). */
  readonly name: string;
  /** The one command that retrains it (`bilevel train …`). */
  readonly command: string;
  /**
   * The config of that command: the run's config with a budget of exactly the iterations the run
   * did (so retraining is deterministic even when the run stopped at a wall-time budget); every
   * other key that decides θ must be the run's.
   */
  readonly config: ExperimentConfig;
  /** Folder of the config file (a relative `data.source` folder is resolved against it; default `.`). */
  readonly configDir?: string;
  /** How its numbers are measured. */
  readonly evaluation: PretrainedEvaluation;
  /** The git commit of the code that trained it (`command` retrains θ bit for bit with that code). */
  readonly commit?: string;
  /** Progress lines. */
  readonly write?: (line: string) => void;
}

/**
 * The model JSON of a pretrained model made from the completed run in `runDir`: its `model.json`
 * (θ bit for bit, the tuned TV baseline) with `meta.name` and `meta.provenance` = `{ command,
 * config, training, evaluation, results }`, the results measured now by `bilevel eval --model
 * <runDir>` with `options.evaluation`: the means and `per_image` (each crop's numbers, which
 * `--limit n` reproduces for the first n).
 */
export function pretrainedModelJson(runDir: string, options: PretrainedOptions): string {
  const status = readStatus(runDir);
  if (status?.status !== 'completed') throw new ValidationError(`${runDir}: not a completed run (status ${status?.status ?? 'missing'}); a pretrained model needs its tuned TV baseline`);
  const diffs = trajectoryDiffs(readRunConfig(runDir), resolvedConfig(options.config, options.configDir ?? '.'));
  if (diffs.length) throw new ValidationError(`${runDir}: the given config differs from the run's config at ${diffs.join(', ')} (only keys that may change on --resume may differ)`);
  if (options.config.budget.iterations !== status.iteration || options.config.budget.wallTimeSeconds !== undefined || options.config.budget.lowerLevelIterations !== undefined) {
    throw new ValidationError(`${runDir}: the config must have budget { "iterations": ${status.iteration} } (the iterations the run did), so that retraining gives the same θ`);
  }
  const spec = modelFromJson(readFileSync(runFile(runDir, 'model'), 'utf8'), runFile(runDir, 'model'));
  // seconds in optimizer steps and work: run.json's results, or (a run trained with --no-report) the last log row
  const last = readCurve(runDir).at(-1);
  const seconds = status.results?.seconds ?? last?.seconds;
  const work = status.results?.totalIterations ?? last?.cost;
  const r = evaluateModelOnFolder({ model: runDir, ...options.evaluation, ...(options.write ? { write: options.write } : {}) });
  const meta = (spec.meta ?? {}) as Record<string, unknown>;
  const provenance = {
    command: options.command,
    config: options.config,
    training: {
      iterations: status.iteration,
      stopCause: status.stopCause,
      seconds,
      commandSeconds: status.commandSeconds,
      work,
      machine: `${availableParallelism()} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.versions.node}`,
      finishedAt: status.updatedAt,
      ...(options.commit ? { commit: options.commit } : {}),
    },
    evaluation: options.evaluation,
    results: {
      images: r.images,
      input_psnr: r.input_psnr,
      tv_psnr: r.tv_psnr,
      learned_psnr: r.learned_psnr,
      input_ssim: r.input_ssim,
      tv_ssim: r.tv_ssim,
      learned_ssim: r.learned_ssim,
      tv_weight: r.tv_weight,
      per_image: r.per_image,
    },
  };
  return modelToJson({ ...spec, meta: { ...meta, name: options.name, provenance } });
}
