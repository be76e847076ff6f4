import { createHmac } from 'node:crypto';

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
