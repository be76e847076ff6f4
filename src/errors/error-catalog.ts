/**
 * The one error registry: every failure a service can report, with its HTTP status and a
 * default message. Surfaces map these codes onto their own error bodies; the codes themselves
 * are stable and machine-readable (they appear as `code` in the native API's problem+json).
 */
export const ERROR_CATALOG = {
  validation_failed: { status: 400, message: 'The request is not valid.' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  json_too_deep: {
    status: 400,
    message: 'The request body is nested too deeply or has too many keys.',
  },
  invalid_reference: { status: 400, message: 'The profile reference is not valid.' },
  unauthorized: { status: 401, message: 'A valid credential is required.' },
  invalid_token: { status: 401, message: 'The access token is invalid, expired or revoked.' },
  insufficient_scope: { status: 403, message: 'The credential lacks the scope this route needs.' },
  not_found: { status: 404, message: 'Not found.' },
  profile_not_found: { status: 404, message: 'Profile not found.' },
  identity_conflict: {
    status: 409,
    message: 'The identifiers belong to different known profiles; they are not merged silently.',
  },
  conflict: { status: 409, message: 'The request conflicts with the current state.' },
  merge_not_undoable: { status: 409, message: 'This merge cannot be undone.' },
  body_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'The content type is not supported.' },
  rate_limited: { status: 429, message: 'Too many requests; retry after the time given.' },
  profile_overloaded: {
    status: 429,
    message: 'Too many concurrent requests for this profile; retry with backoff.',
  },
  not_implemented: {
    status: 501,
    message: 'This endpoint needs something Tessera does not have.',
  },
  internal_error: { status: 500, message: 'Internal server error.' },
  unavailable: { status: 503, message: 'The service is not ready.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;
