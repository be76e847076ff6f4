import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pnauthinfo3 } from '../helpers/pnauthinfo.js';
import { mid, startTestServer, type TestServer } from '../helpers/test-server.js';

// Signing as in mypreferences-auth.test.ts (the 004 document's keyed scheme).
const CLIENT = 'AcmeCorp';
const API_USER = 'ServiceDesk';
const KEY = 'a private key for the service desk';
const HOUR = 3_600_000;

let server: TestServer;
let clock = Date.parse('2026-11-22T10:00:00Z');
let oauthClient: { publicId: string; secret: string };

beforeAll(async () => {
  server = await startTestServer({ now: () => clock });
  expect((await server.request('PUT', `/v1/surface-keys/mypreferences/${CLIENT}`)).status).toBe(
    204,
  );
  const user = await server.request('POST', '/v1/credentials', {
    kind: 'hmac_user',
    name: 'desk',
    scopes: ['read', 'write'],
    userId: API_USER,
    privateKey: KEY,
  });
  expect(user.status).toBe(201);
  oauthClient = (
    await server.request('POST', '/v1/credentials', {
      kind: 'oauth_client',
      name: 'preference-center',
      scopes: ['read', 'write'],
    })
  ).body;
  for (const userId of ['john', 'mary', 'lena', 'otto', 'bad']) {
    const res = await server.request('POST', `/v1/profiles/userId:${userId}/events`, {
      events: [{ type: 'identify', messageId: mid(), traits: {} }],
    });
    expect(res.status).toBe(200);
  }
});
afterAll(() => server.destroy());

/** A fresh PNAUTHINFO3 header: the clock moves a second so that no signature repeats. */
function signed(): string {
  clock += 1000;
  const issued = new Date(clock).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return pnauthinfo3(CLIENT, API_USER, KEY, issued);
}

