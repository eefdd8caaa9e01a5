/**
 * The experiment's model through the registry of `@bilevel/models`: the `model` section of a
 * config is `{ kind, init, ridge, …options }` — `kind`, its options and its initialisation are
 * the registry's; `ridge` (μ/2‖x‖² in the data term) belongs to the training set. Nothing here
 * switches on the kind.
 * @module
 */
import type { Shape } from '@bilevel/core';
import { models, type ModelSpec, type VariationalModel } from '@bilevel/models';
import type { ExperimentConfig, ModelConfig } from '../config/schema.js';
import { streamFor } from '@bilevel/imaging';

/** The kind's options of a config's model section (everything but `kind`, `init`, `ridge`). */
export function modelOptions(m: ModelConfig): Record<string, unknown> {
  const { kind: _kind, init: _init, ridge: _ridge, ...options } = m as ModelConfig & Record<string, unknown>;
  return options;
}

/** The model data of an experiment at `theta`. */
export function modelSpecOf(config: ExperimentConfig, theta: ArrayLike<number>): ModelSpec {
  return { kind: config.model.kind, options: modelOptions(config.model), theta: Array.from(theta) };
}

/**
 * The experiment's model at its default initialisation on images of `shape` (random parts from
 * the experiment's `init` stream, so every run of a config starts identically).
 */
export function initialModelSpec(config: ExperimentConfig, shape: Shape): ModelSpec {
  const m = config.model;
  return models.initial(m.kind, modelOptions(m), m.init, { rng: streamFor(config.seed, 'init'), seed: config.seed, shape });
}

/** The experiment's model at `theta` for images of `shape`. */
export function buildModel(config: ExperimentConfig, theta: ArrayLike<number>, shape: Shape): VariationalModel {
  return models.build(modelSpecOf(config, theta), shape);
}

/** The form the experiment trains: the piggyback oracle uses the saddle form, the implicit oracle the smooth form. */
export function trainedForm(config: ExperimentConfig): 'saddle' | 'smooth' {
  return config.hypergradient.kind === 'piggyback' ? 'saddle' : 'smooth';
}
