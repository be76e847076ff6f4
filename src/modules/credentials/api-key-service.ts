import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { newId } from '../../lib/ids.js';
import { parseStored } from '../../lib/json.js';
import type { Database } from '../../storage/schema.js';
import { ApiKeyStore } from './api-key-store.js';
import type { Scope } from './scopes.js';

/** Plain-text keys look like `tsk_<32 hex id>_<43 base64url secret>`. */
const KEY_PATTERN = /^tsk_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

/** Who is calling: what every route's authorization decision is made from. */
export interface Principal {
  credentialId: string;
  kind: 'api_key';
  environmentId: string;
  scopes: Scope[];
}

export interface CreatedApiKey {
  id: string;
  /** The only time the full key is available: it is stored hashed. */
  key: string;
  name: string;
  scopes: Scope[];
  environmentId: string;
  createdAt: number;
}

export interface ApiKeySummary {
  id: string;
  name: string;
  scopes: Scope[];
  createdAt: number;
  revokedAt: number | null;
}

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

function toRowId(hexId: string): string {
  return `${hexId.slice(0, 8)}-${hexId.slice(8, 12)}-${hexId.slice(12, 16)}-${hexId.slice(16, 20)}-${hexId.slice(20)}`;
}

/**
 * API keys: created per environment with scopes, stored as a SHA-256 of a 256-bit random
 * secret (a slow hash adds nothing at that entropy), compared in constant time.
 */
export class ApiKeyService {
  private readonly store: ApiKeyStore;

  constructor(db: Kysely<Database>) {
    this.store = new ApiKeyStore(db);
  }

  async createApiKey(environmentId: string, name: string, scopes: Scope[]): Promise<CreatedApiKey> {
    const id = newId();
    const secret = randomBytes(32).toString('base64url');
    const createdAt = Date.now();
    await this.store.insert({
      id,
      environment_id: environmentId,
      name,
      secret_hash: hashSecret(secret).toString('hex'),
      scopes: JSON.stringify(scopes),
      created_at: createdAt,
      revoked_at: null,
    });
    return {
      id,
      key: `tsk_${id.replaceAll('-', '')}_${secret}`,
      name,
      scopes,
      environmentId,
      createdAt,
    };
  }

  /** The principal for a presented key, or null when it is malformed, unknown or revoked. */
  async verifyApiKey(presented: string): Promise<Principal | null> {
    const match = KEY_PATTERN.exec(presented);
    if (!match) return null;
    const row = await this.store.findById(toRowId(match[1]!));
    if (!row || row.revoked_at !== null) return null;
    const expected = Buffer.from(row.secret_hash, 'hex');
    const actual = hashSecret(match[2]!);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
    return {
      credentialId: row.id,
      kind: 'api_key',
      environmentId: row.environment_id,
      scopes: parseStored<Scope[]>(row.scopes),
    };
  }

  async listApiKeys(environmentId: string): Promise<ApiKeySummary[]> {
    const rows = await this.store.findByEnvironment(environmentId);
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      scopes: parseStored<Scope[]>(row.scopes),
      createdAt: row.created_at,
      revokedAt: row.revoked_at,
    }));
  }

  /** Revokes a key of this environment; effective for the next request. */
  revokeApiKey(environmentId: string, id: string): Promise<boolean> {
    return this.store.revoke(environmentId, id, Date.now());
  }
}
