import { createHmac } from 'node:crypto';
import type { TestServer } from './test-server.js';

/**
 * A PNAUTHINFO3 authorization header (the 004 document's keyed scheme): the HMAC-SHA256 of
 * `client:user:issued` under the API user's private key.
 */
export function pnauthinfo3(client: string, user: string, key: string, issued: string): string {
  const signature = createHmac('sha256', key)
    .update(`${client}:${user}:${issued}`)
    .digest('base64');
  return `PNAUTHINFO3-HMAC-SHA256 Credential=${user}/${issued} Signature=${signature}`;
}

/** A MyPreferences API user's calls, each signed afresh: status and parsed JSON (null if empty). */
export type MyPreferencesCall = (
  method: string,
  path: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON answers
) => Promise<{ status: number; body: any }>;

/**
 * Binds the ClientId `client` to the server's default environment, creates an HMAC user for it
 * (read and write) and answers a caller of `/Profiles/v4/{client}{path}` signing as that user.
 */
export async function myPreferencesCaller(
  server: TestServer,
  client: string,
  user: string,
): Promise<MyPreferencesCall> {
  const key = `an HMAC private key of ${user}`;
  await server.request('PUT', `/v1/surface-keys/mypreferences/${client}`);
  const created = await server.request('POST', '/v1/credentials', {
    kind: 'hmac_user',
    name: user,
    scopes: ['read', 'write'],
    userId: user,
    privateKey: key,
  });
  if (created.status !== 201) throw new Error(`hmac_user: ${created.status}`);
  let issuedAt = Date.now() - 10 * 60_000;
  return async (method, path, body) => {
    // A fresh signature per call: the server refuses one it has seen.
    issuedAt += 1_000;
    const issued = new Date(issuedAt).toISOString().replace(/\.\d+Z$/, 'Z');
    const headers: Record<string, string> = {
      authorization: pnauthinfo3(client, user, key, issued),
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${server.url}/Profiles/v4/${client}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}
