import { NinetailedAPIClient } from '@ninetailed/experience.js-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mid, startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
let keyA: string;
let keyB: string;

async function publishableKey(name: string): Promise<string> {
  const res = await server.request('POST', '/v1/credentials', {
    kind: 'publishable_key',
    name,
  });
  expect(res.status).toBe(201);
  expect(res.body.scopes).toEqual(['read', 'write']);
  return res.body.secret;
}

const sdk = (clientId: string) =>
  new NinetailedAPIClient({ clientId, environment: 'main', url: server.url });
const identify = (client: NinetailedAPIClient, userId: string, traits: Record<string, string>) =>
  client.createIdentifyEvent(userId, traits);

async function raw(path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'text/plain' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as { error: { code: string } | null; message: string },
  };
}

beforeAll(async () => {
  server = await startTestServer();
  keyA = await publishableKey('site A');
  keyB = await publishableKey('site B');
});
afterAll(() => server.destroy());

describe('public access settings', () => {
  it('are open by default and locked by an admin', async () => {
    expect((await server.request('GET', '/v1/environment')).body.settings).toEqual({
      publicAccess: 'open',
    });
    const readOnly = await server.createKey(['read']);
    expect(
      (await server.request('PATCH', '/v1/environment', { publicAccess: 'locked' }, readOnly))
        .status,
    ).toBe(403);
    const res = await server.request('PATCH', '/v1/environment', { publicAccess: 'locked' });
    expect(res.body.settings).toEqual({ publicAccess: 'locked' });
  });

  it('refuses the organization slug in locked mode, and takes a publishable key of that environment instead', async () => {
    const bySlug = await raw('/v2/organizations/default/environments/main/profiles', {
      events: [],
    });
    expect(bySlug.status).toBe(404);
    expect(bySlug.body.error?.code).toBe('ERR_CONFIG_NOT_FOUND');
    const wrongEnv = await raw(`/v2/organizations/${keyA}/environments/staging/profiles`, {
      events: [],
    });
    expect(wrongEnv.body.error?.code).toBe('ERR_CONFIG_NOT_FOUND');
    const forged = await raw(
      `/v2/organizations/tpk_${'0'.repeat(32)}_${'A'.repeat(43)}/environments/main/profiles`,
      {
        events: [],
      },
    );
    expect(forged.body.error?.code).toBe('ERR_CONFIG_NOT_FOUND');
  });
});

describe('locked mode with the real Node SDK', () => {
  it('lets a key reach only the profiles it created', async () => {
    const a = sdk(keyA);
    const created = await a.createProfile({ events: [identify(a, '', { color: 'blue' })] });
    expect(created.profile.traits).toEqual({ color: 'blue' });
    const again = await a.getProfile(created.profile.id);
    expect(again.profile.id).toBe(created.profile.id);

    const b = sdk(keyB);
    await expect(b.getProfile(created.profile.id)).rejects.toThrow(/404/);
    await expect(
      b.updateProfile({
        profileId: created.profile.id,
        events: [identify(b, '', { color: 'red' })],
      }),
    ).rejects.toThrow(/404/);
    // A profile made by a server credential is out of reach too.
    const serverMade = await server.request('POST', '/v1/profiles/userId:server-user/events', {
      events: [{ type: 'identify', messageId: mid(), traits: { vip: true } }],
    });
    await expect(a.getProfile(serverMade.body.profile.id)).rejects.toThrow(/404/);
    expect((await a.getProfile(created.profile.id)).profile.traits).toEqual({ color: 'blue' });
  });

  it('never merges a public caller into an already-identified profile', async () => {
    const a = sdk(keyA);
    const browser = await a.createProfile({
      events: [identify(a, '', { note: 'anonymous visitor' })],
    });
    // Someone claims to be the server-known user from the browser.
    const claimed = await a.updateProfile({
      profileId: browser.profile.id,
      events: [identify(a, 'server-user', { vip: 'false' })],
    });
    expect(claimed.profile.id).toBe(browser.profile.id);
    const known = (await server.request('GET', '/v1/profiles/userId:server-user')).body;
    expect(known.traits).toEqual({ vip: true });
    expect(known.mergedIds).toEqual([]);
    // A server credential still can identify the browser profile as that user.
    const res = await server.request('POST', `/v1/profiles/${browser.profile.id}/events`, {
      events: [{ type: 'identify', messageId: mid(), userId: 'server-user' }],
    });
    expect(res.status).toBe(200);
    expect(res.body.profile.mergedIds).toContain(browser.profile.id);
  });
});