async function token(scope: string): Promise<string> {
  const res = await fetch(`${server.url}/oauth2/v1/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${oauthClient.publicId}:${oauthClient.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  });
  expect(res.status).toBe(200);
  return `Bearer ${((await res.json()) as { access_token: string }).access_token}`;
}

async function call(method: string, path: string, body?: unknown, authorization = signed()) {
  const headers: Record<string, string> = { authorization };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${server.url}/Profiles/v4/${CLIENT}/Profiles/${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON answers
  return { status: res.status, body: (text ? JSON.parse(text) : null) as any };
}

const consent = (extra: object = {}) => ({
  Purpose: 'marketing',
  Status: 'Granted',
  PolicyVersion: 'v1',
  Source: 'preference-center',
  CollectedBy: 'john',
  ...extra,
});

async function historyRows(): Promise<number> {
  const row = await server.storage.db
    .selectFrom('consent_history')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('MyPreferences consents, preferences and history (PNAUTHINFO3)', () => {
  it('records consents per data point and keeps every change in an append-only history', async () => {
    const granted = await call('POST', 'userId:john/Consents', {
      Consents: [
        consent({ IpAddress: '198.51.100.7' }),
        consent({ AttachedTo: { Type: 'ContactElement', Value: 'John@Example.com' } }),
        consent({ Purpose: 'analytics', AttachedTo: { Type: 'Device', Value: 'ios-1' } }),
      ],
    });
    expect(granted.status).toBe(200);
    expect(granted.body.Consents).toHaveLength(3);
    expect(granted.body.Consents[0]).toMatchObject({
      Purpose: 'marketing',
      Status: 'Granted',
      PolicyVersion: 'v1',
      Source: 'preference-center',
      CollectedBy: 'john',
      IpAddress: '198.51.100.7',
      AttachedTo: { Type: 'Profile', Value: null },
      DataPoint: 'person',
      ExpiresAt: null,
      NeedsRenewal: false,
    });
    expect(granted.body.Consents[1].AttachedTo).toEqual({
      Type: 'ContactElement',
      Value: 'john@example.com',
    });
    const before = (await call('GET', 'userId:john/Consents/History')).body.History;
    expect(before).toHaveLength(3);

    const withdrawn = await call('POST', 'userId:john/Consents', {
      Consents: [consent({ Status: 'Withdrawn', Source: 'unsubscribe-link' })],
    });
    expect(withdrawn.body.Consents[0]).toMatchObject({ Status: 'Withdrawn' });
    const current = await call('GET', 'userId:john/Consents?purpose=marketing');
    expect(current.body.Consents.map((c: { Status: string }) => c.Status)).toEqual([
      'Granted',
      'Withdrawn',
    ]);

    const after = (await call('GET', 'userId:john/Consents/History')).body;
    expect(after.ProfileId).toBe(granted.body.ProfileId);
    expect(after.History).toHaveLength(4);
    // Immutable: the earlier entries read exactly as before; the withdrawal was appended.
    expect(after.History.slice(0, 3)).toEqual(before);
    expect(after.History[3]).toMatchObject({
      Type: 'Consent',
      Change: 'Set',
      Status: 'Withdrawn',
      Source: 'unsubscribe-link',
    });
    const person = await call(
      'GET',
      `userId:john/Consents/History?purpose=marketing&dataPoint=person`,
    );
    expect(person.body.History.map((e: { Status: string }) => e.Status)).toEqual([
      'Granted',
      'Withdrawn',
    ]);
  });

  it('records preferences and pages the combined history of one data point or all', async () => {
    const prefs = await call('POST', 'userId:mary/Preferences', {
      Preferences: [
        { Topic: 'newsletter', Channel: 'email', Subscribed: true, Frequency: 'weekly' },
        { Topic: 'offers', Channel: 'sms', Subscribed: false },
      ],
    });
    expect(prefs.status).toBe(200);
    expect(prefs.body.Preferences[0]).toMatchObject({
      Topic: 'newsletter',
      Channel: 'email',
      Subscribed: true,
      Frequency: 'weekly',
      Source: 'api',
      Expired: false,
    });
    const anonymous = await call('POST', 'userId:mary/Consents', {
      Consents: [consent({ CollectedBy: null })],
    });
    expect(anonymous.body.Consents[0].CollectedBy).toBeNull();
    await call('POST', 'userId:mary/Preferences', {
      Preferences: [{ Topic: 'newsletter', Channel: 'email', Subscribed: false }],
    });

    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = await call(
        'GET',
        `userId:mary/History?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.History.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.History.map((e: { Type: string }) => e.Type));
      cursor = page.body.NextCursor;
    }
    expect(seen).toEqual(['Preference', 'Preference', 'Consent', 'Preference']);

    const one = await call('GET', 'userId:mary/History?dataPoint=Preference:newsletter:email');
    expect(one.body.History.map((e: { Subscribed: boolean }) => e.Subscribed)).toEqual([
      true,
      false,
    ]);
    const consents = await call('GET', 'userId:mary/History?dataPoint=Consent:marketing:person');
    expect(consents.body.History).toHaveLength(1);
    const byKind = await call('GET', 'userId:mary/Preferences/History?channel=sms');
    expect(byKind.body.History).toHaveLength(1);
    const current = await call('GET', 'userId:mary/Preferences?topic=newsletter');
    expect(current.body.Preferences).toEqual([
      expect.objectContaining({ Subscribed: false, RecordedSubscribed: false }),
    ]);
  });

  it('lapses an expired consent once, dated at its expiry, by the server clock', async () => {
    const expiresAt = new Date(clock + HOUR).toISOString();
    await call('POST', 'userId:lena/Consents', { Consents: [consent({ ExpiresAt: expiresAt })] });
    await call('POST', 'userId:lena/Preferences', {
      Preferences: [{ Topic: 'news', Channel: 'email', Subscribed: true, ExpiresAt: expiresAt }],
    });
    expect((await call('GET', 'userId:lena/Consents')).body.Consents[0].Status).toBe('Granted');

    clock += 2 * HOUR;
    const lapsed = (await call('GET', 'userId:lena/Consents')).body.Consents[0];
    expect(lapsed).toMatchObject({ Status: 'Expired', RecordedStatus: 'Granted' });
    expect(lapsed.LapsedAt).toBe(expiresAt);
    const pref = (await call('GET', 'userId:lena/Preferences')).body.Preferences[0];
    expect(pref).toMatchObject({ Subscribed: false, Expired: true });

    // Read twice more: the lapse is recorded once.
    await call('GET', 'userId:lena/Consents');
    const history = (await call('GET', 'userId:lena/History')).body.History;
    expect(history.map((e: { Change: string; Type: string }) => `${e.Type}:${e.Change}`)).toEqual([
      'Consent:Set',
      'Preference:Set',
      'Consent:Lapsed',
      'Preference:Lapsed',
    ]);
    expect(history[2]).toMatchObject({ Status: 'Expired', ChangedAt: expiresAt });
  });

  it('flags consents for renewal when a new policy version is published', async () => {
    const publish = (version: string) =>
      server.request('POST', '/v1/consent-policies/terms', { version });
    expect((await publish('2026-01')).status).toBe(201);
    const given = await call('POST', 'userId:otto/Consents', {
      Consents: [consent({ Purpose: 'terms', PolicyVersion: '2026-01' })],
    });
    expect(given.body.Consents[0]).toMatchObject({
      NeedsRenewal: false,
      CurrentPolicyVersion: '2026-01',
    });
    expect((await publish('2026-06')).status).toBe(201);
    expect((await call('GET', 'userId:otto/Consents')).body.Consents[0]).toMatchObject({
      NeedsRenewal: true,
      PolicyVersion: '2026-01',
      CurrentPolicyVersion: '2026-06',
    });
    const renewed = await call('POST', 'userId:otto/Consents', {
      Consents: [consent({ Purpose: 'terms', PolicyVersion: '2026-06' })],
    });
    expect(renewed.body.Consents[0].NeedsRenewal).toBe(false);
  });

  it('answers bad input with 400 {"Message"} and records nothing', async () => {
    const before = await historyRows();
    const bad: Array<[string, string, unknown, string]> = [
      ['POST', 'userId:bad/Consents', {}, 'Consents'],
      ['POST', 'userId:bad/Consents', { Consents: [] }, 'Consents'],
      [
        'POST',
        'userId:bad/Consents',
        { Consents: [consent(), consent({ Status: 'Maybe' })] },
        'Status',
      ],
      [
        'POST',
        'userId:bad/Consents',
        { Consents: [consent({ CollectedAt: '2020-01-01T00:00:00Z' })] },
        'CollectedAt',
      ],
      [
        'POST',
        'userId:bad/Consents',
        { Consents: [consent({ ExpiresAt: '2001-01-01T00:00:00Z' })] },
        'ExpiresAt',
      ],
      [
        'POST',
        'userId:bad/Consents',
        { Consents: [consent({ AttachedTo: { Type: 'ContactElement', Value: 'not a phone' } })] },
        'AttachedTo.Value',
      ],
      ['POST', 'userId:bad/Consents', { Consents: [consent({ Purpose: '__proto__' })] }, 'Purpose'],
      [
        'POST',
        'userId:bad/Preferences',
        { Preferences: [{ Topic: 'news', Channel: 'email', Subscribed: 'yes' }] },
        'Subscribed',
      ],
      ['GET', 'userId:bad/History?cursor=nope', undefined, 'cursor'],
      ['GET', 'userId:bad/History?dataPoint=Whatever:x', undefined, 'dataPoint'],
      ['GET', 'userId:bad/Consents?dataPoint=contact:fax:1', undefined, 'dataPoint'],
    ];
    for (const [method, path, body, field] of bad) {
      const res = await call(method, path, body);
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
      expect(typeof res.body.Message).toBe('string');
      expect(JSON.stringify(res.body), field).toContain(field);
    }
    expect(await historyRows()).toBe(before);
    expect((await call('GET', 'userId:nobody/Consents')).status).toBe(404);
  });
});

