/**
 * `@bilevel/cli`: the reference app `bilevel` as a library — experiment configs (zod schema and
 * JSON Schema), the experiment's data from files (cropped and degraded by the data pipeline of
 * `@bilevel/imaging`), training with checkpoints and resume, evaluation against a tuned TV baseline, applying a learned model to an image, reports with pictures and curves. The
 * executable is `main.ts` (`bilevel train|eval|denoise|deblur|experiments|schema`).
 * @packageDocumentation
 */

/**
 * The zod schema of experiment configs (strict objects: unknown keys are rejected with a
 * message naming them), its input/output types and section types.
 */
export {
  experimentConfigSchema,
  type ExperimentConfig,
  type ExperimentConfigInput,
  type ModelConfig,
  type HypergradientConfig,
  type OptimizerConfig,
  type DataConfig,
  type DegradationConfig,
  type ScheduleConfig,
} from './config/schema.js';
/**
 * Validate a parsed config and fill in defaults (`parseExperimentConfig`); the JSON Schema for
 * editors (`experimentJsonSchema`, from `z.toJSONSchema`).
 */
export { parseExperimentConfig, experimentJsonSchema, scheduleConfigSchema } from './config/schema.js';
/** Read a config file (JSON syntax errors with line and column) and validate it; read any JSON file. */
export { readJsonFile } from './config/load.js';
export { loadExperimentConfig, resolveModelReferences } from './config/experiment-file.js';
/**
 * Build the seeded training/test pairs of an experiment from its files (`buildDataset`: the
 * images of `data.source`, split, then cropped and degraded by `imagePairs` of
 * `@bilevel/imaging`, where the degradations, their data operators and the seeded streams live).
 */
export { buildDataset, configDirOf, type Dataset, type DatasetSources } from './data.js';
/**
 * Train a model into a run directory with progress, checkpoints, interruption and resume
 * (`runExperiment`, on core's `runAsync` with the budget as stop criteria, `trainingStop`).
 */
export {
  runExperiment,
  trainingStop,
  type RunExperimentOptions,
  type RunExperimentResult,
  type LogRow,
} from './run/train.js';
/** Progress display: a cli-progress bar on a TTY, plain lines otherwise, or nothing. */
export { createProgress, type ProgressMode, type ProgressReporter, type ProgressFields } from './run/progress.js';
/**
 * The files of a run directory (and which ones bilevel owns), the atomic writers used for them
 * (JSON by `stringifyJson`: non-finite numbers as "NaN"/"Infinity"/"-Infinity" strings).
 */
export { RUN_FILES, RUN_CHARTS, RUN_LOCK_FILE, isRunOwnedFile, runFile, writeFileAtomic, writeJsonAtomic, readJsonLines } from './run/files.js';
/** The exclusive lock of a run directory (owner pid and host, stale-lock take-over). */
export { acquireRunLock, type RunLock, type LockOwner } from './run/lock.js';
/** Opening a run directory safely for training (lock, refusals, replacing only bilevel's files). */
export { openRunFolder, type RunFolder, type RunFolderIntent } from './run/folder.js';
/** Stop requests of a running command: signals and closed output pipes. */
export { watchInterrupts, type Interrupts, type InterruptCause } from './run/interrupts.js';
/** The process line writers (a closed pipe is quiet). */
export { processIo, type OutputStream } from './run/output.js';
/** `run.json` (status, results), `params.json` (θ with names) and the saved config of a run. */
export {
  readStatus,
  readParams,
  stopWords,
  readRunConfig,
  type RunStatus,
  type RunResults,
  type PartPsnr,
  type ParamsFile,
} from './run/status.js';
/** `bilevel eval`: test PSNR/SSIM against the degraded input and a TV baseline tuned on the training crops. */
export {
  evaluateRun,
  tuneTvWeight,
  logGrid,
  type EvalResult,
  type MethodResult,
  type EvaluateOptions,
  type ImageMetrics,
  type TvBaseline,
  type TvGridPoint,
} from './eval.js';
/** `bilevel denoise` / `deblur` / `inpaint`: apply a learned model to an image file (and a mask); `readMask` reads the mask of `inpaint`. */
export { applyModel, readMask, type ApplyOptions, type ApplyResult, type InpaintMask } from './apply.js';
/** `bilevel eval --model … --images …`: a learned model against its stored TV baseline on any folder of images. */
export { evaluateModelOnFolder, loadEvaluationImages, withNoiseLevel, type FolderEvalOptions, type FolderEvalResult, type FolderImageMetrics, type FolderMetrics } from './eval-folder.js';
/** `report.md` of a run, rebuilt from its files. */
export { buildReport, writeReport } from './report/report.js';
/** Training curves and bar charts: Vega-Lite → SVG (vega, headless) → PNG (resvg). */
export { renderSvg, svgToPng, writeChart, curvesSpec, accuracySpec, psnrBarsSpec, type CurvePoint, type ChartFiles } from './report/plots.js';
/** Comparison grids with PSNR captions and the learned-filter picture. */
export { comparisonGrid, filterPicture, upscale, psnrOf, type GridRow } from './report/pictures.js';
/** The bundled experiment configs. */
export { listExperiments, resolveConfigPath, EXPERIMENTS_DIR, EXPERIMENT_ORDER, type BundledExperiment } from './experiments.js';
/** A learned model from a run directory or a model JSON file (`loadLearnedModel`), and a run's model data with its `meta` (`runModelSpec`). */
export {
  loadLearnedModel,
  runModelSpec,
  describeResults,
  shippedModelNames,
  shippedModelPath,
  MODELS_DIR,
  type LearnedModel,
  type ModelTask,
  type Provenance,
  type TvBaselineMeta,
} from './model-source.js';
/** A pretrained model from a completed run: its model JSON with provenance and measured results. */
export { pretrainedModelJson, type PretrainedOptions, type PretrainedEvaluation } from './pretrained.js';
/**
 * Upper-level methods side by side: test PSNR against work (`compareRuns`, `runComparison` of a
 * comparison file), the chart and the table (`writeComparison`).
 */
export {
  compareRuns,
  runComparison,
  writeComparison,
  comparisonSpec,
  comparisonMarkdown,
  type ComparisonResult,
  type ComparedRun,
  type TestPsnrPoint,
  type RunComparisonOptions,
} from './compare.js';
/** The command line, in-process: `runCli(argv, io)` returns the exit code. */
export { runCli, buildProgram, EXIT, type CliIo } from './cli.js';
/**
 * The wiring to the library packages: training problems (model + oracle), single
 * reconstructions, the TV baseline, optimizers.
 */
export { buildTrainingProblem, sampleProblemOf, trainingSetOf, reconstruct, reconstructModel, reconstructTv, reconstructTvBaseline, type TvBaselineSetting, tvDescription, derivedParams, filterBank } from './wiring/problem.js';
/** The upper-level optimizer of a config (`@bilevel/optimizers`). */
export { buildOptimizer, optimizerLabel } from './wiring/optimizer.js';
/**
 * The experiment's model through the registry of `@bilevel/models`: its data (`modelSpecOf`,
 * `initialModelSpec`), the built model (`buildModel`) and the form it trains (`trainedForm`).
 */
export { buildModel, initialModelSpec, modelOptions, modelSpecOf, trainedForm } from './wiring/models.js';
/** Types of the wiring layer. */
export type { TrainingProblem, Reconstruction, ReconstructOptions, ThetaProjection } from './wiring/types.js';
