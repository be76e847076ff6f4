/**
 * PNAUTHINFO3, part 2: the signature and the expiration window. Pure: the current time and the
 * client's private key (`APIHashKey`) and window (`PNAUTHINFO_EXPIRATION_IN_SECONDS`) come in.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
  type PnAuthFailure,
  type PnAuthHeader,
  type PnHashAlgorithm,
  parseIssuedAt,
  pnAuthFailure,
} from './pnauthinfo3-parse.js';

/** The documented default of `PNAUTHINFO_EXPIRATION_IN_SECONDS`: 15 minutes. */
export const DEFAULT_PN_AUTH_WINDOW_SECONDS = 900;

/** The header fields a signature depends on. */
export type PnSignedFields = Pick<PnAuthHeader, 'keyed' | 'algorithm' | 'rawUserId' | 'issuedAt'>;

const NODE_ALGORITHM: Record<PnHashAlgorithm, string> = {
  SHA256: 'sha256',
  SHA384: 'sha384',
  SHA512: 'sha512',
};

/**
 * The exact text that is digested (UTF-8).
 *
 * - keyed: `ClientId:UserId:Issued` (HMAC with the private key as the key);
 * - un-keyed: `PrivateKey:ClientId:UserId:Issued:PrivateKey` (plain hash: the key is
 *   concatenated to the front and the back of the keyed message).
 *
 * The user id is the URL-encoded form as sent in the Credential; nothing is encoded or decoded
 * again. `clientId` must be spelled exactly as in the request URL: the signature is
 * case-sensitive, so a URL saying `SANCHEZASSOCIATES` must not verify a signature made for
 * `SanchezAssociates` even if client lookup is case-insensitive.
 */
export function signingMessage(
  fields: PnSignedFields,
  clientId: string,
  privateKey: string,
): string {
  const message = `${clientId}:${fields.rawUserId}:${fields.issuedAt}`;
  return fields.keyed ? message : `${privateKey}:${message}:${privateKey}`;
}

/**
 * Computes the Base64 signature a client should have sent: `HMAC-<alg>(message, privateKey)`
 * for the keyed scheme, `<alg>(message)` for the un-keyed one (see {@link signingMessage}).
 */
export function computeSignature(
  fields: PnSignedFields,
  clientId: string,
  privateKey: string,
): string {
  const algorithm = NODE_ALGORITHM[fields.algorithm];
  const message = signingMessage(fields, clientId, privateKey);
  const digest = fields.keyed
    ? createHmac(algorithm, privateKey).update(message, 'utf8')
    : createHash(algorithm).update(message, 'utf8');
  return digest.digest('base64');
}

/** Input of {@link verifyPnAuth}. */
export interface PnAuthVerifyInput {
  header: PnAuthHeader;
  /** The client id as spelled in the request URL (case preserved). */
  clientId: string;
  /** The client's `APIHashKey`; an empty key never verifies. */
  privateKey: string;
  /** The current time, epoch milliseconds. */
  now: number;
  /** The client's `PNAUTHINFO_EXPIRATION_IN_SECONDS` ({@link DEFAULT_PN_AUTH_WINDOW_SECONDS}). */
  windowSeconds: number;
}

/**
 * Verifies a parsed header, in this order:
 *
 * 1. issued timestamp unparseable → `bad_timestamp`;
 * 2. issued after `now` (no tolerance) → `future`;
 * 3. `now − issued > windowSeconds` → `expired` (exactly `windowSeconds` old still passes);
 * 4. signature ≠ {@link computeSignature} → `bad_signature`, compared in constant time over the
 *    Base64 text, so non-canonical, wrong-length or garbage signatures simply fail.
 *
 * It does not know users: the caller checks that `header.userId` belongs to the client
 * (`unknown_user`, same message as `bad_signature`).
 *
 * @throws RangeError when `now` or `windowSeconds` is not a finite number ≥ 0: a configuration
 *   bug must not silently turn into "never expires".
 */
export function verifyPnAuth(
  input: PnAuthVerifyInput,
): { ok: true } | { ok: false; failure: PnAuthFailure } {
  const { header, clientId, privateKey, now, windowSeconds } = input;
  if (!Number.isFinite(now)) throw new RangeError(`now must be finite, got ${now}`);
  if (!Number.isFinite(windowSeconds) || windowSeconds < 0) {
    throw new RangeError(`windowSeconds must be a finite number >= 0, got ${windowSeconds}`);
  }
  const fail = (code: PnAuthFailure['code']) => ({
    ok: false as const,
    failure: pnAuthFailure(code),
  });

  const issued = parseIssuedAt(header.issuedAt);
  if (Number.isNaN(issued)) return fail('bad_timestamp');
  if (issued > now) return fail('future');
  if (now - issued > windowSeconds * 1000) return fail('expired');

  if (privateKey === '') return fail('bad_signature');
  const expected = Buffer.from(computeSignature(header, clientId, privateKey), 'utf8');
  const given = Buffer.from(header.signature, 'utf8');
  // The length of a valid signature is public (it follows from the algorithm), so checking it
  // first leaks nothing; timingSafeEqual needs equal lengths.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return fail('bad_signature');
  }
  return { ok: true };
}

/**
 * The `WWW-Authenticate` value for a 401: `PNAUTHINFO3 realm="<realm>"`, with `"` and `\`
 * escaped as a quoted-string requires.
 */
export function pnAuthChallenge(realm: string): string {
  return `PNAUTHINFO3 realm="${realm.replace(/["\\]/g, '\\$&')}"`;
}
