import { parseIsoTime } from '../../engine/iso-time.js';
/**
 * PNAUTHINFO3 (the MyPreferences custom authorization scheme), part 1: reading the header.
 *
 *   Authorization: PNAUTHINFO3[-HMAC]-SHA256|SHA384|SHA512 Credential=<userId>/<issued> Signature=<b64>
 *
 * Pure: no I/O, no clock. Failures carry the 401 message texts the MyPreferences documentation
 * lists, because clients of that API may show or match them.
 */

/** The SHA-2 digests the scheme allows (the `CryptoHashIdentifier`). */
export type PnHashAlgorithm = 'SHA256' | 'SHA384' | 'SHA512';

/** A syntactically valid PNAUTHINFO3 Authorization header. */
export interface PnAuthHeader {
  /** `PNAUTHINFO3-HMAC-<alg>` (true) or `PNAUTHINFO3-<alg>` (false). */
  keyed: boolean;
  algorithm: PnHashAlgorithm;
  /** The user id, URL-decoded (`+` and `%20` both read as a space): what to look the user up by. */
  userId: string;
  /** The user id exactly as sent (URL-encoded): what the signature covers. */
  rawUserId: string;
  /** The issued timestamp exactly as sent: what the signature covers. */
  issuedAt: string;
  /** The Base64 signature exactly as sent. */
  signature: string;
}

/**
 * Why a request is rejected (always with 401). `missing` and `bad_timestamp` go beyond the
 * original brief because the documentation lists distinct messages for them; `unknown_user` is
 * never produced here (the caller looks users up) but shares the catalog below.
 */
export type PnAuthFailureCode =
  | 'missing'
  | 'invalid_scheme'
  | 'malformed'
  | 'bad_timestamp'
  | 'expired'
  | 'future'
  | 'bad_signature'
  /** A valid signature already used for a state-changing request (answered as bad_signature). */
  | 'replayed'
  | 'unknown_user';

/** A rejection: a stable code plus the message for the 401 body. */
export interface PnAuthFailure {
  code: PnAuthFailureCode;
  message: string;
}

/**
 * The 401 messages, as the MyPreferences documentation words them. The invalid-scheme text is the
 * documented response body with one correction: the document's example says `SHA265`, which is
 * not an algorithm the scheme accepts. Signature, missing-parameter and unknown-user failures
 * share one generic text on purpose, so a caller cannot probe which user ids exist.
 */
export const PN_AUTH_MESSAGES = {
  missing: 'Missing Authorization Header',
  invalid_scheme:
    'Invalid Authorization Header: The scheme is invalid. The scheme should contain either PNAUTHINFO3- or PNAUTHINFO3-HMAC-. For example: PNAUTHINFO3-HMAC-SHA256.',
  malformed: 'Unable to authenticate request',
  bad_timestamp: 'The specified date does not match an expected ISO 8601 format',
  future: 'The specified date does not match an expected ISO 8601 format',
  expired: 'The difference between the issued timestamp and the current time is too large',
  bad_signature: 'Unable to authenticate request',
  replayed: 'Unable to authenticate request',
  unknown_user: 'Unable to authenticate request',
} as const satisfies Record<PnAuthFailureCode, string>;

/** Builds the failure for a code with its documented message. */
export function pnAuthFailure(code: PnAuthFailureCode): PnAuthFailure {
  return { code, message: PN_AUTH_MESSAGES[code] };
}

const SCHEME_PATTERN = /^PNAUTHINFO3-(HMAC-)?(SHA256|SHA384|SHA512)$/i;
/** Canonical Base64 with padding: what `Base64Encoding(MessageDigest)` produces. */
const BASE64_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/;
/**
 * Parses the issued timestamp: ISO-8601 date-time with seconds (`2015-08-10T20:11:00`), optional
 * fraction, optional zone. No zone means UTC; `Z` is UTC; an offset is honoured as written, which
 * covers the documented US Eastern forms (`-05:00` EST, `-04:00` EDT). Any other offset names an
 * unambiguous instant too, so it is accepted rather than rejected. Ranges are checked explicitly
 * (`Date.parse` rolls Feb 30 into March and reads zone-less times in the host's zone).
 *
 * @returns epoch milliseconds, or NaN when the text is not such a timestamp.
 */
export function parseIssuedAt(issuedAt: string): number {
  // Exactly as sent: surrounding spaces are part of the signed text, so they are not trimmed away.
  if (issuedAt !== issuedAt.trim()) return Number.NaN;
  return parseIsoTime(issuedAt, { strictDateTime: true });
}

/** Form-style URL decoding (`+` is a space), as .NET's `HttpUtility.UrlDecode`; undefined if invalid. */
function urlDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"')
    ? value.slice(1, -1)
    : value;
}

/**
 * Parses an Authorization header value (`undefined` when the request had none).
 *
 * - The scheme is case-insensitive; anything but `PNAUTHINFO3-[HMAC-]SHA256|SHA384|SHA512` is
 *   `invalid_scheme` (including other schemes such as `Bearer`: dispatch on the scheme first if
 *   you accept several).
 * - Parameters follow after whitespace, separated by spaces and/or commas; names are
 *   case-insensitive (RFC 7235), values may be quoted, unknown parameters are ignored, and a
 *   repeated `Credential` or `Signature` is `malformed` rather than guessed at.
 * - `Credential=<URL-encoded userId>/<ISO 8601 timestamp>`, split at the last `/`.
 * - An unparseable timestamp is `bad_timestamp`; a signature that is not Base64 is `malformed`.
 *
 * Never throws.
 */
export function parsePnAuthHeader(
  value: string | undefined,
): { ok: true; header: PnAuthHeader } | { ok: false; failure: PnAuthFailure } {
  const fail = (code: PnAuthFailureCode) => ({ ok: false as const, failure: pnAuthFailure(code) });
  const text = (value ?? '').trim();
  if (text === '') return fail('missing');

  const [scheme = '', ...rest] = text.split(/\s+/);
  const schemeMatch = SCHEME_PATTERN.exec(scheme);
  if (!schemeMatch) return fail('invalid_scheme');
  const keyed = schemeMatch[1] !== undefined;
  const algorithm = schemeMatch[2]!.toUpperCase() as PnHashAlgorithm;

  let credential: string | undefined;
  let signature: string | undefined;
  for (const param of rest.join(' ').split(/[\s,]+/)) {
    if (param === '') continue;
    const eq = param.indexOf('=');
    if (eq <= 0) return fail('malformed');
    const name = param.slice(0, eq).toLowerCase();
    const paramValue = unquote(param.slice(eq + 1));
    if (name === 'credential') {
      if (credential !== undefined) return fail('malformed');
      credential = paramValue;
    } else if (name === 'signature') {
      if (signature !== undefined) return fail('malformed');
      signature = paramValue;
    }
  }
  if (!credential || !signature) return fail('malformed');

  const slash = credential.lastIndexOf('/');
  if (slash <= 0 || slash === credential.length - 1) return fail('malformed');
  const rawUserId = credential.slice(0, slash);
  const issuedAt = credential.slice(slash + 1);
  const userId = urlDecode(rawUserId);
  if (userId === undefined || userId === '') return fail('malformed');
  if (Number.isNaN(parseIssuedAt(issuedAt))) return fail('bad_timestamp');
  if (signature.length % 4 !== 0 || !BASE64_PATTERN.test(signature)) return fail('malformed');

  return { ok: true, header: { keyed, algorithm, userId, rawUserId, issuedAt, signature } };
}
