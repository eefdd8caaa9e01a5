import { describe, expect, it } from 'vitest';
import {
  BilevelError, FileSystemError, ValidationError, asFileSystemError, fileSystemError, parseJson, stringifyJson, systemErrorCode,
} from '@bilevel/core';

describe('stringifyJson / parseJson', () => {
  it('round-trips non-finite numbers that JSON.stringify turns into null', () => {
    const value = { bound: Infinity, low: -Infinity, loss: NaN, list: [1, Infinity, -0.5], nested: { x: [NaN] }, s: 'text', n: null, b: true };
    const text = stringifyJson(value);
    expect(JSON.stringify(value)).toContain('"bound":null');
    expect(text).toContain('"bound":"Infinity"');
    expect(text).toContain('"low":"-Infinity"');
    expect(text).toContain('"loss":"NaN"');
    const back = parseJson(text) as typeof value;
    expect(back.bound).toBe(Infinity);
    expect(back.low).toBe(-Infinity);
    expect(back.loss).toBeNaN();
    expect(back.list).toEqual([1, Infinity, -0.5]);
    expect(back.nested.x[0]).toBeNaN();
    expect([back.s, back.n, back.b]).toEqual(['text', null, true]);
  });

  it('keeps finite numbers bit for bit and indents like JSON.stringify', () => {
    const v = { a: 0.1 + 0.2, b: 1e-310, c: -1.7976931348623157e308, d: [1, 2] };
    expect(stringifyJson(v, 2)).toBe(JSON.stringify(v, null, 2));
    expect(parseJson(stringifyJson(v))).toEqual(v);
  });

  it('refuses a string that would read back as a number, naming its key', () => {
    expect(() => stringifyJson({ description: 'Infinity' })).toThrow(ValidationError);
    expect(() => stringifyJson({ description: 'NaN' })).toThrow(/"NaN" at key "description" would read back as the number/);
    expect(stringifyJson({ description: 'Infinity and beyond' })).toBe('{"description":"Infinity and beyond"}');
  });

  it('throws JSON syntax errors like JSON.parse', () => {
    expect(() => parseJson('{"a": 1,}')).toThrow(SyntaxError);
  });
});

describe('fileSystemError', () => {
  const sys = (code: string, syscall: string, path: string): Error => Object.assign(new Error(`${code}: something, ${syscall} '${path}'`), { code, syscall, path, errno: -1 });

  it('names the path, the cause in words with its code, and a fix', () => {
    const e = fileSystemError(sys('EACCES', 'open', '/x/y'), 'write', '/x/y');
    expect(e).toBeInstanceOf(FileSystemError);
    expect(e.message).toBe('cannot write /x/y: permission denied (EACCES); check the permissions of the path and of its folder, or choose another location');
    expect((e as FileSystemError).path).toBe('/x/y');
    expect((e as FileSystemError).code).toBe('EACCES');
    expect(fileSystemError(sys('ENOENT', 'open', 'a'), 'read', 'a', 'create it first').message).toBe('cannot read a: no such file or folder (ENOENT); create it first');
    expect(fileSystemError(sys('EWHATEVER', 'open', 'a'), 'read', 'a').message).toMatch(/^cannot read a: EWHATEVER: .*; check the path and its permissions$/);
  });

  it('leaves bilevel errors alone and maps raw system errors by their system call', () => {
    const mine = new ValidationError('already clear');
    expect(fileSystemError(mine, 'read', 'p')).toBe(mine);
    expect(asFileSystemError(mine)).toBeUndefined();
    expect(asFileSystemError(new Error('plain'))).toBeUndefined();
    const m = asFileSystemError(sys('ENOTDIR', 'mkdir', '/f/sub'))!;
    expect(m).toBeInstanceOf(BilevelError);
    expect(m.message).toMatch(/^cannot create the folder \/f\/sub: a part of the path is a file, not a folder \(ENOTDIR\)/);
    expect(systemErrorCode(sys('EEXIST', 'mkdir', 'x'))).toBe('EEXIST');
    expect(systemErrorCode({ code: 'ERR_INVALID_ARG_TYPE' })).toBeUndefined();
  });
});
