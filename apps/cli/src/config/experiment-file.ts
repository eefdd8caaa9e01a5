/**
 * Loading an experiment config file: JSON, model references resolved, validated.
 * @module
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ValidationError } from '@bilevel/core';
import { models } from '@bilevel/models';
import { configDirOf } from '../data.js';
import { loadLearnedModel, shippedModelPath } from '../model-source.js';
import { readJsonFile } from './load.js';
import { parseExperimentConfig, type ExperimentConfig } from './schema.js';

/**
 * `model.init.experts` given as a model reference — a pretrained model's name, or a model file
 * or run directory relative to the config's folder — replaced by that model's experts
 * (`models.experts`, e.g. of a trained `foe`), so the validated config (and the run folder's
 * copy of it) holds the numbers themselves.
 */
export function resolveModelReferences(raw: unknown, configPath: string): unknown {
  const model = (raw as { model?: { init?: { experts?: unknown } } } | null)?.model;
  const ref = model?.init?.experts;
  if (typeof ref !== 'string') return raw;
  const local = resolve(configDirOf(configPath), ref);
  const arg = !shippedModelPath(ref) && existsSync(local) ? local : ref;
  let experts;
  try {
    experts = models.experts(loadLearnedModel(arg).spec);
  } catch (e) {
    throw new ValidationError(`invalid experiment config ${configPath}:\n  model.init.experts: "${ref}": ${(e as Error).message}`);
  }
  const data = { ...experts, kernels: Array.from(experts.kernels), weights: Array.from(experts.weights), smoothings: Array.from(experts.smoothings) };
  return { ...(raw as object), model: { ...model, init: { ...model!.init, experts: data } } };
}

/**
 * Load an experiment config file: read, parse JSON, resolve model references
 * ({@link resolveModelReferences}), validate with the schema (unknown keys and wrong types are
 * reported with their paths) and fill in defaults.
 */
export function loadExperimentConfig(path: string): ExperimentConfig {
  return parseExperimentConfig(resolveModelReferences(readJsonFile(path, 'config file'), path), path);
}
