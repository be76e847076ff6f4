import { AjvCompiler, type ValidatorCompiler, type ValidatorFactory } from '@fastify/ajv-compiler';

/**
 * Request validation with Fastify's own Ajv compiler, stricter for bodies than its defaults.
 * A body is checked as it was sent: no type coercion (a `null` would otherwise become `false`,
 * `"5"` a number, `"x"` an array) and no removal of fields a schema does not allow (they would
 * be dropped silently: a misspelt setting must be refused, not ignored). Params, query strings
 * and headers arrive as text, so they keep Fastify's coercion to the schema's types, and unknown
 * query parameters (a client's cache-buster) are still ignored; but a text that coerces to a
 * number past every bound (`Infinity`, `1e400`, which Ajv's bounds let through) is refused.
 */
export function requestValidators(): ValidatorFactory {
  const pool = AjvCompiler();
  return (externalSchemas, options) => {
    const text = pool(externalSchemas, options);
    const body = pool(externalSchemas, {
      ...options,
      mode: undefined, // JSON Schema, as Fastify's own (the options' type also admits JTD)
      customOptions: { ...options?.customOptions, coerceTypes: false, removeAdditional: false },
    });
    return (route) => (route.httpPart === 'body' ? body(route) : finiteOnly(text(route)));
  };
}

type Validate = ReturnType<ValidatorCompiler>;

/** `check`, then no top-level value may be a non-finite number. */
function finiteOnly(check: Validate): Validate {
  const validate = ((data: unknown) => {
    if (!check(data)) {
      validate.errors = check.errors;
      return false;
    }
    // for…in, not Object.entries: this runs for every request, on its params.
    for (const key in data as Record<string, unknown>) {
      const value = (data as Record<string, unknown>)[key];
      if (typeof value === 'number' && !Number.isFinite(value)) {
        validate.errors = [
          {
            instancePath: `/${key}`,
            schemaPath: '#',
            keyword: 'type',
            params: {},
            message: 'must be a finite number',
          },
        ];
        return false;
      }
    }
    validate.errors = null;
    return true;
  }) as Validate;
  return validate;
}
