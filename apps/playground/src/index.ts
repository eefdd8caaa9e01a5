/**
 * `@bilevel/playground`: the page's training code without the page — the page's setup as an
 * experiment config of `bilevel train` ({@link experimentConfig}), a {@link TrainingSession}
 * built from it (the pairs of the data pipeline of `@bilevel/imaging`, model, oracle, optimizer,
 * one step at a time), the models as data
 * (`{ kind, options, theta }`) and their reconstructions, and the replayed asynchronous step that
 * lets the synchronous optimizers use a promise-based compute backend. The browser worker and
 * the Node tests run exactly this code.
 * @packageDocumentation
 */
export { TrainingSession, type StepReport, type SessionOptions } from './worker/session.js';
export { METHODS, settingsSchema, experimentConfig, type TrainingSettings, type ExperimentJson, type ImageSource } from './worker/experiment.js';
export {
  MODEL_KINDS, TV_SMOOTHING, initialModel, parseModelJson, modelOptions, modelPreset, thetaLength, thetaNames, buildTrainingModel, filtersOf, reconstruct,
  type ModelKind, type ModelJson, type ModelPreset, type DataTerm, type Sample, type TrainingModel, type TrainingModelOptions, type ReconstructOptions, type Reconstruction,
} from './worker/model.js';
export { AsyncStepper, promisedOracle, backendOracle, type AsyncOracle, type OracleQuestion } from './worker/async-step.js';
