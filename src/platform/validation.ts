import { AjvCompiler, type ValidatorFactory } from '@fastify/ajv-compiler';

/**
 * Request validation with Fastify's own Ajv compiler, stricter for bodies than its defaults.
 * A body is checked as it was sent: no type coercion (a `null` would otherwise become `false`,
 * `"5"` a number, `"x"` an array) and no removal of fields a schema does not allow (they would
 * be dropped silently: a misspelt setting must be refused, not ignored). Params, query strings
 * and headers arrive as text, so they keep Fastify's coercion to the schema's types, and unknown
 * query parameters (a client's cache-buster) are still ignored.
 */
export function requestValidators(): ValidatorFactory {
  const pool = AjvCompiler();
  return (externalSchemas, options) => {
    const text = pool(externalSchemas, options);
    const body = pool(externalSchemas, {
      ...options,
      mode: undefined,
      customOptions: { ...options?.customOptions, coerceTypes: false, removeAdditional: false },
    });
    return (route) => (route.httpPart === 'body' ? body(route) : text(route));
  };
}
