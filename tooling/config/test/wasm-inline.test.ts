/**
 * The `;; @inline` expansion of the WebAssembly assembly script: a marked helper's calls become
 * its body with the arguments substituted (in one pass), the helper is dropped, and calls that
 * pass anything but locals or constants are refused.
 */
import { describe, expect, it } from 'vitest';
import { inlineMarked } from '../scripts/wasm.js';

const helper = `
  ;; @inline
  (func $axpy (param $a f64) (param $x f64) (param $y f64) (result f64)
    (f64.add (f64.mul (local.get $a) (local.get $x)) (local.get $y)))`;

describe('inlineMarked', () => {
  it('expands calls into the body, substituting every parameter once, and drops the helper', () => {
    const wat = `(module${helper}
  (func (export "f") (param $x f64) (param $a f64) (result f64)
    (call $axpy (local.get $x) (local.get $a) (f64.const 2))))`;
    const out = inlineMarked(wat);
    expect(out).not.toContain('$axpy');
    expect(out).not.toContain('@inline');
    // a ← x, x ← a: the swap survives (no second substitution of the inserted arguments)
    expect(out).toContain('(f64.add (f64.mul (local.get $x) (local.get $a)) (f64.const 2))');
  });

  it('leaves sources without markers unchanged', () => {
    const wat = '(module (func (export "g") (result f64) (f64.const 1)))';
    expect(inlineMarked(wat)).toBe(wat);
  });

  it('refuses a call whose argument is an expression (it would be evaluated once per use)', () => {
    const wat = `(module${helper}
  (func (export "f") (param $x f64) (result f64)
    (call $axpy (f64.neg (local.get $x)) (local.get $x) (local.get $x))))`;
    expect(() => inlineMarked(wat)).toThrow(/must pass 3 locals or constants/);
  });
});
