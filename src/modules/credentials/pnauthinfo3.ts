/**
 * PNAUTHINFO3, the MyPreferences custom authorization scheme (keyed HMAC or un-keyed SHA-2
 * signatures over client id, user id and an issued timestamp). Pure: no I/O and no clock.
 *
 * Typical use: `parsePnAuthHeader(request.headers.authorization)` → look up the client named in
 * the URL (404 if unknown) → `verifyPnAuth({ header, clientId: <as in the URL>, privateKey, now,
 * windowSeconds })` → look up `header.userId` for that client (`unknown_user`) → on any failure
 * answer 401 with `failure.message` and `WWW-Authenticate: pnAuthChallenge(realm)`.
 */
export {
  PN_AUTH_MESSAGES,
  type PnAuthFailure,
  type PnAuthFailureCode,
  type PnAuthHeader,
  type PnHashAlgorithm,
  parseIssuedAt,
  parsePnAuthHeader,
  pnAuthFailure,
} from './pnauthinfo3-parse.js';
export {
  computeSignature,
  DEFAULT_PN_AUTH_WINDOW_SECONDS,
  type PnAuthVerifyInput,
  type PnSignedFields,
  pnAuthChallenge,
  signingMessage,
  verifyPnAuth,
} from './pnauthinfo3-verify.js';
