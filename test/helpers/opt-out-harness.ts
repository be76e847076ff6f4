import { createHmac } from 'node:crypto';
import { expect } from 'vitest';
import { CHANGE_EVENT_TYPES } from '../../src/modules/webhooks/change-types.js';
import { json, startTestServer, type TestServer } from './test-server.js';
import { startReceiver, type WebhookReceiver, waitFor } from './webhook-receiver.js';

/**
 * A server with a webhook subscription to every change type on a local receiver, credentials for
 * every dialect (a privacy token for the 000 opt-out, a Segment write key, a PNAUTHINFO3 user of
 * a MyPreferences ClientId) and the helpers the opt-out tests share.
 */
// biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON answers
type Json = any;

export interface OptOutHarness {
  server: TestServer;
  receiver: WebhookReceiver;
  optOut(userId: string): Promise<Response>;
  post(
    path: string,
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: Json }>;
  admin(): Record<string, string>;
  segmentAuth(): Record<string, string>;
  pnauth(): Record<string, string>;
  allRows(): Promise<Record<string, string>>;
  countOf(table: 'change_events' | 'webhook_deliveries' | 'jobs'): Promise<number>;
  settleImport(statusUrl: string): Promise<{ status: string }>;
  settleJobs(): Promise<void>;
  destroy(): Promise<void>;
}

const SITE = 'site-dialects';
export const MP_CLIENT = 'OptOutDialects';
const MP_USER = 'mp-optout-api';
const MP_KEY = 'mp-optout-key-0123456789';
export const NT = '/v2/organizations/default/environments/main';

export async function startOptOutHarness(): Promise<OptOutHarness> {
  let issuedAt = Date.now() - 10 * 60_000;
  const server = await startTestServer({
    env: { TESSERA_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', TESSERA_WEBHOOK_RETRY_BASE_MS: '50' },
  });
  const receiver = await startReceiver();
  await server.request('PUT', `/v1/surface-keys/profile-command/${SITE}`);
  await server.request('PUT', `/v1/surface-keys/mypreferences/${MP_CLIENT}`);
  const client = (
    await server.request('POST', '/v1/credentials', {
      kind: 'oauth_client',
      name: 'privacy',
      scopes: ['privacy'],
    })
  ).body;
  const privacyToken = (
    await json(
      await fetch(
        `${server.url}/profile-command/v1/oauth2/token?grant_type=client_credentials&client_id=${client.publicId}&client_secret=${client.secret}`,
        { method: 'POST' },
      ),
    )
  ).access_token;
  const writeKey = (
    await server.request('POST', '/v1/credentials', {
      kind: 'write_key',
      name: 'w',
      scopes: ['write'],
    })
  ).body.secret;
  const hmacUser = await server.request('POST', '/v1/credentials', {
    kind: 'hmac_user',
    name: 'mp',
    scopes: ['read', 'write'],
    userId: MP_USER,
    privateKey: MP_KEY,
  });
  expect(hmacUser.status).toBe(201);
  const sub = await server.request('POST', '/v1/webhooks', {
    url: `${receiver.url}/all`,
    eventTypes: [...CHANGE_EVENT_TYPES],
  });
  expect(sub.status).toBe(201);

  function optOut(userId: string) {
    return fetch(`${server.url}/profile-command/v1/${SITE}/optOut/${encodeURIComponent(userId)}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${privacyToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'optOut', enableOptOut: true }),
    });
  }

  async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON answers
    return { status: res.status, body: parsed as any };
  }

  const admin = () => ({ authorization: `Bearer ${server.adminKey}` });
  const segmentAuth = () => ({
    authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
  });

  /** A fresh PNAUTHINFO3 signature (as in mypreferences-auth.test.ts). */
  function pnauth(): Record<string, string> {
    issuedAt += 1_000;
    const issued = new Date(issuedAt).toISOString().replace(/\.\d+Z$/, 'Z');
    const signature = createHmac('sha256', MP_KEY)
      .update(`${MP_CLIENT}:${MP_USER}:${issued}`)
      .digest('base64');
    return {
      authorization: `PNAUTHINFO3-HMAC-SHA256 Credential=${MP_USER}/${issued} Signature=${signature}`,
    };
  }

  /** Every table's rows, as text, for a scan of what is stored. */
  async function allRows(): Promise<Record<string, string>> {
    const tables = await server.storage.db.introspection.getTables();
    const out: Record<string, string> = {};
    for (const t of tables) {
      if (t.name.startsWith('kysely_')) continue;
      // biome-ignore lint/suspicious/noExplicitAny: every table, read as it is
      const rows = await (server.storage.db as any).selectFrom(t.name).selectAll().execute();
      out[t.name] = JSON.stringify(rows);
    }
    return out;
  }

  async function countOf(table: 'change_events' | 'webhook_deliveries' | 'jobs') {
    return Number(
      (
        await server.storage.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  }

  async function settleImport(statusUrl: string) {
    return waitFor(async () => {
      const res = await server.request('GET', statusUrl);
      return res.body.status === 'done' || res.body.status === 'failed' ? res.body : undefined;
    }, 20_000);
  }

  /** Waits until the job queue is idle (imports of both kinds have run). */
  async function settleJobs() {
    await waitFor(async () => {
      const busy = await server.storage.db
        .selectFrom('jobs')
        .select('id')
        .where('status', 'in', ['queued', 'running'])
        .execute();
      return busy.length === 0;
    }, 20_000);
  }

  return {
    server,
    receiver,
    optOut,
    post,
    admin,
    segmentAuth,
    pnauth,
    allRows,
    countOf,
    settleImport,
    settleJobs,
    async destroy() {
      await server.destroy();
      await receiver.close();
    },
  };
}

/** The page fields the Experience API's events carry. */
export function pageContext() {
  return { path: '/', url: 'https://shop.example/', referrer: '', search: '', query: {} };
}
