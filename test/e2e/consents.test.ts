import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optOutUser } from '../helpers/opt-out.js';
import { mid, pageEvent, startTestServer, type TestServer } from '../helpers/test-server.js';

const HOUR = 3_600_000;
let server: TestServer;
let clock = Date.now();

beforeAll(async () => {
  server = await startTestServer({ now: () => clock });
});
afterAll(() => server.destroy());

/** Creates a profile for `userId` and answers its id. */
async function createProfile(userId: string, traits: object = {}): Promise<string> {
  const res = await server.request('POST', `/v1/profiles/userId:${userId}/events`, {
    events: [{ type: 'identify', messageId: mid(), traits }],
  });
  expect(res.status).toBe(200);
  return res.body.profile.id;
}

const grant = (state: string, extra: object = {}) => ({
  state,
  policyVersion: 'v1',
  source: 'web-signup',
  ...extra,
});

/** Rows the consent tables keep for these profiles. */
async function consentRows(profileIds: string[]): Promise<number> {
  let total = 0;
  for (const table of ['consent_history', 'consent_current'] as const) {
    const row = await server.storage.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('profile_id', 'in', profileIds)
      .executeTakeFirstOrThrow();
    total += Number(row.n);
  }
  return total;
}

describe('consents', () => {
  it('records grant then withdrawal: the history has both, in order, and the withdrawal is current', async () => {
    await createProfile('cora');
    const granted = await server.request(
      'PUT',
      '/v1/profiles/userId:cora/consents/marketing',
      grant('granted', { actor: 'cora' }),
    );
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({
      purpose: 'marketing',
      dataPoint: 'person',
      attachedTo: { kind: 'person' },
      state: 'granted',
      policyVersion: 'v1',
      source: 'web-signup',
      actor: 'cora',
      ip: '127.0.0.1',
      needsRenewal: false,
      expiresAt: null,
    });
    clock += 1000;
    const withdrawn = await server.request(
      'PUT',
      '/v1/profiles/userId:cora/consents/marketing',
      grant('withdrawn', { ip: '198.51.100.4', source: 'preference-center' }),
    );
    expect(withdrawn.body).toMatchObject({ state: 'withdrawn', ip: '198.51.100.4' });

    const current = await server.request('GET', '/v1/profiles/userId:cora/consents');
    expect(current.body.data).toHaveLength(1);
    expect(current.body.data[0]).toMatchObject({ purpose: 'marketing', state: 'withdrawn' });

    const history = await server.request('GET', '/v1/profiles/userId:cora/consents/history');
    expect(history.status).toBe(200);
    expect(history.body.data.map((e: { state: string }) => e.state)).toEqual([
      'granted',
      'withdrawn',
    ]);
    expect(history.body.data[0]).toMatchObject({ change: 'set', actor: 'cora', ip: '127.0.0.1' });
    expect(Date.parse(history.body.data[1].at)).toBe(Date.parse(history.body.data[0].at) + 1000);
    expect(history.body.next).toBeNull();
  });

  it('keeps consents per data point: a contact, a device, the person; filters history by each', async () => {
    await createProfile('dev');
    const email = {
      kind: 'contact',
      type: 'email',
      value: 'Dev@Example.COM',
    };
    const put = (purpose: string, body: object) =>
      server.request('PUT', `/v1/profiles/userId:dev/consents/${purpose}`, body);
    expect((await put('marketing', grant('granted', { attachedTo: email }))).body.dataPoint).toBe(
      'contact:email:dev@example.com',
    );
    await put('marketing', grant('denied'));
    await put('tracking', grant('granted', { attachedTo: { kind: 'device', id: 'ios-1' } }));

    const all = await server.request('GET', '/v1/profiles/userId:dev/consents');
    expect(all.body.data.map((c: { purpose: string; dataPoint: string }) => c.dataPoint)).toEqual([
      'contact:email:dev@example.com',
      'person',
      'device:ios-1',
    ]);
    const byPurpose = await server.request(
      'GET',
      '/v1/profiles/userId:dev/consents?purpose=tracking',
    );
    expect(byPurpose.body.data).toHaveLength(1);
    const byPoint = await server.request(
      'GET',
      `/v1/profiles/userId:dev/consents/history?purpose=marketing&dataPoint=${encodeURIComponent('contact:email:DEV@example.com')}`,
    );
    expect(byPoint.body.data).toHaveLength(1);
    expect(byPoint.body.data[0]).toMatchObject({
      state: 'granted',
      dataPoint: 'contact:email:dev@example.com',
      attachedTo: { kind: 'contact', type: 'email', value: 'dev@example.com' },
    });

    const paged = await server.request('GET', '/v1/profiles/userId:dev/consents/history?limit=2');
    expect(paged.body.data).toHaveLength(2);
    const rest = await server.request(
      'GET',
      `/v1/profiles/userId:dev/consents/history?limit=2&cursor=${paged.body.next}`,
    );
    expect(rest.body.data).toHaveLength(1);
    expect(rest.body.next).toBeNull();
  });

  it('reads an expired consent as expired at a later time, and records the lapse once', async () => {
    await createProfile('eve');
    const expiresAt = new Date(clock + HOUR).toISOString();
    await server.request(
      'PUT',
      '/v1/profiles/userId:eve/consents/marketing',
      grant('granted', { expiresAt }),
    );
    const before = await server.request('GET', '/v1/profiles/userId:eve/consents');
    expect(before.body.data[0]).toMatchObject({ state: 'granted', expiresAt, lapsedAt: null });

    clock += 2 * HOUR;
    const after = await server.request('GET', '/v1/profiles/userId:eve/consents');
    expect(after.body.data[0]).toMatchObject({
      state: 'expired',
      recordedState: 'granted',
      lapsedAt: expiresAt,
    });
    for (let i = 0; i < 2; i++) {
      const history = await server.request('GET', '/v1/profiles/userId:eve/consents/history');
      expect(history.body.data.map((e: { change: string }) => e.change)).toEqual(['set', 'lapsed']);
      expect(history.body.data[1]).toMatchObject({
        state: 'expired',
        at: expiresAt,
        recordedAt: new Date(clock).toISOString(),
      });
    }
  });

  it('a change after an unnoticed expiry records the lapse first, then the change', async () => {
    await createProfile('ezra');
    const expiresAt = new Date(clock + HOUR).toISOString();
    const put = (body: object) =>
      server.request('PUT', '/v1/profiles/userId:ezra/consents/sms', body);
    await put(grant('granted', { expiresAt }));
    clock += 2 * HOUR;
    expect((await put(grant('denied'))).body).toMatchObject({ state: 'denied', expiresAt: null });
    const history = await server.request('GET', '/v1/profiles/userId:ezra/consents/history');
    expect(
      history.body.data.map((e: { change: string; state: string; at: string }) => [
        e.change,
        e.state,
        e.at,
      ]),
    ).toEqual([
      ['set', 'granted', new Date(clock - 2 * HOUR).toISOString()],
      ['lapsed', 'expired', expiresAt],
      ['set', 'denied', new Date(clock).toISOString()],
    ]);
  });

  it('marks earlier consents as needing renewal after a new policy version', async () => {
    await createProfile('paul');
    const publish = (version: string) =>
      server.request('POST', '/v1/consent-policies/analytics', { version });
    expect((await publish('v1')).status).toBe(201);
    await server.request('PUT', '/v1/profiles/userId:paul/consents/analytics', grant('granted'));
    const v1 = await server.request('GET', '/v1/profiles/userId:paul/consents');
    expect(v1.body.data[0]).toMatchObject({ needsRenewal: false, currentPolicyVersion: 'v1' });

    const bumped = await publish('v2');
    expect(bumped.status).toBe(201);
    expect(bumped.body).toMatchObject({ purpose: 'analytics', version: 'v2' });
    expect((await publish('v2')).status).toBe(200);
    expect((await publish('v1')).status).toBe(409);
    const stale = await server.request('GET', '/v1/profiles/userId:paul/consents');
    expect(stale.body.data[0]).toMatchObject({
      state: 'granted',
      policyVersion: 'v1',
      currentPolicyVersion: 'v2',
      needsRenewal: true,
    });

    await server.request(
      'PUT',
      '/v1/profiles/userId:paul/consents/analytics',
      grant('granted', { policyVersion: 'v2' }),
    );
    const renewed = await server.request('GET', '/v1/profiles/userId:paul/consents');
    expect(renewed.body.data[0]).toMatchObject({ policyVersion: 'v2', needsRenewal: false });
    const policies = await server.request('GET', '/v1/consent-policies');
    expect(policies.body.data).toEqual([
      expect.objectContaining({ purpose: 'analytics', version: 'v2' }),
    ]);
  });
});

