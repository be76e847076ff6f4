/**
 * Why a string or number parsed from a client's JSON cannot be stored as it was sent, or
 * undefined. JSON.parse lets all three through: a string with an unpaired UTF-16 surrogate
 * (`"\ud800"`), which SQLite and PostgreSQL text turn into U+FFFD, so that an id no longer
 * matches itself; a NUL character, which PostgreSQL text cannot hold at all; and a number beyond
 * a double (`1e400`), which parses as Infinity and is written back as `null`.
 */
export function unstorable(value: unknown): string | undefined {
  if (typeof value === 'string') {
    if (!value.isWellFormed()) return 'a string with an unpaired UTF-16 surrogate';
    return value.includes('\u0000') ? 'a NUL character (U+0000)' : undefined;
  }
  if (typeof value === 'number')
    return Number.isFinite(value) ? undefined : 'a number too large for a double';
  return undefined;
}

/**
 * Where the first key or value `unstorable` refuses is, as `events[0].userId` (`''` for the
 * value itself), for the error that names it. Only called once a body was found to hold one.
 */
export function unstorablePath(value: unknown): string | undefined {
  const stack: Array<[unknown, string]> = [[value, '']];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (node === null || typeof node !== 'object') {
      if (unstorable(node)) return path;
      continue;
    }
    const isArray = Array.isArray(node);
    for (const key of Object.keys(node).reverse()) {
      const at = isArray ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
      if (!isArray && unstorable(key)) return at;
      stack.push([(node as Record<string, unknown>)[key], at]);
    }
  }
  return undefined;
}

/**
 * Replaces, in place, every unpaired UTF-16 surrogate in the string values (not the keys) of a
 * parsed JSON object with U+FFFD, which is what storing them would make of them anyway. Only for
 * free-form data (event properties, traits, context), where a client that cut a string through
 * an emoji should not lose its whole batch; ids keep being refused (see `unstorable`).
 */
export function wellFormValues(value: unknown): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const child = record[key];
      if (typeof child === 'string') {
        if (!child.isWellFormed()) record[key] = child.toWellFormed();
      } else if (child !== null && typeof child === 'object') stack.push(child);
    }
  }
}
