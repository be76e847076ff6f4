/** What a credential may do. `admin` includes every other scope. */
export const SCOPES = ['read', 'write', 'admin', 'privacy'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** True when `granted` allows a route that needs `needed`. */
export function hasScope(granted: readonly Scope[], needed: Scope): boolean {
  return granted.includes(needed) || granted.includes('admin');
}
