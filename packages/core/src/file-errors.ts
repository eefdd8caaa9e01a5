/**
 * One mapping from the error codes of the file system (`ENOENT`, `EACCES`, `ENOTDIR`, …) to a
 * {@link FileSystemError} whose message names the path, says what went wrong in words and how to
 * fix it. Pure (no Node import), so every package maps errors the same way.
 * @module
 */
import { BilevelError, FileSystemError } from './errors.js';

/** What a system error code means, and what to do about it. */
interface CauseText {
  readonly what: string;
  readonly fix: string;
}

const CAUSES: Readonly<Record<string, CauseText>> = {
  ENOENT: { what: 'no such file or folder', fix: 'check the path (a missing folder has to be created first)' },
  EACCES: { what: 'permission denied', fix: 'check the permissions of the path and of its folder, or choose another location' },
  EPERM: { what: 'operation not permitted', fix: 'check the permissions of the path and of its folder, or choose another location' },
  EEXIST: { what: 'it already exists', fix: 'choose another path, or move the existing file away' },
  ENOTDIR: { what: 'a part of the path is a file, not a folder', fix: 'choose a path whose parent folders are folders' },
  EISDIR: { what: 'it is a folder, not a file', fix: 'pass the path of a file' },
  EROFS: { what: 'the file system is read-only', fix: 'choose a location on a writable file system' },
  ENOSPC: { what: 'no space left on the device', fix: 'free some space or choose another disk' },
  EDQUOT: { what: 'the disk quota is exhausted', fix: 'free some space or choose another disk' },
  EMFILE: { what: 'too many open files', fix: 'close other programs or raise the open-file limit (ulimit -n)' },
  ENFILE: { what: 'too many open files in the system', fix: 'close other programs and try again' },
  ENAMETOOLONG: { what: 'the path is too long', fix: 'choose a shorter path' },
  ELOOP: { what: 'too many symbolic links', fix: 'check the symbolic links in the path' },
  EBUSY: { what: 'the file or folder is busy', fix: 'close the programs that use it and try again' },
  EIO: { what: 'an input/output error of the device', fix: 'check the disk or choose another location' },
  EINVAL: { what: 'the file system does not support this here', fix: 'choose a location on an ordinary disk' },
  EXDEV: { what: 'it crosses file systems', fix: 'keep the files on one file system' },
  ENOTEMPTY: { what: 'the folder is not empty', fix: 'choose an empty folder' },
};

/** What a failed system call was doing, in words (`mkdir` → `create the folder`). */
const ACTIONS: Readonly<Record<string, string>> = {
  open: 'open',
  read: 'read',
  write: 'write',
  mkdir: 'create the folder',
  rmdir: 'remove the folder',
  unlink: 'remove',
  rename: 'rename',
  scandir: 'list the folder',
  stat: 'access',
  lstat: 'access',
  access: 'access',
  link: 'create',
  fsync: 'write',
  copyfile: 'copy',
};

/** The fields of a Node.js system error (`err.code`, `err.syscall`, `err.path`). */
interface SystemErrorLike {
  readonly code?: unknown;
  readonly syscall?: unknown;
  readonly path?: unknown;
  readonly message?: unknown;
}

/** The system error code of `e` (`ENOENT`, …), if it has one. */
export function systemErrorCode(e: unknown): string | undefined {
  const code = (e as SystemErrorLike | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/**
 * A {@link FileSystemError} for a failed file-system call: `cannot <action> <path>: <what>
 * (<CODE>); <fix>`. A `BilevelError` is returned unchanged (it already says what to do).
 * @param cause the error thrown by the file-system call
 * @param action what was being done, in words (`read the config file`, `write`, `create the folder`)
 * @param path the file or folder
 * @param fix a more specific fix than the default one of the error code
 */
export function fileSystemError(cause: unknown, action: string, path: string, fix?: string): BilevelError {
  if (cause instanceof BilevelError) return cause;
  const code = systemErrorCode(cause);
  const text = code ? CAUSES[code] : undefined;
  const what = text ? `${text.what} (${code})` : code ? `${code}: ${String((cause as SystemErrorLike).message)}` : String((cause as SystemErrorLike)?.message ?? cause);
  return new FileSystemError(`cannot ${action} ${path}: ${what}; ${fix ?? text?.fix ?? 'check the path and its permissions'}`, path, code);
}

/**
 * The {@link FileSystemError} of a raw Node.js system error that carries its path and system call
 * (the last line of defence of a command line), or `undefined` for any other error.
 */
export function asFileSystemError(e: unknown): FileSystemError | undefined {
  if (e instanceof FileSystemError) return e;
  if (e instanceof BilevelError) return undefined;
  const code = systemErrorCode(e);
  const { path, syscall } = (e ?? {}) as SystemErrorLike;
  if (!code || typeof path !== 'string') return undefined;
  const action = typeof syscall === 'string' ? (ACTIONS[syscall] ?? syscall) : 'use';
  return fileSystemError(e, action, path) as FileSystemError;
}
