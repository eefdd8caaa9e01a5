/**
 * `@bilevel/optimizers/node`: file helpers for Node.js — atomic checkpoint files and JSON-lines
 * logs. Kept out of the main entry point so the algorithms stay I/O-free and browser-safe.
 * @packageDocumentation
 */
import {
  closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ValidationError, fileSystemError, parseJson, type Certificate, type CheckpointEveryOptions, type RunCallbacks } from '@bilevel/core';
import { parseCheckpoint, toJsonLine } from './checkpoint.js';
import { optimizerCheckpoints } from './run.js';
import type { Checkpoint, Optimizer, OptimizerState } from './types.js';

/** Test hooks of {@link writeCheckpointAtomic}. */
export interface AtomicWriteHooks {
  /**
   * Called after the temporary file is written and fsync'ed, before the rename. Throwing here
   * simulates a crash between the two (the previous checkpoint must survive).
   */
  readonly beforeRename?: (tmpPath: string) => void;
}

let tmpCounter = 0;

/**
 * Write `data` to `path` atomically: write a temporary file in the same directory, `fsync`
 * it, `rename` it over `path` (atomic on POSIX file systems), then `fsync` the directory
 * (best effort). A crash at any point leaves either the old or the new file, never a torn one.
 */
export function writeFileAtomic(path: string, data: string, hooks: AtomicWriteHooks = {}): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${tmpCounter++}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
  closeSync(fd);
  hooks.beforeRename?.(tmp);
  renameSync(tmp, path);
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* directories cannot be fsync'ed on every platform */
  }
}

/** Write a checkpoint as JSON to `path` atomically ({@link writeFileAtomic}). */
export function writeCheckpointAtomic(path: string, checkpoint: Checkpoint, hooks: AtomicWriteHooks = {}): void {
  writeFileAtomic(path, JSON.stringify(checkpoint), hooks);
}

/**
 * Read and validate a checkpoint file written by {@link writeCheckpointAtomic}; a missing or
 * unreadable file throws a `FileSystemError`, a corrupt one a `ValidationError`, both naming it.
 */
export function readCheckpoint(path: string): Checkpoint {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw fileSystemError(e, 'read the checkpoint', path);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ValidationError(`checkpoint ${path}: not readable JSON (${(e as Error).message})`);
  }
  return parseCheckpoint(value);
}

/**
 * Checkpoints of `optimizer` to the file `path`, written atomically every `every` steps and at
 * the stop: {@link optimizerCheckpoints} with {@link writeCheckpointAtomic}, a callback of `run` /
 * `runAsync` of `@bilevel/core`.
 */
export function checkpointToFile<S extends OptimizerState>(
  optimizer: Optimizer<S>, path: string, every: number, options: CheckpointEveryOptions = {},
): RunCallbacks<S, unknown, Certificate> {
  return optimizerCheckpoints(optimizer, every, (c) => writeCheckpointAtomic(path, c), options);
}

/** Options of {@link JsonlWriter}. */
export interface JsonlWriterOptions {
  /** Start with an empty file (default false: append). */
  readonly truncate?: boolean;
  /**
   * On resume, keep only the existing lines for which this returns true (e.g.
   * `(r) => r.iteration < state.iteration`, dropping records written after the checkpoint).
   */
  readonly keep?: (record: Record<string, unknown>) => boolean;
}

/** Append-only JSON-lines writer (one {@link toJsonLine} per record, synchronous appends). */
export class JsonlWriter {
  private fd: number | null;

  /**
   * Open `path` for appending (creating it), after truncating or filtering per `options`; a
   * file-system failure throws a `FileSystemError` naming the file.
   */
  constructor(readonly path: string, options: JsonlWriterOptions = {}) {
    try {
      if (options.truncate) writeFileSync(path, '');
      else if (options.keep && existsSync(path)) {
        const keep = options.keep;
        const lines = readJsonl(path).filter((r) => keep(r as Record<string, unknown>));
        writeFileAtomic(path, lines.map((l) => toJsonLine(l) + '\n').join(''));
      }
      this.fd = openSync(path, 'a');
    } catch (e) {
      throw fileSystemError(e, 'write the log', path);
    }
  }

  /** Append one record. */
  write(record: unknown): void {
    if (this.fd === null) throw new ValidationError(`JsonlWriter ${this.path}: closed`);
    writeSync(this.fd, toJsonLine(record) + '\n');
  }

  /** Flush to disk (`fsync`). */
  sync(): void {
    if (this.fd !== null) fsyncSync(this.fd);
  }

  /** Close the file. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * Parse a JSON-lines file (blank lines skipped; a torn last line from a crash is ignored), with
 * `parseJson` of `@bilevel/core`: the strings `"NaN"`, `"Infinity"`, `"-Infinity"` written by
 * {@link toJsonLine} read back as numbers.
 */
export function readJsonl(path: string): unknown[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: unknown[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(parseJson(line));
    } catch (e) {
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim() !== '')) {
        throw new ValidationError(`${path}:${i + 1}: invalid JSON (${(e as Error).message})`);
      }
    }
  });
  return out;
}