describe('preferences', () => {
  it('keeps topics per channel, rolls them up into marketing channels, and keeps the history', async () => {
    await createProfile('pia');
    const put = (topic: string, channel: string, body: object) =>
      server.request('PUT', `/v1/profiles/userId:pia/preferences/${topic}/${channel}`, body);
    const news = await put('news', 'email', { subscribed: true, frequency: 'weekly' });
    expect(news.status).toBe(200);
    expect(news.body).toMatchObject({
      topic: 'news',
      channel: 'email',
      subscribed: true,
      frequency: 'weekly',
      source: 'api',
      ip: '127.0.0.1',
    });
    await put('offers', 'sms', {
      subscribed: true,
      expiresAt: new Date(clock + HOUR).toISOString(),
    });
    await put('news', 'whatsapp', { subscribed: false });

    const read = await server.request('GET', '/v1/profiles/userId:pia/preferences');
    expect(read.body.marketingPreferences.channels).toEqual([
      { channel: 'email', subscribed: true },
      { channel: 'sms', subscribed: true },
      { channel: 'whatsapp', subscribed: false },
    ]);
    expect(read.body.data).toHaveLength(3);

    clock += 1000;
    await put('news', 'email', { subscribed: false });
    clock += 2 * HOUR;
    const later = await server.request('GET', '/v1/profiles/userId:pia/preferences');
    expect(later.body.marketingPreferences.channels).toEqual([
      { channel: 'email', subscribed: false },
      { channel: 'sms', subscribed: false },
      { channel: 'whatsapp', subscribed: false },
    ]);
    expect(later.body.data.find((p: { topic: string }) => p.topic === 'offers')).toMatchObject({
      subscribed: false,
      recordedSubscribed: true,
      expired: true,
    });

    const history = await server.request(
      'GET',
      '/v1/profiles/userId:pia/preferences/history?channel=email',
    );
    expect(
      history.body.data.map((e: { change: string; subscribed: boolean }) => [
        e.change,
        e.subscribed,
      ]),
    ).toEqual([
      ['set', true],
      ['set', false],
    ]);
    const sms = await server.request(
      'GET',
      '/v1/profiles/userId:pia/preferences/history?topic=offers',
    );
    expect(sms.body.data.map((e: { change: string }) => e.change)).toEqual(['set', 'lapsed']);
  });
});

