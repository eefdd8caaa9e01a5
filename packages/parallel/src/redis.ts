/**
 * The `redis` engine: BullMQ queues on a Redis server, workers on any machine.
 *
 * - Each worker (a solver thread of a `bilevel worker` process) has its own queue
 *   `<prefix>-w-<id>`, so a sample's tasks reach the worker that holds its warm states, and a
 *   heartbeat key `<prefix>:worker:<id>` (its version, expiring after 5 heartbeats).
 * - The trainer stores the problem's frame once under `<prefix>:problem:<id>`; workers fetch it
 *   when they first meet the problem. Tasks and outcomes are binary frames (base64 in the job
 *   data, which BullMQ keeps as JSON); a task's job id is `<session>.<task id>.<attempt>`, so an
 *   add repeated by a reconnecting client is the same job, and outcomes go to the trainer's own
 *   queue `<prefix>-r-<session>` under the same id — a task is never counted twice.
 * - A worker whose heartbeat expired is lost: its tasks are sent, with their warm states, to
 *   other workers. A job that Redis lost (a restart without persistence) is added again. A
 *   worker of another version is never sent work (and refuses it).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { ValidationError, parseOrThrow } from '@bilevel/core';
import { WorkerLostError, type Delivery, type Transport, type WorkMessage } from './dispatch.js';
import { decodeFrame, encodeFrame } from './frame.js';
import { redisOptionsSchema, type RedisOptions } from './redis-options.js';
import { COMPUTE_VERSION, type SampleOutcome, type SampleTask } from './task.js';
import { ThreadsTransport } from './threads.js';

/** Lifetime of the trainer's heartbeat key (refreshed every fifth of it). */
const TRAINER_TTL_MS = 30_000;

/** What a worker writes into its heartbeat key. */
interface WorkerInfo {
  readonly id: string;
  readonly version: string;
  readonly host: string;
  readonly pid: number;
}

const toBase64 = (frame: Uint8Array): string => Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('base64');
const fromBase64 = (s: string): Uint8Array => {
  const b = Buffer.from(s, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};

/** A Redis client that waits through outages (commands are queued until it reconnects). */
function client(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(50 * times, 1000) });
}

