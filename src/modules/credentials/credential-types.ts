import type { Scope } from './scopes.js';

export const CREDENTIAL_KINDS = [
  'api_key',
  'write_key',
  'publishable_key',
  'oauth_client',
  'hmac_user',
] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

/** Per-credential settings; anything unset falls back to the server's configuration. */
export interface CredentialSettings {
  /** OAuth clients: access-token lifetime (seconds). */
  tokenTtlSeconds?: number;
  /** HMAC users: how old a signed timestamp may be (seconds). */
  hmacWindowSeconds?: number;
  /** Token-bucket override for this credential. */
  rateLimit?: { ratePerSecond: number; burst: number };
}

/** Who is calling: every route's authorization decision is made from this alone. */
export interface Principal {
  credentialId: string;
  /** How the caller authenticated. */
  kind: 'api_key' | 'write_key' | 'publishable_key' | 'oauth_token' | 'hmac';
  environmentId: string;
  scopes: Scope[];
  settings: CredentialSettings;
  /** The 004 dialect's `ClientId/UserId` scope, or the HMAC user, when the credential names one. */
  subject?: string;
}

/** A credential as the admin API shows it: never a secret. */
export interface CredentialSummary {
  id: string;
  kind: CredentialKind;
  name: string;
  publicId: string | null;
  scopes: Scope[];
  settings: CredentialSettings;
  createdAt: number;
  revokedAt: number | null;
  secrets: Array<{ id: string; createdAt: number; expiresAt: number | null }>;
}

/** What creating or rotating a credential hands back, once. */
export interface IssuedSecret {
  credential: CredentialSummary;
  /** API key / write key (`tsk_…` / `twk_…`), OAuth client secret, or HMAC private key. */
  secret: string;
}