describe('audiences that test consent', () => {
  it('matches only after the consent is granted, and no longer after it is withdrawn', async () => {
    const created = await server.request('POST', '/v1/audiences', {
      id: 'marketable',
      name: 'Marketable',
      rule: { all: [{ consent: 'newsletter', state: 'granted' }, { identified: true }] },
    });
    expect(created.status).toBe(201);
    expect((await server.request('POST', '/v1/audiences/marketable/publish')).status).toBe(200);
    await createProfile('ann');
    const audiences = async () =>
      (await server.request('GET', '/v1/profiles/userId:ann/audiences')).body.audiences;

    expect(await audiences()).not.toContain('marketable');
    await server.request('PUT', '/v1/profiles/userId:ann/consents/newsletter', grant('denied'));
    expect(await audiences()).not.toContain('marketable');
    // A consent attached to one email address is not the person's consent to the purpose.
    await server.request(
      'PUT',
      '/v1/profiles/userId:ann/consents/newsletter',
      grant('granted', {
        attachedTo: { kind: 'contact', type: 'email', value: 'ann@example.com' },
      }),
    );
    expect(await audiences()).not.toContain('marketable');
    await server.request(
      'PUT',
      '/v1/profiles/userId:ann/consents/newsletter',
      grant('granted', { expiresAt: new Date(clock + HOUR).toISOString() }),
    );
    expect(await audiences()).toContain('marketable');

    const explained = await server.request('POST', '/v1/explain', { ref: 'userId:ann' });
    expect(explained.body.audiences.marketable.trace.children[0]).toMatchObject({
      kind: 'consent',
      actual: 'granted',
      result: true,
    });

    clock += 2 * HOUR;
    expect(await audiences()).not.toContain('marketable');
    await server.request('PUT', '/v1/profiles/userId:ann/consents/newsletter', grant('granted'));
    expect(await audiences()).toContain('marketable');
    await server.request('PUT', '/v1/profiles/userId:ann/consents/newsletter', grant('withdrawn'));
    expect(await audiences()).not.toContain('marketable');
  });
});

