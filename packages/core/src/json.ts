/**
 * JSON with non-finite numbers. `JSON.stringify` writes `NaN`, `Infinity` and `-Infinity` as
 * `null`, so an infinite error bound in a log or a diverged loss would read back as "no value".
 * {@link stringifyJson} writes them as the strings `"NaN"`, `"Infinity"` and `"-Infinity"`, and
 * {@link parseJson} reads those three strings back as numbers, so
 * `parseJson(stringifyJson(v))` equals `v` for every JSON-like value with numbers of any kind.
 * @module
 */
import { ValidationError } from './errors.js';

/** The strings that stand for the numbers JSON cannot hold. */
export const NON_FINITE_JSON: readonly string[] = ['NaN', 'Infinity', '-Infinity'];

function isNonFiniteTag(v: unknown): v is string {
  return v === 'NaN' || v === 'Infinity' || v === '-Infinity';
}

/**
 * `JSON.stringify` that writes `NaN`, `Infinity`, `-Infinity` as the strings `"NaN"`,
 * `"Infinity"`, `"-Infinity"` (instead of `null`). A *string* equal to one of these three would
 * read back as a number, so it is refused with a `ValidationError` naming its key.
 * @param value a JSON-like value (objects, arrays, strings, numbers, booleans, null)
 * @param space indentation, as for `JSON.stringify`
 */
export function stringifyJson(value: unknown, space?: number | string): string {
  return JSON.stringify(
    value,
    (key, v: unknown) => {
      if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
      if (isNonFiniteTag(v)) {
        throw new ValidationError(
          `stringifyJson: the string "${v}"${key ? ` at key "${key}"` : ''} would read back as the number ${v}; use another text`,
        );
      }
      return v;
    },
    space,
  );
}

/**
 * `JSON.parse` that reads the strings `"NaN"`, `"Infinity"`, `"-Infinity"` as the numbers
 * (the inverse of {@link stringifyJson}). Syntax errors are thrown as by `JSON.parse`.
 */
export function parseJson(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => (isNonFiniteTag(v) ? Number(v) : v));
}
