/**
 * A piscina task module for `threads.test.ts`: reports how the thread loaded it — `module` (an ES
 * module, as the trainer's thread loads the sources) or `commonjs` (the sources compiled to
 * CommonJS by a `require()`, whose cross-module calls go through export getters).
 */
export default function moduleFormat(): 'module' | 'commonjs' {
  return typeof require === 'undefined' ? 'module' : 'commonjs';
}
