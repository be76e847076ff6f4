import { describe, expect, it } from 'vitest';
import { getOwn, setOwn } from './json-value.js';

describe('setOwn', () => {
  it('stores a client key as an own data property, `__proto__` included, without touching prototypes', () => {
    const obj: Record<string, unknown> = {};
    setOwn(obj, '__proto__', { polluted: true });
    setOwn(obj, 'constructor', 1);
    setOwn(obj, 'plain', 2);
    setOwn(obj, 'plain', 3);
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(obj)).toEqual(['__proto__', 'constructor', 'plain']);
    expect(getOwn(obj, '__proto__')).toEqual({ polluted: true });
    expect(JSON.parse(JSON.stringify(obj))).toEqual(
      JSON.parse('{"__proto__":{"polluted":true},"constructor":1,"plain":3}'),
    );
  });
});
