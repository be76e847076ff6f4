import type { FastifyInstance } from 'fastify';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';

interface Problem {
  instancePath: string;
  message: string;
  params: { missingProperty?: string };
}

/** TypeBox's errors in the shape platform/error-mapping.ts reads from Ajv's. */
export function problemsOf(schema: TSchema, value: unknown): Problem[] {
  const problems: Problem[] = [];
  for (const e of Value.Errors(schema, value)) {
    // The unknown property itself is reported by the `additionalProperties` entry.
    if (e.keyword === 'boolean') continue;
    const params = e.params as { requiredProperties?: string[]; additionalProperties?: string[] };
    if (params.requiredProperties) {
      for (const name of params.requiredProperties)
        problems.push({
          instancePath: e.instancePath,
          message: 'is required',
          params: { missingProperty: name },
        });
    } else if (params.additionalProperties) {
      for (const name of params.additionalProperties)
        problems.push({
          instancePath: `${e.instancePath}/${name}`,
          message: 'is not a known field',
          params: {},
        });
    } else problems.push({ instancePath: e.instancePath, message: e.message, params: {} });
  }
  return problems;
}

/**
 * Validates this surface's requests with TypeBox instead of the app's Ajv, which is configured
 * to drop unknown properties silently: a Synerise client that misspells a field must hear so
 * (400), not find it missing later. Paths and query strings are strings on the wire, so they
 * are converted (and defaults filled) first; bodies are checked as sent.
 */
export function registerStrictValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const typed = schema as TSchema;
    const convert = httpPart === 'params' || httpPart === 'querystring';
    return (data: unknown) => {
      const value = convert ? Value.Default(typed, Value.Convert(typed, data ?? {})) : data;
      const problems = problemsOf(typed, value);
      return problems.length > 0 ? { error: problems as unknown as Error } : { value };
    };
  });
}
