/**
 * Options of the `redis` engine (kept apart from the engine so that the trainer's thread does not
 * load BullMQ).
 * @module
 */
import { z } from '@bilevel/core';

/** zod schema of {@link RedisOptions}. */
export const redisOptionsSchema = z.strictObject({
  /** The Redis server, `redis://host:port` (or `rediss://…`, with a password as `redis://:pw@host:port`). */
  url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379'),
  /** Prefix of every key and queue name (default `bilevel`): trainers and workers of one cluster share it. */
  prefix: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only').default('bilevel'),
  /** A worker counts as lost when its heartbeat is older than this (ms, default 10000). */
  workerTimeoutMs: z.number().int().positive().default(10_000),
  /** How long a trainer waits for a first worker before failing (ms, default: forever). */
  waitForWorkersMs: z.number().int().positive().optional(),
});

/** Options of the `redis` engine. */
export type RedisOptions = z.input<typeof redisOptionsSchema>;