describe('erasure', () => {
  it('deleting a profile removes its consents, preferences and their history — also of the profiles merged into it', async () => {
    const anonymous = await server.request('POST', '/v1/profiles/anonymousId:anon-zoe/events', {
      events: [pageEvent()],
    });
    const anonymousId = anonymous.body.profile.id;
    await server.request(
      'PUT',
      '/v1/profiles/anonymousId:anon-zoe/consents/cookies',
      grant('granted', { attachedTo: { kind: 'device', id: 'browser-1' } }),
    );
    const zoe = await createProfile('zoe');
    const merged = await server.request('POST', '/v1/profiles/userId:zoe/events', {
      events: [{ type: 'identify', messageId: mid(), anonymousId: 'anon-zoe', userId: 'zoe' }],
    });
    expect(merged.body.profile.mergedIds).toContain(anonymousId);
    await server.request('PUT', '/v1/profiles/userId:zoe/consents/marketing', grant('granted'));
    await server.request('PUT', '/v1/profiles/userId:zoe/preferences/news/email', {
      subscribed: true,
    });
    // The survivor reads the consents of the profile merged into it.
    const current = await server.request('GET', '/v1/profiles/userId:zoe/consents');
    expect(current.body.data.map((c: { purpose: string }) => c.purpose)).toEqual([
      'cookies',
      'marketing',
    ]);
    expect(await consentRows([zoe, anonymousId])).toBeGreaterThanOrEqual(6);

    expect((await server.request('DELETE', '/v1/profiles/userId:zoe')).status).toBe(204);
    expect(await consentRows([zoe, anonymousId])).toBe(0);
    expect((await server.request('GET', '/v1/profiles/userId:zoe/consents')).status).toBe(404);
  });
});

describe('opt-out', () => {
  it('opting a user out (ProfileRepository.erase) leaves zero consent and preference rows', async () => {
    const otto = await createProfile('otto');
    await server.request('PUT', '/v1/profiles/userId:otto/consents/marketing', grant('granted'));
    await server.request('PUT', '/v1/profiles/userId:otto/preferences/news/sms', {
      subscribed: true,
    });
    expect(await consentRows([otto])).toBe(4);

    const res = await optOutUser(server, 'otto', 'site-consents');
    expect(res.status).toBe(200);
    expect(await consentRows([otto])).toBe(0);
  });
});

