import { createHash, hash, timingSafeEqual } from 'node:crypto';

/** Prefixes of keys that carry their secret's id: `tsk_<id>_<secret>`, `twk_<id>_<secret>`. */
export const KEY_PREFIX = { api_key: 'tsk', write_key: 'twk', publishable_key: 'tpk' } as const;
export type KeyKind = keyof typeof KEY_PREFIX;

const KEY_PATTERN = /^(tsk|twk|tpk)_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export interface ParsedKey {
  kind: KeyKind;
  secretId: string;
  secret: string;
}

/** Splits a presented key into its kind, secret row id and secret; null when malformed. */
export function parseKey(presented: string): ParsedKey | null {
  const match = KEY_PATTERN.exec(presented);
  if (!match) return null;
  const hex = match[2]!;
  return {
    kind: ({ tsk: 'api_key', twk: 'write_key', tpk: 'publishable_key' } as const)[
      match[1] as 'tsk' | 'twk' | 'tpk'
    ],
    secretId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
    secret: match[3]!,
  };
}

/** SHA-256 (hex) of a secret: how keys are stored, and the key of the verified-key cache. */
export function hashSecret(secret: string): string {
  // One-shot: every authenticated request hashes its key (createHash costs twice as much).
  return hash('sha256', secret, 'hex');
}

/** Constant-time check of a presented secret against a stored SHA-256 (hex); never throws. */
export function secretMatches(presented: string, storedHash: string | null): boolean {
  if (!storedHash) return false;
  const expected = Buffer.from(storedHash, 'hex');
  const actual = createHash('sha256').update(presented).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
