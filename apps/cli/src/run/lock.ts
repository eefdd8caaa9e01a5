/**
 * The exclusive lock of a run directory: `run.lock`, created with `O_EXCL` (exactly one process
 * wins), holding the owner's pid, host, command and start time. `bilevel train` (fresh or
 * `--resume`) and `bilevel eval` take it before they write; a second command on the same folder
 * is refused with a message naming the owner. A lock whose process is gone (a crash, `kill -9`)
 * is stale and is taken over; a lock of another host cannot be checked and is only reported.
 * @module
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ValidationError, fileSystemError, parseJson, stringifyJson, systemErrorCode, z } from '@bilevel/core';
import { RUN_LOCK_FILE } from './files.js';

/** Contents of `run.lock`. */
export interface LockOwner {
  /** Always `bilevel-lock`. */
  readonly format: 'bilevel-lock';
  /** Process id of the owner. */
  readonly pid: number;
  /** Host name of the owner's computer. */
  readonly host: string;
  /** The command that holds the lock (`train`, `eval`). */
  readonly command: string;
  /** ISO time the lock was taken. */
  readonly startedAt: string;
}

/** A held lock; {@link RunLock.release} removes it (also on process exit). */
export interface RunLock {
  /** Path of the lock file. */
  readonly path: string;
  /** The owner written into the lock file. */
  readonly owner: LockOwner;
  /** Remove the lock file if it is still ours (idempotent). */
  release(): void;
}

const ownerSchema = z.object({
  format: z.literal('bilevel-lock'),
  pid: z.number().int().positive(),
  host: z.string(),
  command: z.string(),
  startedAt: z.string(),
});

/** A lock file younger than this whose contents cannot be read is being written: not stale. */
const UNREADABLE_GRACE_MS = 10_000;

type Found = { readonly kind: 'owner'; readonly owner: LockOwner; readonly text: string } | { readonly kind: 'missing' } | { readonly kind: 'unreadable'; readonly text: string };

function readLock(path: string): Found {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (systemErrorCode(e) === 'ENOENT') return { kind: 'missing' };
    throw fileSystemError(e, 'read the lock file', path);
  }
  try {
    const r = ownerSchema.safeParse(parseJson(text));
    return r.success ? { kind: 'owner', owner: r.data, text } : { kind: 'unreadable', text };
  } catch {
    return { kind: 'unreadable', text };
  }
}

/** Whether process `pid` exists on this host (`kill(pid, 0)`; EPERM: it exists, owned by someone else). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return systemErrorCode(e) === 'EPERM';
  }
}

/** Sleep `ms` milliseconds synchronously (bounded; between lock attempts only). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** Whether a found lock can be taken over: its process is gone (same host), or it is unreadable and old. */
function isStale(found: Found, path: string): boolean {
  if (found.kind === 'missing') return true;
  if (found.kind === 'unreadable') return ageMs(path) > UNREADABLE_GRACE_MS;
  return found.owner.host === hostname() && !processAlive(found.owner.pid);
}

function createExclusive(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if (systemErrorCode(e) === 'EEXIST') return false;
    throw fileSystemError(e, 'create the lock file', path);
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

/**
 * Remove a stale lock whose contents were `staleText`. Two processes may find the same stale
 * lock; the removal is serialised by a second exclusive file (`run.lock.break`), and the lock is
 * removed only if it still holds the stale contents (never a fresh lock another process just took).
 */
function breakStaleLock(path: string, staleText: string): void {
  const mutex = `${path}.break`;
  if (!createExclusive(mutex, String(process.pid))) {
    if (ageMs(mutex) > UNREADABLE_GRACE_MS) unlinkQuietly(mutex); // its breaker died: next attempt retries
    return;
  }
  try {
    const now = readLock(path);
    if (now.kind !== 'missing' && now.text === staleText) unlinkQuietly(path);
  } finally {
    unlinkQuietly(mutex);
  }
}

function lockedError(dir: string, path: string, found: Found): ValidationError {
  if (found.kind !== 'owner') {
    return new ValidationError(`${dir} is being locked by another bilevel command (${path} is incomplete); try again in a moment`);
  }
  const o = found.owner;
  if (o.host !== hostname()) {
    return new ValidationError(
      `${dir} is in use by \`bilevel ${o.command}\` on the computer ${o.host} (process ${o.pid}, since ${o.startedAt}), which cannot be checked from here; ` +
        `if no bilevel command runs there on this folder any more, delete ${path}`,
    );
  }
  return new ValidationError(
    `${dir} is in use by \`bilevel ${o.command}\` (process ${o.pid} on this computer, since ${o.startedAt}); ` +
      `wait for it to finish, stop it (kill ${o.pid}), or choose another folder`,
  );
}

/**
 * Take the lock of run directory `dir` (which must exist) for `command`. Throws a
 * `ValidationError` naming the owner when another live process holds it; a stale lock (its
 * process is gone) is taken over. The lock is released by {@link RunLock.release} or when the
 * process exits.
 */
export function acquireRunLock(dir: string, command: string): RunLock {
  const path = join(dir, RUN_LOCK_FILE);
  const owner: LockOwner = { format: 'bilevel-lock', pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString() };
  const text = `${stringifyJson(owner, 2)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusive(path, text)) {
      let held = true;
      const release = (): void => {
        if (!held) return;
        held = false;
        process.off('exit', release);
        const now = readLock(path);
        if (now.kind !== 'missing' && now.text === text) unlinkQuietly(path);
      };
      process.on('exit', release);
      return { path, owner, release };
    }
    const found = readLock(path);
    if (!isStale(found, path)) throw lockedError(dir, path, found);
    if (found.kind !== 'missing') breakStaleLock(path, found.text);
    pause(10 * (attempt + 1)); // let a competing process finish taking over the stale lock
  }
  throw new ValidationError(`cannot lock ${dir}: other processes keep taking ${path}; try again`);
}
