import { createHash } from 'node:crypto';
import type { Principal } from './credential-types.js';
import type { CredentialVerifier } from './credential-verifier.js';
import {
  DEFAULT_PN_AUTH_WINDOW_SECONDS,
  type PnAuthFailure,
  parsePnAuthHeader,
  pnAuthFailure,
  verifyPnAuth,
} from './pnauthinfo3.js';
import type { ReplayGuard } from './replay-guard.js';

export interface HmacRequest {
  /** The environment the request's URL names (e.g. through its MyPreferences ClientId). */
  environmentId: string;
  /** The ClientId exactly as written in the URL: the signature covers its spelling. */
  clientId: string;
  authorization: string | undefined;
  /** Requests that change state may not reuse a signature already seen. */
  stateChanging: boolean;
}

export type HmacOutcome =
  | { ok: true; principal: Principal }
  | { ok: false; failure: PnAuthFailure };

/**
 * PNAUTHINFO3 authentication against stored HMAC users: parse → find the user in the URL's
 * environment → verify with each live private key (two during a rotation) → refuse a replayed
 * signature on a state-changing request. Failures carry the 004 document's 401 messages; an
 * unknown user fails like a bad signature, so user ids cannot be probed.
 */
export class HmacAuthenticator {
  constructor(
    private readonly verifier: CredentialVerifier,
    private readonly replay: ReplayGuard,
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(request: HmacRequest): Promise<HmacOutcome> {
    const parsed = parsePnAuthHeader(request.authorization);
    if (!parsed.ok) return parsed;
    const { header } = parsed;
    const user = await this.verifier.hmacKeys(request.environmentId, header.userId);
    if (!user || user.keys.length === 0)
      return { ok: false, failure: pnAuthFailure('unknown_user') };
    const settings = this.verifier.principalOf(user.credential, 'hmac').settings;
    const windowSeconds = settings.hmacWindowSeconds ?? DEFAULT_PN_AUTH_WINDOW_SECONDS;
    const now = this.now();
    let failure: PnAuthFailure | undefined;
    for (const privateKey of user.keys) {
      const result = verifyPnAuth({
        header,
        clientId: request.clientId,
        privateKey,
        now,
        windowSeconds,
      });
      if (result.ok) {
        failure = undefined;
        break;
      }
      failure = result.failure;
    }
    if (failure) return { ok: false, failure };
    if (request.stateChanging) {
      const key = createHash('sha256')
        .update(
          `${request.environmentId}\n${request.clientId}\n${header.rawUserId}\n${header.issuedAt}\n${header.signature}`,
        )
        .digest('hex');
      // Remember it for the whole window (plus a minute of clock slack between processes).
      if (!(await this.replay.firstUse(`pnauth:${key}`, (windowSeconds + 60) * 1000))) {
        return { ok: false, failure: pnAuthFailure('replayed') };
      }
    }
    return {
      ok: true,
      principal: this.verifier.principalOf(
        user.credential,
        'hmac',
        `${request.clientId}/${header.userId}`,
      ),
    };
  }
}
