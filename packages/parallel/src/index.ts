/**
 * `@bilevel/parallel`: per-sample hypergradient work in parallel, behind the oracle contract of
 * `@bilevel/core`. A {@link ParallelOracle} sends each sample's solve of an evaluation to an
 * engine — `inline` (this thread), `threads` (worker threads through piscina) or `redis` (BullMQ
 * queues on a Redis server, workers on any machine: {@link startRedisWorker}) — and reduces the
 * per-sample estimates in batch order with the reducers of `@bilevel/hypergrad`, so θ
 * trajectories, logs and checkpoints are identical bit for bit for every engine and worker count.
 * Work is sent as data: the problem once ({@link SampleProblem}: model JSON, samples, data
 * operators), then θ, tolerances and warm-state tokens per task, typed arrays in binary.
 * @packageDocumentation
 */
export { encodeFrame, decodeFrame, digest, payloadBytes } from './frame.js';
export {
  buildProblem,
  encodeProblem,
  parseSampleProblem,
  problemId,
  sampleProblemSchema,
  type BuiltProblem,
  type ProblemOracle,
  type ProblemSample,
  type SampleProblem,
} from './problem.js';
export { COMPUTE_VERSION, PROTOCOL_VERSION, taskId, type SampleOutcome, type SampleTask, type TaskTiming, type TaskWarm } from './task.js';
export { SampleRuntime, type SampleRuntimeOptions } from './runtime.js';
export { Ownership } from './schedule.js';
export { Dispatcher, WorkerLostError, type Delivery, type DispatchResult, type DispatcherOptions, type TaskReport, type Transport, type WorkMessage } from './dispatch.js';
export { ThreadsTransport, type ThreadsOptions } from './threads.js';
export { InlineEngine, BridgedEngine, defaultWorkers, type EngineSpec, type SampleEngine } from './engine.js';
export { ParallelOracle, computeOptionsSchema, type ComputeOptions, type ParallelOracleOptions, type ResolvedComputeOptions } from './oracle.js';
export { ParallelStats, type ParallelTotals } from './stats.js';
export { redisOptionsSchema, type RedisOptions } from './redis-options.js';
export { errorData, errorFromData, type ErrorData } from './errors.js';
export { RedisTransport, startRedisWorker, type RedisWorkerHandle, type RedisWorkerOptions } from './redis.js';
