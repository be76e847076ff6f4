import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mid, startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
let clock = Date.parse('2026-11-22T12:00:00Z');
const V2 = '/v2/organizations/default/environments/main';

async function admin(method: string, path: string, body?: unknown) {
  const res = await server.request(method, path, body);
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
}

beforeAll(async () => {
  server = await startTestServer({ now: () => clock });
  await admin('POST', '/v1/audiences', {
    id: 'everyone',
    name: 'Everyone',
    rule: { identified: true },
  });
  await admin('POST', '/v1/audiences/everyone/publish');
  await admin('POST', '/v1/experiences', {
    id: 'exp-hero',
    type: 'personalization',
    audienceId: 'everyone',
    trafficAllocation: 1,
    distribution: [0, 1],
    priority: 1,
    components: [{ baselineId: 'entry-hero', variantIds: ['entry-hero-b'] }],
    variables: [{ key: 'heroTitle', values: ['Welcome', 'Welcome back!'] }],
  });
  await admin('POST', '/v1/experiences/exp-hero/publish');
});
afterAll(() => server.destroy());

const identify = (userId: string) => ({
  type: 'identify',
  messageId: mid(),
  userId,
  traits: {},
  channel: 'server',
  timestamp: new Date(clock).toISOString(),
  context: { library: { name: 'test', version: '1' }, page: pageContext },
});
const pageContext = {
  path: '/',
  url: 'https://shop.example/',
  referrer: '',
  search: '',
  query: {},
};
const viewed = (variantIndex: number) => ({
  ...identify('x'),
  userId: undefined,
  traits: undefined,
  type: 'component',
  componentType: 'Entry',
  componentId: 'entry-hero-b',
  experienceId: 'exp-hero',
  variantIndex,
});

async function v2(method: string, path: string, body?: unknown) {
  const res = await server.request(method, `${V2}${path}`, body, null);
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(200);
  return res.body.data;
}

const setConsent = (profileId: string, state: string) =>
  admin('PUT', `/v1/profiles/${profileId}/consents/personalization`, {
    state,
    policyVersion: 'v1',
    source: 'cookie-banner',
  });

async function stickyOf(profileId: string) {
  const row = await server.storage.db
    .selectFrom('profiles')
    .select('state')
    .where('id', '=', profileId)
    .executeTakeFirstOrThrow();
  return JSON.parse(row.state).stickyVariants;
}

describe('personalizationRequiresConsent', () => {
  it('is off by default: everyone gets the experience', async () => {
    const data = await v2('POST', '/profiles', { events: [identify('free')] });
    expect(data.experiences.map((e: { experienceId: string }) => e.experienceId)).toEqual([
      'exp-hero',
    ]);
  });

  it('is set through the native environment routes (admin), and checked', async () => {
    const reader = await server.createKey(['read']);
    expect(
      (
        await server.request(
          'PATCH',
          '/v1/environment',
          { personalizationRequiresConsent: 'personalization' },
          reader,
        )
      ).status,
    ).toBe(403);
    const bad = await server.request('PATCH', '/v1/environment', {
      personalizationRequiresConsent: 'no spaces',
    });
    expect(bad.status).toBe(400);
    const set = await admin('PATCH', '/v1/environment', {
      personalizationRequiresConsent: 'personalization',
    });
    expect(set.settings).toEqual({
      publicAccess: 'open',
      personalizationRequiresConsent: 'personalization',
    });
    expect((await admin('GET', '/v1/environment')).settings.personalizationRequiresConsent).toBe(
      'personalization',
    );
  });

  it('gives the baseline and stores no sticky variant until the consent is granted', async () => {
    const created = await v2('POST', '/profiles', { events: [identify('ann')] });
    const id = created.profile.id;
    expect(created.experiences).toEqual([]);
    expect(created.changes).toEqual([]);
    // Audiences are not experiences: the profile is still in its audience.
    expect(created.profile.audiences).toEqual(['everyone']);

    const seen = await v2('POST', `/profiles/${id}`, { events: [viewed(1)] });
    expect(seen.experiences).toEqual([]);
    expect(await stickyOf(id)).toEqual({});
    const explained = await admin('POST', '/v1/explain', { ref: id });
    expect(explained.selection.experiences).toEqual([]);

    clock += 1000;
    await setConsent(id, 'granted');
    const granted = await v2('GET', `/profiles/${id}`);
    expect(granted.experiences).toEqual([
      expect.objectContaining({ experienceId: 'exp-hero', variantIndex: 1 }),
    ]);
    expect(granted.changes).toHaveLength(1);
    expect((await admin('POST', '/v1/explain', { ref: id })).selection.experiences).toHaveLength(1);
    await v2('POST', `/profiles/${id}`, { events: [viewed(1)] });
    expect(Object.keys(await stickyOf(id))).toEqual(['exp-hero']);

    // Withdrawn: the baseline again, and the stored assignment is dropped with the change.
    clock += 1000;
    await setConsent(id, 'withdrawn');
    expect((await v2('GET', `/profiles/${id}`)).experiences).toEqual([]);
    expect(await stickyOf(id)).toEqual({});
  });

  it('treats an expired consent as not granted', async () => {
    const created = await v2('POST', '/profiles', { events: [identify('bea')] });
    const id = created.profile.id;
    await admin('PUT', `/v1/profiles/${id}/consents/personalization`, {
      state: 'granted',
      policyVersion: 'v1',
      source: 'cookie-banner',
      expiresAt: new Date(clock + 60_000).toISOString(),
    });
    expect((await v2('GET', `/profiles/${id}`)).experiences).toHaveLength(1);
    clock += 120_000;
    expect((await v2('GET', `/profiles/${id}`)).experiences).toEqual([]);
  });

  it('is switched off again with null', async () => {
    await admin('PATCH', '/v1/environment', { personalizationRequiresConsent: null });
    const data = await v2('POST', '/profiles', { events: [identify('cid')] });
    expect(data.experiences).toHaveLength(1);
  });
});
