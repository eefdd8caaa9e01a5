/**
 * `@bilevel/playground`: the page's training code without the page — a {@link TrainingSession}
 * (crops, degradation, model, oracle, optimizer, one step at a time), the models as data
 * (`{ kind, options, theta }`) and their reconstructions, and the replayed asynchronous step that
 * lets the synchronous optimizers use a promise-based compute backend. The browser worker and
 * the Node tests run exactly this code.
 * @packageDocumentation
 */
export { TrainingSession, METHODS, settingsSchema, trainingCrops, degradeCrops, type StepReport, type TrainingSettings } from './worker/session.js';
export {
  MODEL_KINDS, TV_SMOOTHING, initialModel, parseModelJson, modelOptions, thetaLength, thetaNames, buildTrainingModel, filtersOf, reconstruct,
  type ModelKind, type ModelJson, type DataTerm, type Sample, type TrainingModel, type ReconstructOptions, type Reconstruction,
} from './worker/model.js';
export { AsyncStepper, promisedOracle, backendOracle, type AsyncOracle, type OracleQuestion } from './worker/async-step.js';
