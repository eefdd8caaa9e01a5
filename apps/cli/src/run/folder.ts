/**
 * Opening the run directory of `bilevel train` safely: create it if missing, take its lock, and
 * decide — before anything is written — whether the command may start afresh, resume, or must
 * refuse. A folder of other files is never written into; replacing a run removes exactly the
 * files bilevel writes ({@link isRunOwnedFile}); an unfinished run needs `--resume` or `--force`;
 * a completed run of another experiment needs `--force`. Every refusal says what to do, and no
 * advice points back at the command that gave it.
 * @module
 */
import { existsSync, readdirSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BilevelError, FileSystemError, ValidationError, fileSystemError, systemErrorCode } from '@bilevel/core';
import { makeDirectory } from '@bilevel/imaging/node';
import { RUN_FILES, RUN_LOCK_FILE, isRunOwnedFile, runFile } from './files.js';
import { acquireRunLock, type RunLock } from './lock.js';
import { readStatus, type RunStatus } from './status.js';

/** What the command wants to do with the run directory. */
export interface RunFolderIntent {
  /** Continue the run from its checkpoint (`--resume`). */
  readonly resume: boolean;
  /** Replace an unfinished run or a completed run of another experiment (`--force`). */
  readonly force: boolean;
  /** Name of the experiment about to run. */
  readonly name: string;
}

/** An opened, locked run directory. */
export interface RunFolder {
  /** Absolute path. */
  readonly dir: string;
  /** `run.json` of the run already in the folder (undefined for a new or empty folder). */
  readonly previous: RunStatus | undefined;
  /** A fresh start: remove the files of the previous run (only files bilevel writes). */
  clear(): void;
  /**
   * Give up before anything was written (a config or data error): release the lock and remove
   * the folder again if this command created it.
   */
  abandon(): void;
  /** Release the lock (idempotent). */
  release(): void;
}

/** Names in `dir` other than the lock files. */
function contents(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => !f.startsWith(RUN_LOCK_FILE));
  } catch (e) {
    throw fileSystemError(e, 'list the folder', dir);
  }
}

/** `run.json` of `dir`, `undefined` when absent, or the reason it cannot be read. */
function previousRun(dir: string): { status?: RunStatus; unreadable?: string } {
  try {
    const status = readStatus(dir);
    return status ? { status } : {};
  } catch (e) {
    if (e instanceof FileSystemError || !(e instanceof BilevelError)) throw e;
    return { unreadable: e.message };
  }
}

function unfinishedAdvice(dir: string, status: RunStatus, hasCheckpoint: boolean): string {
  const how = status.status === 'running' ? 'its process ended without stopping cleanly' : 'interrupted';
  if (!hasCheckpoint) {
    return (
      `${dir} holds a run of "${status.name}" that stopped before its first checkpoint (${how}), so there is nothing to resume; ` +
      'start it again with --force, or choose another --out'
    );
  }
  const at = status.checkpointIteration !== undefined ? ` (checkpoint at iteration ${status.checkpointIteration})` : '';
  return `${dir} holds an ${status.status === 'running' ? 'unfinished' : 'interrupted'} run of "${status.name}"${at}; continue it with --resume, replace it with --force, or choose another --out`;
}

/** Throw unless the intent is allowed on the folder's current contents (nothing is changed). */
function checkIntent(dir: string, names: readonly string[], intent: RunFolderIntent): RunStatus | undefined {
  const { status, unreadable } = previousRun(dir);
  const hasCheckpoint = existsSync(runFile(dir, 'checkpoint'));
  if (intent.resume) {
    if (unreadable) throw new ValidationError(`--resume: ${unreadable}; the run cannot be resumed — replace it with --force (without --resume), or choose another --out`);
    if (!status) throw new ValidationError(`--resume: ${dir} holds no bilevel run (no ${RUN_FILES.status}); start the run without --resume`);
    if (!hasCheckpoint) {
      throw new ValidationError(
        `--resume: the run of "${status.name}" in ${dir} stopped before its first checkpoint (${RUN_FILES.checkpoint} is missing), so there is nothing to resume; start it again with --force (without --resume)`,
      );
    }
    return status;
  }
  if (names.length === 0) return undefined;
  if (unreadable) {
    if (!intent.force) throw new ValidationError(`${unreadable}; replace the run with --force, or choose another --out`);
    return undefined;
  }
  if (!status) {
    throw new ValidationError(
      `${dir} is not empty and holds no bilevel run (no ${RUN_FILES.status}); bilevel does not write into a folder of other files (not even with --force): choose a new or empty folder for --out`,
    );
  }
  if (intent.force) return status;
  if (status.status === 'running' || status.status === 'interrupted') throw new ValidationError(unfinishedAdvice(dir, status, hasCheckpoint));
  if (status.name !== intent.name) {
    throw new ValidationError(
      `${dir} holds a ${status.status} run of another experiment ("${status.name}"); replace it with --force, or choose another --out`,
    );
  }
  return status;
}

/**
 * Open the run directory `outDir` for `bilevel train`: create it if missing (folder by folder,
 * see `makeDirectory`), take its lock ({@link acquireRunLock}), and check that the intent is
 * allowed. On a refusal the lock is released and a folder this call created is removed again.
 */
export function openRunFolder(outDir: string, intent: RunFolderIntent): RunFolder {
  const dir = resolve(outDir);
  let created = false;
  let isDirectory: boolean | undefined;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch (e) {
    const code = systemErrorCode(e);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fileSystemError(e, 'use the run folder', dir);
  }
  if (isDirectory === false) {
    throw new FileSystemError(`--out ${outDir} is a file, not a folder; choose a new or empty folder for the run`, dir, 'ENOTDIR');
  }
  if (isDirectory === undefined) {
    if (intent.resume) throw new ValidationError(`--resume: ${dir} does not exist, so there is no run to resume; start the run without --resume`);
    makeDirectory(dir);
    created = true;
  }
  const lock: RunLock = acquireRunLock(dir, 'train');
  const abandon = (): void => {
    lock.release();
    if (!created) return;
    try {
      rmdirSync(dir); // only if still empty
    } catch {
      /* not empty: leave it */
    }
  };
  let previous: RunStatus | undefined;
  try {
    previous = checkIntent(dir, contents(dir), intent);
  } catch (e) {
    abandon();
    throw e;
  }
  return {
    dir,
    previous,
    clear: () => {
      for (const name of contents(dir).filter(isRunOwnedFile)) {
        try {
          unlinkSync(join(dir, name));
        } catch (e) {
          if (systemErrorCode(e) !== 'ENOENT') throw fileSystemError(e, 'remove the old run file', join(dir, name));
        }
      }
    },
    abandon,
    release: () => lock.release(),
  };
}
