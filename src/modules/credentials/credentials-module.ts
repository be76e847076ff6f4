import type { Kysely } from 'kysely';
import { deriveKey, SecretBox } from '../../lib/secret-box.js';
import type { Database } from '../../storage/schema.js';
import { CredentialService } from './credential-service.js';
import { CredentialVerifier } from './credential-verifier.js';
import { TokenService } from './token-service.js';

export interface CredentialsModule {
  service: CredentialService;
  verifier: CredentialVerifier;
  tokens: TokenService;
}

/** Wires the credentials module around one master key. */
export function createCredentialsModule(
  db: Kysely<Database>,
  masterKey: Buffer,
  options: { tokenTtlSeconds: number; rotationGraceSeconds: number; now?: () => number },
): CredentialsModule {
  const box = new SecretBox(masterKey);
  const verifier = new CredentialVerifier(db, box);
  const service = new CredentialService(db, box, options.rotationGraceSeconds, (id, how) =>
    how === 'revoked' ? verifier.forget(id) : verifier.dropCachedKeys(id),
  );
  const tokens = new TokenService(
    verifier,
    deriveKey(masterKey, 'oauth token signing v1'),
    options.tokenTtlSeconds,
    options.now,
  );
  return { service, verifier, tokens };
}
