/**
 * JSON with every float64. `JSON.stringify` writes `NaN`, `Infinity` and `-Infinity` as `null`
 * (so an infinite error bound in a log would read back as "no value") and `-0` as `0`.
 * {@link stringifyJson} writes them as the strings `"NaN"`, `"Infinity"`, `"-Infinity"` and
 * `"-0"`, and {@link parseJson} reads those four strings back as numbers, so
 * `parseJson(stringifyJson(v))` equals `v` bit for bit for every JSON-like value (finite numbers
 * are written in the shortest form that reads back exactly).
 * @module
 */
import { ValidationError } from './errors.js';

/** The strings that stand for the numbers JSON cannot hold (and for `-0`, which it writes as `0`). */
export const NON_FINITE_JSON: readonly string[] = ['NaN', 'Infinity', '-Infinity', '-0'];

function isNonFiniteTag(v: unknown): v is string {
  return v === 'NaN' || v === 'Infinity' || v === '-Infinity' || v === '-0';
}

/**
 * `JSON.stringify` that writes `NaN`, `Infinity`, `-Infinity`, `-0` as the strings `"NaN"`,
 * `"Infinity"`, `"-Infinity"`, `"-0"` (instead of `null`, `0`). A *string* equal to one of these
 * would read back as a number, so it is refused with a `ValidationError` naming its key.
 * @param value a JSON-like value (objects, arrays, strings, numbers, booleans, null)
 * @param space indentation, as for `JSON.stringify`
 */
export function stringifyJson(value: unknown, space?: number | string): string {
  return JSON.stringify(
    value,
    (key, v: unknown) => {
      if (typeof v === 'number') return Number.isFinite(v) ? (Object.is(v, -0) ? '-0' : v) : String(v);
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
 * `JSON.parse` that reads the strings `"NaN"`, `"Infinity"`, `"-Infinity"`, `"-0"` as the
 * numbers (the inverse of {@link stringifyJson}). Syntax errors are thrown as by `JSON.parse`.
 */
export function parseJson(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => (isNonFiniteTag(v) ? Number(v) : v));
}
