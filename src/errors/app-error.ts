import { ERROR_CATALOG, type ErrorCode } from './error-catalog.js';

/** A field-level problem attached to a validation error. */
export interface ErrorIssue {
  field: string;
  message: string;
  index?: number;
}

/** The only error services throw on purpose. Surfaces translate it; anything else is a 500. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly issues: ErrorIssue[] | undefined;
  /** Response headers the error needs (WWW-Authenticate, Retry-After, RateLimit-*). */
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message?: string,
    issues?: ErrorIssue[],
    headers: Record<string, string> = {},
  ) {
    super(message ?? ERROR_CATALOG[code].message);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CATALOG[code].status;
    this.issues = issues;
    this.headers = headers;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
