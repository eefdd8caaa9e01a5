/**
 * Reading JSON files (configs, params, checkpoints) with messages that name the file and, for
 * syntax errors, the line and column.
 * @module
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { FileSystemError, ValidationError, fileSystemError, parseJson, systemErrorCode } from '@bilevel/core';

/** Line and column (1-based) of a character offset in `text`. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

/**
 * Offset of the first JSON syntax error in `text` (a small recursive-descent scan; Node 20's
 * `JSON.parse` messages do not always carry a position), or -1 when none is found.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const string = (): void => {
    if (text[i] !== '"') fail();
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      i += text[i] === '\\' ? 2 : 1;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = (): void => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail();
    i += m![0].length;
  };
  /** The comma-separated items of an object or array after its opening bracket, through `close`. */
  const sequence = (close: string, item: () => void): void => {
    i++;
    ws();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      ws();
      if (text[i] === ',') i++;
      else if (text[i] === close) {
        i++;
        return;
      } else fail();
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      sequence('}', () => {
        ws();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
      });
    } else if (c === '[') sequence(']', value);
    else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else number();
  };
  try {
    value();
    ws();
    return i < text.length ? i : -1;
  } catch (at) {
    return typeof at === 'number' ? at : -1;
  }
}

/**
 * Read and parse a JSON file with `parseJson` of `@bilevel/core` (the strings "NaN",
 * "Infinity", "-Infinity" read as numbers). A missing or unreadable file throws a
 * `FileSystemError` naming it, a folder or invalid JSON a `ValidationError` (with line and
 * column of the syntax error).
 * @param path the file
 * @param what what the file is, for messages (e.g. `config file`)
 */
export function readJsonFile(path: string, what = 'JSON file'): unknown {
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw new ValidationError(`${what} ${path} is a directory; pass a .json file`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (systemErrorCode(e) === 'ENOENT') throw new FileSystemError(`${what} not found: ${path} (resolved to ${resolve(path)}); check the path`, path, 'ENOENT');
    throw fileSystemError(e, `read the ${what}`, path);
  }
  if (text.trim() === '') throw new ValidationError(`${what} ${path} is empty; it must hold a JSON object`);
  try {
    return parseJson(text);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    const offset = m ? Number(m[1]) : jsonErrorOffset(text);
    const where = offset >= 0 ? (({ line, column }) => ` at line ${line}, column ${column}`)(lineColumn(text, offset)) : '';
    throw new ValidationError(`${what} ${path} is not valid JSON${where}: ${msg.split('\n')[0]}`);
  }
}