const workerKey = (prefix: string, id: string): string => `${prefix}:worker:${id}`;
const problemKey = (prefix: string, id: string): string => `${prefix}:problem:${id}`;
const trainerKey = (prefix: string, session: string): string => `${prefix}:trainer:${session}`;
const workQueue = (prefix: string, id: string): string => `${prefix}-w-${id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
const resultQueue = (prefix: string, session: string): string => `${prefix}-r-${session}`;

/** A job's payload: the task (binary frame, base64) and where the outcome goes. */
interface JobData {
  readonly payload: string;
  readonly replyTo: string;
  readonly trainer: string;
}

/** A pending send on the trainer. */
interface Pending {
  readonly worker: string;
  readonly jobId: string;
  readonly data: JobData;
  readonly sentAt: number;
  readonly resolve: (outcome: { outcome: SampleOutcome; bytes: number; codecMs: number }) => void;
  readonly reject: (e: Error) => void;
  checkedAt: number;
}

/** The trainer's side of the `redis` engine. */
export class RedisTransport implements Transport {
  private readonly o: ReturnType<typeof redisOptionsSchema.parse>;
  private readonly redis: Redis;
  private readonly session = randomBytes(6).toString('hex');
  private readonly queues = new Map<string, Queue>();
  private readonly results: Worker;
  private readonly pending = new Map<string, Pending>();
  private readonly excluded = new Map<string, string>();
  private readonly ignored = new Set<string>();
  private readonly attempts = new Map<string, number>();
  private readonly uploaded = new Set<string>();
  private liveCache: { at: number; ids: string[] } | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly beat: NodeJS.Timeout;
  private closed = false;
  private watching = false;

  /**
   * @param options the Redis URL, key prefix and how long to wait for workers
   * @param log receives lines about workers (ignored, lost)
   */
  constructor(
    options: RedisOptions,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.o = parseOrThrow(redisOptionsSchema, options, 'redis options');
    this.redis = client(this.o.url);
    this.results = new Worker(resultQueue(this.o.prefix, this.session), async (job: Job<{ payload: string }>) => this.deliver(job), {
      connection: { url: this.o.url },
      concurrency: 64,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 0 },
    });
    this.results.on('error', () => {});
    this.timer = setInterval(() => void this.watch(), 250);
    const heartbeat = (): void => void this.redis.set(trainerKey(this.o.prefix, this.session), '1', 'PX', TRAINER_TTL_MS).catch(() => {});
    heartbeat();
    this.beat = setInterval(heartbeat, TRAINER_TTL_MS / 5);
  }

  private deliver(job: Job<{ payload: string }>): void {
    const p = this.pending.get(job.id!);
    if (!p) {
      this.log(`refused an outcome for job ${job.id} that this trainer is not waiting for (stale)`);
      return;
    }
    this.pending.delete(job.id!);
    const t0 = performance.now();
    const outcome = decodeFrame(fromBase64(job.data.payload)) as SampleOutcome;
    p.resolve({ outcome, bytes: job.data.payload.length, codecMs: performance.now() - t0 });
  }

  /** Every 250 ms: lost workers' tasks fail over; jobs Redis lost are added again; the trainer's heartbeat. */
  private async watch(): Promise<void> {
    if (this.closed || this.pending.size === 0 || this.watching) return;
    this.watching = true;
    try {
      const now = Date.now();
      const live = new Set(await this.scanWorkers());
      for (const [jobId, p] of [...this.pending]) {
        if (!live.has(p.worker)) {
          this.pending.delete(jobId);
          p.reject(new WorkerLostError(`no heartbeat from worker ${p.worker}`));
          void this.queue(p.worker).obliterate({ force: true }).catch(() => {});
          continue;
        }
        if (now - p.checkedAt > 2000) {
          p.checkedAt = now;
          const state = await this.queue(p.worker).getJobState(jobId);
          if (state === 'unknown' && this.pending.has(jobId)) {
            this.log(`job ${jobId} was lost by Redis; adding it again`);
            await this.queue(p.worker).add('sample', p.data, { jobId, removeOnComplete: true, removeOnFail: true });
          }
        }
      }
    } catch {
      // Redis unreachable: try again on the next tick.
    } finally {
      this.watching = false;
    }
  }

  private queue(worker: string): Queue {
    let q = this.queues.get(worker);
    if (!q) {
      q = new Queue(workQueue(this.o.prefix, worker), { connection: this.redis });
      q.on('error', () => {});
      this.queues.set(worker, q);
    }
    return q;
  }

  /** Ids of the workers with a live heartbeat that run this trainer's version (others are logged once). */
  private async scanWorkers(): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', workerKey(this.o.prefix, '*'), 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    if (keys.length === 0) return [];
    const values = await this.redis.mget(keys);
    const ids: string[] = [];
    for (const v of values) {
      if (!v) continue;
      const info = JSON.parse(v) as WorkerInfo;
      if (info.version !== COMPUTE_VERSION) {
        if (!this.ignored.has(info.id)) this.log(`refused worker ${info.id} (${info.host}, pid ${info.pid}): it runs ${info.version}, this trainer ${COMPUTE_VERSION}`);
        this.ignored.add(info.id);
        continue;
      }
      if (!this.excluded.has(info.id)) ids.push(info.id);
    }
    return ids.sort();
  }

  /** The live workers of this version (waits for one; `waitForWorkersMs` bounds the wait). */
  async live(): Promise<string[]> {
    const now = Date.now();
    if (this.liveCache && now - this.liveCache.at < 200 && this.liveCache.ids.length > 0) return this.liveCache.ids;
    const t0 = now;
    let said = false;
    for (;;) {
      const ids = await this.scanWorkers();
      if (ids.length > 0) {
        this.liveCache = { at: Date.now(), ids };
        return ids;
      }
      if (this.o.waitForWorkersMs !== undefined && Date.now() - t0 > this.o.waitForWorkersMs) {
        throw new ValidationError(
          `redis engine: no worker of version ${COMPUTE_VERSION} at ${this.o.url} (prefix ${this.o.prefix}) within ${this.o.waitForWorkersMs} ms; start workers with \`bilevel worker --redis ${this.o.url}\``,
        );
      }
      if (!said) {
        this.log(`waiting for workers at ${this.o.url} (start them with \`bilevel worker --redis ${this.o.url}\`)`);
        said = true;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Add the task's job to the worker's queue and wait for its outcome. */
  async send(worker: string, message: WorkMessage): Promise<Delivery> {
    const t0 = performance.now();
    if (message.problem) await this.upload(message.problem);
    const key = `${message.task.id}.${worker}`;
    const attempt = this.attempts.get(key) ?? 0;
    this.attempts.set(key, attempt + 1);
    const jobId = `${this.session}.${message.task.id}.${attempt}`;
    const data: JobData = { payload: toBase64(encodeFrame({ task: message.task })), replyTo: resultQueue(this.o.prefix, this.session), trainer: trainerKey(this.o.prefix, this.session) };
    const codecMs = performance.now() - t0;
    const sentAt = Date.now();
    const done = new Promise<{ outcome: SampleOutcome; bytes: number; codecMs: number }>((resolve, reject) => {
      this.pending.set(jobId, { worker, jobId, data, sentAt, resolve, reject, checkedAt: sentAt });
    });
    await this.queue(worker).add('sample', data, { jobId, removeOnComplete: true, removeOnFail: true });
    const r = await done;
    return { outcome: r.outcome, bytesOut: data.payload.length, bytesIn: r.bytes, sentAt, codecMs: codecMs + r.codecMs };
  }

  private async upload(problem: { readonly id: string; readonly frame: Uint8Array }): Promise<void> {
    const key = problemKey(this.o.prefix, problem.id);
    if (this.uploaded.has(problem.id) && (await this.redis.exists(key))) {
      await this.redis.pexpire(key, 86_400_000);
      return;
    }
    await this.redis.set(key, Buffer.from(problem.frame.buffer, problem.frame.byteOffset, problem.frame.byteLength), 'PX', 86_400_000);
    this.uploaded.add(problem.id);
  }

  /** Never send work to `worker` again. */
  exclude(worker: string, reason: string): void {
    this.excluded.set(worker, reason);
    this.liveCache = undefined;
  }

  /** Close the queues, the outcome worker and the connection; remove this trainer's outcome queue. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearInterval(this.beat);
    for (const p of this.pending.values()) p.reject(new WorkerLostError('the trainer closed the engine'));
    this.pending.clear();
    await this.results.close(true).catch(() => {});
    const q = new Queue(resultQueue(this.o.prefix, this.session), { connection: this.redis });
    await q.obliterate({ force: true }).catch(() => {});
    await q.close().catch(() => {});
    await Promise.all([...this.queues.values()].map((x) => x.close().catch(() => {})));
    await this.redis.del(trainerKey(this.o.prefix, this.session)).catch(() => {});
    await this.redis.quit().catch(() => {});
  }
}

/** Options of {@link startRedisWorker}. */
export interface RedisWorkerOptions {
  /** The Redis server, `redis://host:port`. */
  readonly url: string;
  /** Key prefix shared with the trainers (default `bilevel`). */
  readonly prefix?: string;
  /** Solver threads, each a worker with its own queue (default 1). */
  readonly threads?: number;
  /** Heartbeat period in ms (default 2000); a worker is lost 5 heartbeats after its last. */
  readonly heartbeatMs?: number;
  /** The version this worker runs (default {@link COMPUTE_VERSION}; tests of refusals). */
  readonly version?: string;
  /** Receives one line per event (started, refused, errors). */
  readonly log?: (line: string) => void;
  /** Called when a worker starts a task (progress displays, tests). */
  readonly onTask?: (worker: string, task: SampleTask) => void;
}

/** A running Redis worker process part. */
export interface RedisWorkerHandle {
  /** The workers' ids (one per thread). */
  readonly ids: readonly string[];
  /** Tasks done so far. */
  readonly done: () => number;
  /** Stop taking tasks, finish the current ones, remove the heartbeats and stop the threads. */
  close(): Promise<void>;
}

/**
 * Start workers that take tasks from Redis (`bilevel worker --redis …`): one BullMQ worker per
 * solver thread on its own queue, a heartbeat key each, problems fetched from Redis once per
 * thread, outcomes added to the queue each task names. Solves run on worker threads, so the
 * process keeps answering Redis (locks, heartbeats) during long solves.
 */
export async function startRedisWorker(options: RedisWorkerOptions): Promise<RedisWorkerHandle> {
  const o = parseOrThrow(redisOptionsSchema.pick({ url: true, prefix: true }), { url: options.url, prefix: options.prefix }, 'redis worker options');
  const threads = options.threads ?? 1;
  const heartbeatMs = options.heartbeatMs ?? 2000;
  const version = options.version ?? COMPUTE_VERSION;
  const log = options.log ?? (() => {});
  const redis = client(o.url);
  const base = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const ids = Array.from({ length: threads }, (_, k) => `${base}-${k}`);
  const pool = new ThreadsTransport({ workers: threads, version });
  const threadOf = new Map(ids.map((id, k) => [id, `thread-${k}`]));
  const built = new Map(ids.map((id) => [id, new Set<string>()]));
  const replies = new Map<string, Queue>();
  let done = 0;
  const reply = (name: string): Queue => {
    let q = replies.get(name);
    if (!q) {
      q = new Queue(name, { connection: redis });
      q.on('error', () => {});
      replies.set(name, q);
    }
    return q;
  };
  const beat = async (): Promise<void> => {
    const multi = redis.multi();
    for (const id of ids) multi.set(workerKey(o.prefix, id), JSON.stringify({ id, version, host: hostname(), pid: process.pid } satisfies WorkerInfo), 'PX', 5 * heartbeatMs);
    await multi.exec();
  };
  await beat();
  const timer = setInterval(() => void beat().catch(() => {}), heartbeatMs);

  const run = async (id: string, task: SampleTask): Promise<SampleOutcome> => {
    const thread = threadOf.get(id)!;
    const have = built.get(id)!;
    for (let a = 0; a < 3; a++) {
      let problem: { id: string; frame: Uint8Array } | undefined;
      if (!have.has(task.problem)) {
        const frame = await redis.getBuffer(problemKey(o.prefix, task.problem));
        if (!frame) return { status: 'missing-problem', id: task.id, worker: id };
        problem = { id: task.problem, frame: new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength) };
      }
      try {
        const d = await pool.send(thread, { task, ...(problem ? { problem } : {}) });
        if (problem) have.add(task.problem);
        if (d.outcome.status === 'missing-problem') {
          have.clear();
          continue;
        }
        return { ...d.outcome, worker: id };
      } catch {
        have.clear(); // the thread crashed and was restarted: it holds nothing
      }
    }
    return { status: 'error', id: task.id, worker: id, error: { name: 'BilevelError', message: `worker ${id}: its solver thread failed three times` } };
  };

  const workers = ids.map((id) => {
    const w = new Worker(
      workQueue(o.prefix, id),
      async (job: Job<JobData>) => {
        const t0 = performance.now();
        // A job older than a trainer heartbeat's lifetime whose trainer is gone: nobody waits for it.
        if (Date.now() - job.timestamp > TRAINER_TTL_MS && !(await redis.exists(job.data.trainer))) return;
        const { task } = decodeFrame(fromBase64(job.data.payload)) as { task: SampleTask };
        const decodeMs = performance.now() - t0;
        options.onTask?.(id, task);
        const outcome = await run(id, task);
        const withCodec = outcome.status === 'done' ? { ...outcome, timing: { ...outcome.timing, codecMs: outcome.timing.codecMs + decodeMs } } : outcome;
        const payload = toBase64(encodeFrame(withCodec));
        await reply(job.data.replyTo).add('outcome', { payload }, { jobId: job.id!, removeOnComplete: true, removeOnFail: true });
        done++;
        if (outcome.status !== 'done') log(`worker ${id}: task for sample ${task.sample}: ${outcome.status}${outcome.status === 'refused' ? ` (${outcome.reason})` : ''}`);
      },
      { connection: { url: o.url }, concurrency: 1, lockDuration: 30_000, removeOnComplete: { count: 0 }, removeOnFail: { count: 0 } },
    );
    w.on('error', () => {});
    return w;
  });
  log(`worker ${base}: ${threads} solver thread(s) on ${o.url} (prefix ${o.prefix}), version ${version}`);
  return {
    ids,
    done: () => done,
    async close() {
      clearInterval(timer);
      await Promise.all(workers.map((w) => w.close().catch(() => {})));
      await Promise.all(ids.map((id) => redis.del(workerKey(o.prefix, id)).catch(() => {})));
      await Promise.all([...replies.values()].map((q) => q.close().catch(() => {})));
      await pool.close();
      await redis.quit().catch(() => {});
    },
  };
}
