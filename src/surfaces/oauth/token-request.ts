import type { FastifyRequest } from 'fastify';
import { OAuthError } from '../../modules/credentials/token-service.js';

export interface TokenRequest {
  grantType: string | undefined;
  clientId: string;
  clientSecret: string;
  scope: string | undefined;
  /** The client authenticated with HTTP Basic (a 401 must then carry WWW-Authenticate). */
  usedBasic: boolean;
}

type Params = Record<string, string | string[] | undefined>;

function single(params: Params, name: string): string | undefined {
  const value = params[name];
  if (Array.isArray(value))
    throw new OAuthError('invalid_request', `Parameter ${name} is repeated.`);
  return value;
}

function basicCredentials(request: FastifyRequest): { id: string; secret: string } | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !/^Basic\s/i.test(header)) return null;
  const decoded = Buffer.from(header.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError('invalid_client', 'Malformed Basic credentials.');
  // RFC 6749 §2.3.1: both parts are form-encoded inside the Basic header.
  const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  try {
    return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
  } catch {
    throw new OAuthError('invalid_client', 'Malformed Basic credentials.');
  }
}

/**
 * Reads a client-credentials token request from wherever the documents put it: the query string
 * (the 000 document), the form body (RFC 6749), or HTTP Basic (the 004 document). Client
 * credentials in more than one place are refused as `invalid_request`, as RFC 6749 §2.3 demands.
 */
export function readTokenRequest(request: FastifyRequest): TokenRequest {
  const query = (request.query ?? {}) as Params;
  const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Params;
  const basic = basicCredentials(request);
  const places = [
    basic ? 'basic' : null,
    single(query, 'client_secret') !== undefined || single(query, 'client_id') !== undefined
      ? 'query'
      : null,
    single(body, 'client_secret') !== undefined || single(body, 'client_id') !== undefined
      ? 'body'
      : null,
  ].filter(Boolean);
  if (places.length > 1) {
    throw new OAuthError(
      'invalid_request',
      'Client credentials were sent by more than one mechanism.',
    );
  }
  const from = places[0] === 'query' ? query : body;
  const clientId = basic?.id ?? single(from, 'client_id');
  const clientSecret = basic?.secret ?? single(from, 'client_secret');
  const grantType = single(body, 'grant_type') ?? single(query, 'grant_type');
  if (single(body, 'grant_type') !== undefined && single(query, 'grant_type') !== undefined) {
    throw new OAuthError('invalid_request', 'grant_type was sent twice.');
  }
  if (!clientId || !clientSecret) {
    throw new OAuthError('invalid_client', 'Client authentication is missing.');
  }
  const scope = single(body, 'scope') ?? single(query, 'scope');
  // A NUL (from a form body or a Basic header) reaches no lookup: no database text holds one.
  if ([clientId, clientSecret, grantType, scope].some((v) => v?.includes('\u0000'))) {
    throw new OAuthError('invalid_request', 'The request holds a NUL character.');
  }
  return {
    grantType,
    clientId,
    clientSecret,
    scope,
    usedBasic: basic !== null,
  };
}
