import type { Kysely } from 'kysely';
import { parseStored } from '../../lib/json.js';
import type { SecretBox } from '../../lib/secret-box.js';
import type { Database } from '../../storage/schema.js';
import { type CredentialRow, CredentialStore, type SecretRow } from './credential-store.js';
import type { CredentialSettings, Principal } from './credential-types.js';
import { RevocationCache } from './revocation-cache.js';
import type { Scope } from './scopes.js';
import { hashSecret, type KeyKind, parseKey, secretMatches } from './secret-format.js';

/** How long a verified key is trusted without a database read (revocations still apply at once). */
const KEY_CACHE_MS = 10_000;
const KEY_CACHE_MAX = 10_000;

interface CachedKey {
  principal: Principal;
  secretExpiresAt: number | null;
  cachedAt: number;
}

function isLive(secret: SecretRow, now: number): boolean {
  return secret.expires_at === null || Number(secret.expires_at) > now;
}

/**
 * Checks presented credentials and turns them into a Principal. Keys are looked up by the secret
 * id they carry and compared in constant time; results are cached briefly, keyed by the key's
 * hash, and every cached answer is re-checked against the in-memory revocation list.
 */
export class CredentialVerifier {
  private readonly store: CredentialStore;
  readonly revocations: RevocationCache;
  private readonly keyCache = new Map<string, CachedKey>();
  /** Settings of OAuth clients whose tokens were verified lately (tokens carry none). */
  private readonly clientSettings = new Map<
    string,
    { settings: CredentialSettings; cachedAt: number }
  >();

  constructor(
    db: Kysely<Database>,
    private readonly box: SecretBox,
  ) {
    this.store = new CredentialStore(db);
    this.revocations = new RevocationCache(this.store);
  }

  /** Drops cached answers for a credential revoked in this process. */
  forget(credentialId: string): void {
    this.revocations.add(credentialId);
    this.clientSettings.delete(credentialId);
    this.dropCachedKeys(credentialId);
  }

  /**
   * Drops a credential's cached keys (a rotation here: the old secret's new expiry must be read).
   * Other processes hold theirs for at most KEY_CACHE_MS.
   */
  dropCachedKeys(credentialId: string): void {
    for (const [key, entry] of this.keyCache) {
      if (entry.principal.credentialId === credentialId) this.keyCache.delete(key);
    }
  }

  /** An API key (`tsk_…`) or write key (`twk_…`) of the expected kind; null when not valid. */
  async verifyKey(presented: string, kind: KeyKind): Promise<Principal | null> {
    const parsed = parseKey(presented);
    if (!parsed || parsed.kind !== kind) return null;
    const now = Date.now();
    const cacheKey = hashSecret(presented);
    const cached = this.keyCache.get(cacheKey);
    if (cached && now - cached.cachedAt < KEY_CACHE_MS) {
      const expired = cached.secretExpiresAt !== null && cached.secretExpiresAt <= now;
      if (!expired && !this.revocations.isRevoked(cached.principal.credentialId))
        return cached.principal;
    }
    this.keyCache.delete(cacheKey);
    const secret = await this.store.findSecret(parsed.secretId);
    if (!secret || !isLive(secret, now) || !secretMatches(parsed.secret, secret.secret_hash))
      return null;
    const credential = await this.store.findById(secret.credential_id);
    if (!credential || credential.kind !== kind || !this.isActive(credential)) return null;
    const principal = this.principalOf(credential, kind);
    if (this.keyCache.size >= KEY_CACHE_MAX) this.keyCache.clear();
    this.keyCache.set(cacheKey, {
      principal,
      secretExpiresAt: secret.expires_at === null ? null : Number(secret.expires_at),
      cachedAt: now,
    });
    return principal;
  }

  /**
   * The settings (rate limit) of the OAuth client a token was issued to, as stored now, cached
   * as briefly as keys are; empty when the client is gone (its token is refused anyway).
   */
  async settingsOf(credentialId: string): Promise<CredentialSettings> {
    const now = Date.now();
    const cached = this.clientSettings.get(credentialId);
    if (cached && now - cached.cachedAt < KEY_CACHE_MS) return cached.settings;
    const credential = await this.store.findById(credentialId);
    const settings = credential ? parseStored<CredentialSettings>(credential.settings) : {};
    if (this.clientSettings.size >= KEY_CACHE_MAX) this.clientSettings.clear();
    this.clientSettings.set(credentialId, { settings, cachedAt: now });
    return settings;
  }

  /** The OAuth client for a client_id and secret (any live secret, for rotation); else null. */
  async verifyClient(clientId: string, clientSecret: string): Promise<CredentialRow | null> {
    const credential = await this.store.findByPublicId('oauth_client', clientId);
    if (!credential || !this.isActive(credential)) {
      // Spend the same work as a real comparison so timing does not reveal valid client ids.
      secretMatches(clientSecret, '0'.repeat(64));
      return null;
    }
    const now = Date.now();
    const secrets = (await this.store.findSecrets([credential.id])).filter((s) => isLive(s, now));
    let matched = false;
    for (const secret of secrets)
      matched = secretMatches(clientSecret, secret.secret_hash) || matched;
    return matched ? credential : null;
  }

  /** The live private keys of an HMAC user (two during a rotation), decrypted. */
  async hmacKeys(
    environmentId: string,
    userId: string,
  ): Promise<{ credential: CredentialRow; keys: string[] } | null> {
    const credential = await this.store.findByPublicId('hmac_user', userId, environmentId);
    if (!credential || !this.isActive(credential)) return null;
    const now = Date.now();
    const secrets = (await this.store.findSecrets([credential.id])).filter((s) => isLive(s, now));
    const keys = secrets.flatMap((s) =>
      s.secret_encrypted ? [this.box.open(s.secret_encrypted)] : [],
    );
    return { credential, keys };
  }

  /** True unless the credential is revoked (in the row, or in the revocation cache). */
  isActive(credential: CredentialRow): boolean {
    return credential.revoked_at === null && !this.revocations.isRevoked(credential.id);
  }

  principalOf(credential: CredentialRow, kind: Principal['kind'], subject?: string): Principal {
    const principal: Principal = {
      credentialId: credential.id,
      kind,
      environmentId: credential.environment_id,
      scopes: parseStored<Scope[]>(credential.scopes),
      settings: parseStored<CredentialSettings>(credential.settings),
    };
    if (subject !== undefined) principal.subject = subject;
    return principal;
  }
}