describe('bad requests', () => {
  it('answers 400 naming each field', async () => {
    await createProfile('val');
    const put = (purpose: string, body: unknown) =>
      server.request('PUT', `/v1/profiles/userId:val/consents/${purpose}`, body);
    const fields = (res: { body: { errors: Array<{ field: string }> } }) =>
      res.body.errors.map((e) => e.field);

    const state = await put('marketing', grant('maybe'));
    expect(state.status).toBe(400);
    expect(state.headers.get('content-type')).toContain('application/problem+json');
    expect(state.body.code).toBe('validation_failed');
    expect(fields(state)).toEqual(['body.state']);

    const missing = await put('marketing', { state: 'granted' });
    expect(missing.status).toBe(400);
    expect(fields(missing)[0]).toMatch(/^body\.(policyVersion|source)$/);

    const semantic = await put(
      'marketing',
      grant('granted', {
        expiresAt: new Date(clock - HOUR).toISOString(),
        attachedTo: { kind: 'contact', type: 'email', value: 'nope' },
        ip: 'localhost',
        extra: 1,
      }),
    );
    expect(semantic.status).toBe(400);
    expect(fields(semantic).sort()).toEqual(
      ['body.attachedTo.value', 'body.expiresAt', 'body.extra', 'body.ip'].sort(),
    );

    expect(fields(await put('bad:purpose', grant('granted')))).toEqual(['params.purpose']);
    const pref = await server.request('PUT', '/v1/profiles/userId:val/preferences/news/email', {
      subscribed: true,
      frequency: 'Every Day',
    });
    expect(fields(pref)).toEqual(['body.frequency']);
    const filter = await server.request(
      'GET',
      '/v1/profiles/userId:val/consents/history?dataPoint=robot:1',
    );
    expect(filter.status).toBe(400);
    expect(fields(filter)).toEqual(['querystring.dataPoint']);
    const policy = await server.request('POST', '/v1/consent-policies/marketing', {});
    expect(fields(policy)).toEqual(['body.version']);
    expect((await server.request('GET', '/v1/profiles/userId:val/consents')).body.data).toEqual([]);
  });

  it("answers 404 for an unknown profile and for another environment's key", async () => {
    await createProfile('own');
    await server.request('PUT', '/v1/profiles/userId:own/consents/marketing', grant('granted'));
    expect(
      (
        await server.request(
          'PUT',
          '/v1/profiles/userId:nobody/consents/marketing',
          grant('granted'),
        )
      ).status,
    ).toBe(404);
    const other = await server.createKey(['admin'], 'other-org', 'main');
    for (const [method, path, body] of [
      ['GET', '/v1/profiles/userId:own/consents', undefined],
      ['GET', '/v1/profiles/userId:own/consents/history', undefined],
      ['GET', '/v1/profiles/userId:own/preferences', undefined],
      ['PUT', '/v1/profiles/userId:own/consents/marketing', grant('withdrawn')],
      ['PUT', '/v1/profiles/userId:own/preferences/news/email', { subscribed: true }],
    ] as const) {
      const res = await server.request(method, path, body, other);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.code).toBe('profile_not_found');
    }
    expect(
      (await server.request('GET', '/v1/consent-policies', undefined, other)).body.data,
    ).toEqual([]);
    const mine = await server.request('GET', '/v1/profiles/userId:own/consents');
    expect(mine.body.data[0].state).toBe('granted');
  });

  it('needs write to change, read to read, admin to publish a policy', async () => {
    const read = await server.createKey(['read']);
    const write = await server.createKey(['write']);
    await createProfile('sco');
    const put = (key: string) =>
      server.request('PUT', '/v1/profiles/userId:sco/consents/marketing', grant('granted'), key);
    expect((await put(read)).status).toBe(403);
    expect((await put(write)).status).toBe(200);
    expect(
      (await server.request('GET', '/v1/profiles/userId:sco/consents', undefined, read)).status,
    ).toBe(200);
    const publish = await server.request(
      'POST',
      '/v1/consent-policies/marketing',
      { version: 'v9' },
      write,
    );
    expect(publish.status).toBe(403);
  });
});

describe('null optional fields', () => {
  it('takes a null actor, ip and expiry as "none", not as empty strings', async () => {
    await createProfile('nil');
    const res = await server.request(
      'PUT',
      '/v1/profiles/userId:nil/consents/marketing',
      grant('granted', { actor: null, ip: null, expiresAt: null }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ actor: null, ip: null, expiresAt: null });
  });
});
