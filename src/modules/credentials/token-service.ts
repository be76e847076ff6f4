import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { newId } from '../../lib/ids.js';
import { parseStored } from '../../lib/json.js';
import type { CredentialRow } from './credential-store.js';
import type { CredentialSettings, Principal } from './credential-types.js';
import type { CredentialVerifier } from './credential-verifier.js';
import { hasScope, isScope, type Scope } from './scopes.js';

const ISSUER = 'tessera';
const AUDIENCE = 'tessera-api';

/** RFC 6749 §5.2 errors the token endpoint answers with. */
export class OAuthError extends Error {
  constructor(
    readonly error:
      | 'invalid_request'
      | 'invalid_client'
      | 'unsupported_grant_type'
      | 'invalid_scope'
      | 'invalid_grant',
    readonly description: string,
  ) {
    super(description);
  }
}

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

interface TokenClaims {
  env: string;
  cid: string;
  scope: string;
  sub_scope?: string;
}

/**
 * OAuth2 client-credentials tokens: signed JWTs (HS256, key derived from the master key), so a
 * request carrying one is verified without a database round trip. Revoking the client revokes
 * its tokens at once through the in-memory revocation list.
 */
export class TokenService {
  constructor(
    private readonly verifier: CredentialVerifier,
    private readonly signingKey: Uint8Array,
    private readonly defaultTtlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Exchanges client credentials for a token. `scope` holds Tessera scopes (space-separated,
   * a subset of the client's) and/or one `ClientId/UserId` item, the MyPreferences form.
   */
  async issue(
    clientId: string,
    clientSecret: string,
    scope: string | undefined,
  ): Promise<IssuedToken> {
    const client = await this.verifier.verifyClient(clientId, clientSecret);
    if (!client) throw new OAuthError('invalid_client', 'Invalid client authentication');
    const { scopes, subject } = this.grantedScopes(client, scope);
    const settings = parseStored<CredentialSettings>(client.settings);
    const ttl = settings.tokenTtlSeconds ?? this.defaultTtlSeconds;
    const issuedAt = Math.floor(this.now() / 1000);
    const claims: TokenClaims = {
      env: client.environment_id,
      cid: client.id,
      scope: scopes.join(' '),
    };
    if (subject) claims.sub_scope = subject;
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(clientId)
      .setJti(newId())
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ttl)
      .sign(this.signingKey);
    return {
      access_token: token,
      token_type: 'Bearer',
      expires_in: ttl,
      scope: [...scopes, ...(subject ? [subject] : [])].join(' '),
    };
  }

  /** The principal of a valid token; null when it is malformed, expired, forged or revoked. */
  async verify(token: string): Promise<Principal | null> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.signingKey, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        currentDate: new Date(this.now()),
      }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError || error instanceof TypeError) return null;
      throw error;
    }
    const { env, cid, scope, sub_scope: subject } = payload as Partial<TokenClaims>;
    if (typeof env !== 'string' || typeof cid !== 'string' || typeof scope !== 'string')
      return null;
    if (this.verifier.revocations.isRevoked(cid)) return null;
    const principal: Principal = {
      credentialId: cid,
      kind: 'oauth_token',
      environmentId: env,
      scopes: scope.split(' ').filter(isScope),
      // The client's own rate limit, as for its keys.
      settings: await this.verifier.settingsOf(cid),
    };
    if (typeof subject === 'string') principal.subject = subject;
    return principal;
  }

  private grantedScopes(client: CredentialRow, requested: string | undefined) {
    const allowed = parseStored<Scope[]>(client.scopes);
    const items = (requested ?? '').split(/\s+/).filter(Boolean);
    const subjects = items.filter((item) => item.includes('/'));
    const asked = items.filter((item) => !item.includes('/'));
    if (subjects.length > 1)
      throw new OAuthError('invalid_scope', 'At most one ClientId/UserId scope is allowed.');
    const subject = subjects[0];
    if (subject !== undefined && !/^[^/\s]+\/[^/\s]+$/.test(subject)) {
      throw new OAuthError('invalid_scope', 'The scope must have the form ClientId/UserId.');
    }
    // A token may narrow the client's scopes (an admin client's to `privacy` alone, say).
    const unknown = asked.filter((s) => !isScope(s) || !hasScope(allowed, s));
    if (unknown.length > 0) {
      throw new OAuthError(
        'invalid_scope',
        `Scope not allowed for this client: ${unknown.join(' ')}`,
      );
    }
    return { scopes: asked.length > 0 ? (asked as Scope[]) : allowed, subject };
  }
}
