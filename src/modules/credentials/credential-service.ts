import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { AppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import { parseStored } from '../../lib/json.js';
import type { SecretBox } from '../../lib/secret-box.js';
import { isUniqueViolation } from '../../storage/errors.js';
import type { Database } from '../../storage/schema.js';
import { type CredentialRow, CredentialStore, type SecretRow } from './credential-store.js';
import type {
  CredentialKind,
  CredentialSettings,
  CredentialSummary,
  IssuedSecret,
} from './credential-types.js';
import type { Scope } from './scopes.js';
import { hashSecret, KEY_PREFIX } from './secret-format.js';

export interface CreateCredentialInput {
  kind: CredentialKind;
  name: string;
  /** Default: read (or the kind's fixed scopes). */
  scopes?: Scope[];
  settings?: CredentialSettings;
  /** HMAC users: the user id clients sign with (required). */
  userId?: string;
  /** HMAC users: a private key to use instead of a generated one. */
  privateKey?: string;
}

/**
 * Kinds whose scopes are fixed: write keys only write; publishable keys (public, embedded in web
 * pages) read and write the profiles they created, through the Experience API only. Asking for
 * another scope is refused rather than quietly narrowed.
 */
const FIXED_SCOPES: Partial<Record<CredentialKind, Scope[]>> = {
  write_key: ['write'],
  publishable_key: ['read', 'write'],
};

function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Credentials of an environment: API keys, write keys, OAuth clients and HMAC users. Secrets are
 * returned once, at creation or rotation. Keys and client secrets are stored as SHA-256 hashes
 * (they are 256-bit random, so a slow hash adds nothing); HMAC private keys must be recoverable
 * to check signatures and are encrypted under the master key instead.
 */
export class CredentialService {
  private readonly store: CredentialStore;

  constructor(
    db: Kysely<Database>,
    private readonly box: SecretBox,
    private readonly rotationGraceSeconds: number,
    /** Tells this process's caches (see CredentialVerifier): a revocation, or a rotation. */
    private readonly onChanged: (
      credentialId: string,
      how: 'revoked' | 'rotated',
    ) => void = () => {},
  ) {
    this.store = new CredentialStore(db);
  }

  async create(environmentId: string, input: CreateCredentialInput): Promise<IssuedSecret> {
    const fixed = FIXED_SCOPES[input.kind];
    const extra = fixed && input.scopes?.filter((scope) => !fixed.includes(scope));
    if (extra?.length) {
      throw new AppError('validation_failed', `A ${input.kind} cannot have ${extra.join(', ')}.`, [
        { field: 'scopes', message: `a ${input.kind} has ${fixed!.join(' and ')} only` },
      ]);
    }
    const now = Date.now();
    const id = newId();
    let publicId: string | null = null;
    if (input.kind === 'oauth_client') publicId = randomBytes(24).toString('hex');
    if (input.kind === 'hmac_user') {
      if (!input.userId) throw new AppError('validation_failed', 'An HMAC user needs a userId.');
      const taken = await this.store.findByPublicId('hmac_user', input.userId, environmentId);
      if (taken) throw userIdTaken();
      publicId = input.userId;
    }
    const row: CredentialRow = {
      id,
      environment_id: environmentId,
      kind: input.kind,
      name: input.name,
      public_id: publicId,
      scopes: JSON.stringify(fixed ?? input.scopes ?? ['read']),
      settings: JSON.stringify(input.settings ?? {}),
      created_at: now,
      revoked_at: null,
    };
    // API and write keys reuse the credential id for their first secret: the key names it.
    const { secretRow, secret } = this.newSecret(
      row,
      input.kind === 'api_key' || input.kind === 'write_key' || input.kind === 'publishable_key'
        ? id
        : newId(),
      now,
      input.privateKey,
    );
    try {
      await this.store.insert(row, secretRow);
    } catch (error) {
      // Two creates of one HMAC userId at once: the check above let both through.
      if (input.kind === 'hmac_user' && isUniqueViolation(error)) throw userIdTaken();
      throw error;
    }
    return { credential: this.summarize(row, [secretRow]), secret };
  }

  /**
   * Issues a new secret; the previous ones keep working for the rotation grace period, so that
   * clients can switch over without downtime.
   */
  async rotate(environmentId: string, id: string, privateKey?: string): Promise<IssuedSecret> {
    const row = await this.store.findById(id);
    if (!row || row.environment_id !== environmentId || row.revoked_at !== null) {
      throw new AppError('not_found', 'No such active credential in this environment.');
    }
    const now = Date.now();
    const { secretRow, secret } = this.newSecret(row, newId(), now, privateKey);
    await this.store.rotate(secretRow, now + this.rotationGraceSeconds * 1000);
    this.onChanged(id, 'rotated');
    const secrets = await this.store.findSecrets([id]);
    return { credential: this.summarize(row, secrets), secret };
  }

  /** Revokes a credential of this environment, its secrets and tokens; effective at once. */
  async revoke(environmentId: string, id: string): Promise<void> {
    if (!(await this.store.revoke(environmentId, id, Date.now()))) {
      throw new AppError('not_found', 'No such active credential in this environment.');
    }
    this.onChanged(id, 'revoked');
  }

  async list(environmentId: string): Promise<CredentialSummary[]> {
    const rows = await this.store.findByEnvironment(environmentId);
    const secrets = await this.store.findSecrets(rows.map((r) => r.id));
    return rows.map((row) =>
      this.summarize(
        row,
        secrets.filter((s) => s.credential_id === row.id),
      ),
    );
  }

  private newSecret(row: CredentialRow, secretId: string, now: number, privateKey?: string) {
    const kind = row.kind as CredentialKind;
    if (kind === 'hmac_user') {
      const key = privateKey ?? randomSecret();
      if (key.length < 16)
        throw new AppError(
          'validation_failed',
          'An HMAC private key needs at least 16 characters.',
        );
      const secretRow: SecretRow = {
        id: secretId,
        credential_id: row.id,
        secret_hash: null,
        secret_encrypted: this.box.seal(key),
        created_at: now,
        expires_at: null,
      };
      return { secretRow, secret: key };
    }
    const raw = randomSecret();
    const secretRow: SecretRow = {
      id: secretId,
      credential_id: row.id,
      secret_hash: hashSecret(raw),
      secret_encrypted: null,
      created_at: now,
      expires_at: null,
    };
    const prefix =
      kind === 'api_key' || kind === 'write_key' || kind === 'publishable_key'
        ? KEY_PREFIX[kind]
        : null;
    return { secretRow, secret: prefix ? `${prefix}_${secretId.replaceAll('-', '')}_${raw}` : raw };
  }

  private summarize(row: CredentialRow, secrets: SecretRow[]): CredentialSummary {
    return {
      id: row.id,
      kind: row.kind as CredentialKind,
      name: row.name,
      publicId: row.public_id,
      scopes: parseStored<Scope[]>(row.scopes),
      settings: parseStored<CredentialSettings>(row.settings),
      createdAt: Number(row.created_at),
      revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
      secrets: secrets.map((s) => ({
        id: s.id,
        createdAt: Number(s.created_at),
        expiresAt: s.expires_at === null ? null : Number(s.expires_at),
      })),
    };
  }
}

function userIdTaken(): AppError {
  return new AppError('validation_failed', 'That HMAC userId already exists in this environment.');
}
