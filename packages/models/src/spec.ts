/**
 * A model is data: `{ kind, options, theta }` (plus free-form `meta`), from which any process —
 * a worker thread, a worker on another machine, a browser tab — rebuilds the same model through
 * the registry. The JSON form round-trips θ bit for bit (`stringifyJson` of `@bilevel/core`).
 * @module
 */
import { ValidationError, parseJson, parseOrThrow, stringifyJson, z } from '@bilevel/core';

/** The data form of a model. */
export interface ModelSpec {
  /** The registered kind, e.g. `huber-tv`. */
  readonly kind: string;
  /** The kind's options (validated by the kind's schema when the model is built). */
  readonly options: Readonly<Record<string, unknown>>;
  /** The parameters θ in the kind's layout. */
  readonly theta: readonly number[];
  /** Free-form JSON kept with the model (provenance, measured results, tuned baselines …). */
  readonly meta?: Readonly<Record<string, unknown>>;
}

/** zod schema of a {@link ModelSpec} (unknown top-level keys are rejected; θ finite). */
export const modelSpecSchema = z.strictObject({
  kind: z.string().min(1, 'must name a registered model kind'),
  options: z.record(z.string(), z.unknown()).default({}),
  theta: z.array(z.number().finite('θ entries must be finite numbers')),
  meta: z.record(z.string(), z.unknown()).optional(),
});

/** Validate a value as a {@link ModelSpec} (a `ValidationError` naming the offending key). */
export function parseModelSpec(value: unknown, what = 'model'): ModelSpec {
  return parseOrThrow(modelSpecSchema, value, what);
}

/** The JSON text of a model (θ written exactly, `-0` included). */
export function modelToJson(spec: ModelSpec, space: number | string = 2): string {
  return `${stringifyJson({ kind: spec.kind, options: spec.options, theta: spec.theta, ...(spec.meta ? { meta: spec.meta } : {}) }, space)}\n`;
}

/** A model from its JSON text ({@link modelToJson}); a `ValidationError` for bad JSON or a bad spec. */
export function modelFromJson(text: string, what = 'model JSON'): ModelSpec {
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (e) {
    throw new ValidationError(`${what}: not valid JSON (${(e as Error).message})`);
  }
  return parseModelSpec(value, what);
}