describe('MyPreferences consents under OAuth', () => {
  it('lets a ClientId/UserId token act as that API user for the whole client', async () => {
    // The document's UserId names the MyPreferences user calling, not a profile: the token
    // reaches every profile of its client, with its credential's scopes.
    const apiUser = await token(`${CLIENT}/john`);
    const write = await call(
      'POST',
      'userId:john/Preferences',
      { Preferences: [{ Topic: 'news', Channel: 'push', Subscribed: true }] },
      apiUser,
    );
    expect(write.status).toBe(200);
    const mary = await call('GET', 'userId:mary/Consents', undefined, apiUser);
    expect(mary.status).toBe(200);
    const history = await call('GET', `${mary.body.ProfileId}/History`, undefined, apiUser);
    expect(history.status).toBe(200);
    expect((await call('GET', 'no-such-profile/Consents', undefined, apiUser)).status).toBe(404);

    // A read-only token cannot write; another client's token reaches nothing here.
    const before = await historyRows();
    const readOnly = await token('read');
    expect((await call('GET', 'userId:mary/Consents', undefined, readOnly)).status).toBe(200);
    expect(
      (await call('POST', 'userId:mary/Consents', { Consents: [consent()] }, readOnly)).status,
    ).toBe(403);
    const otherClient = await token('OtherCorp/john');
    expect((await call('GET', 'userId:john/Consents', undefined, otherClient)).status).toBe(403);
    expect(await historyRows()).toBe(before);
  });

  it('refuses every consent route without a credential', async () => {
    const routes = server.app.routeTable.filter(
      (r) =>
        r.surface === 'mypreferences' && /:profileId\/(Consents|Preferences|History)/.test(r.url),
    );
    expect(routes.length).toBe(7);
    for (const route of routes) {
      const path = route.url.replace(':clientId', CLIENT).replace(':profileId', 'userId:john');
      const res = await fetch(`${server.url}${path}`, {
        method: route.method,
        headers: { 'content-type': 'application/json' },
        body: route.method === 'GET' ? undefined : '{}',
      });
      expect(res.status, `${route.method} ${route.url}`).toBe(401);
    }
  });

  it('documents the routes in the OpenAPI spec', async () => {
    const spec = (await server.request('GET', '/openapi.json')).body;
    const base = '/Profiles/v4/{clientId}/Profiles/{profileId}';
    for (const path of [
      '/Consents',
      '/Preferences',
      '/Consents/History',
      '/Preferences/History',
      '/History',
    ]) {
      expect(spec.paths[`${base}${path}`], path).toBeDefined();
    }
    expect(spec.paths[`${base}/Consents`].post.requestBody).toBeDefined();
  });
});
