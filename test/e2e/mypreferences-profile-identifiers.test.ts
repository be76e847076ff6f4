import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MyPreferencesCall, myPreferencesCaller } from '../helpers/pnauthinfo.js';
import { startTestServer, type TestServer, tableCounts } from '../helpers/test-server.js';

let server: TestServer;
let call: MyPreferencesCall;

beforeAll(async () => {
  server = await startTestServer();
  call = await myPreferencesCaller(server, 'IdentifiersClient', 'identifiers-user');
});
afterAll(() => server.destroy());

type Ids = Array<{ Type: string; Value: string }>;
const post = (AlternateIds: Ids, extra: object = {}) =>
  call('POST', '/Profiles', { AlternateIds, ...extra });
const profileIdOf = async (ref: string) => {
  const res = await call('GET', `/Profiles/${encodeURIComponent(ref)}`);
  return res.status === 200 ? (res.body.ProfileId as string) : res.status;
};

describe('MyPreferences profile upsert: every AlternateId is attached or refused', () => {
  let crm50: string;

  it('attaches the email, phone and customId that follow the first AlternateId', async () => {
    const res = await post([
      { Type: 'CRM', Value: 'crm-50' },
      { Type: 'email', Value: 'e50@example.com' },
      { Type: 'phone', Value: '+15551110000' },
      { Type: 'customId', Value: 'c50' },
    ]);
    expect(res.status).toBe(200);
    crm50 = res.body.ProfileId;
    expect(res.body.AlternateIds).toEqual(
      expect.arrayContaining([
        { Type: 'CRM', Value: 'crm-50' },
        { Type: 'email', Value: 'e50@example.com' },
        { Type: 'phone', Value: '+15551110000' },
        { Type: 'customId', Value: 'c50' },
      ]),
    );
    expect(await profileIdOf('email:e50@example.com')).toBe(crm50);
    expect(await profileIdOf('phone:+15551110000')).toBe(crm50);
    expect(await profileIdOf('customId:c50')).toBe(crm50);
    expect(await profileIdOf('CRM:crm-50')).toBe(crm50);
  });

  it('adds an email to a profile named by an alternate id it already holds', async () => {
    const res = await post([
      { Type: 'CRM', Value: 'crm-50' },
      { Type: 'email', Value: 'e52@example.com' },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.ProfileId).toBe(crm50);
    expect(res.body.AlternateIds).toEqual(
      expect.arrayContaining([
        { Type: 'email', Value: 'e50@example.com' },
        { Type: 'email', Value: 'e52@example.com' },
      ]),
    );
    expect(await profileIdOf('email:e52@example.com')).toBe(crm50);
  });

  it('attaches a customId that is not the identifier the profile was created under', async () => {
    const res = await post([
      { Type: 'CRM', Value: 'crm-51' },
      { Type: 'userId', Value: 'u51' },
      { Type: 'customId', Value: 'c51' },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.AlternateIds).toEqual(
      expect.arrayContaining([
        { Type: 'userId', Value: 'u51' },
        { Type: 'customId', Value: 'c51' },
      ]),
    );
    expect(await profileIdOf('customId:c51')).toBe(res.body.ProfileId);
  });

  it('attaches several emails, phones and anonymousIds, the first email and phone being the traits', async () => {
    const res = await post([
      { Type: 'userId', Value: 'u55' },
      { Type: 'email', Value: 'first55@example.com' },
      { Type: 'anonymousId', Value: 'anon-55a' },
      { Type: 'email', Value: 'second55@example.com' },
      { Type: 'phone', Value: '+15550000551' },
      { Type: 'anonymousId', Value: 'anon-55b' },
      { Type: 'phone', Value: '+15550000552' },
    ]);
    expect(res.status).toBe(200);
    const id = res.body.ProfileId;
    for (const ref of [
      'userId:u55',
      'email:first55@example.com',
      'email:second55@example.com',
      'anonymousId:anon-55a',
      'anonymousId:anon-55b',
      'phone:+15550000551',
      'phone:+15550000552',
    ]) {
      expect(await profileIdOf(ref), ref).toBe(id);
    }
    expect(res.body.Traits).toEqual({ email: 'first55@example.com', phone: '+15550000551' });
  });

  it('refuses a second customId for a profile that has one, and writes nothing', async () => {
    const res = await post([
      { Type: 'CRM', Value: 'crm-50' },
      { Type: 'customId', Value: 'c-other' },
      { Type: 'email', Value: 'never50@example.com' },
    ]);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ Code: 'identity_conflict' });
    expect(res.body.Message).toEqual(expect.stringContaining('customId'));
    expect(await profileIdOf('customId:c-other')).toBe(404);
    expect(await profileIdOf('email:never50@example.com')).toBe(404);
  });

  it('refuses two different customIds or userIds in one body', async () => {
    for (const type of ['customId', 'userId']) {
      const res = await post([
        { Type: 'CRM', Value: `crm-two-${type}` },
        { Type: type, Value: `${type}-a` },
        { Type: type, Value: `${type}-b` },
      ]);
      expect(res.status, type).toBe(400);
      expect(res.body.Code).toBe('validation_failed');
      expect(res.body.Errors).toEqual([
        expect.objectContaining({ field: 'alternateIds[2].value' }),
      ]);
      expect(await profileIdOf(`CRM:crm-two-${type}`)).toBe(404);
    }
  });

  it('refuses a customId, userId or anonymousId another profile holds, and merges nothing', async () => {
    const other = await post([
      { Type: 'userId', Value: 'u53' },
      { Type: 'customId', Value: 'c53' },
      { Type: 'anonymousId', Value: 'anon-53' },
    ]);
    expect(other.status).toBe(200);
    const mine = await post([
      { Type: 'CRM', Value: 'crm-54' },
      { Type: 'anonymousId', Value: 'anon-54' },
    ]);
    expect(mine.status).toBe(200);
    for (const [type, value] of [
      ['customId', 'c53'],
      ['userId', 'u53'],
      ['anonymousId', 'anon-53'],
    ] as const) {
      const res = await post([
        { Type: 'CRM', Value: 'crm-54' },
        { Type: type, Value: value },
      ]);
      expect(res.status, type).toBe(409);
      expect(res.body.Message).toContain(`${type} ${value} belongs to another profile`);
      expect(await profileIdOf(`${type}:${value}`)).toBe(other.body.ProfileId);
    }
    expect(await profileIdOf('CRM:crm-54')).toBe(mine.body.ProfileId);
    const after = await call('GET', '/Profiles/CRM:crm-54');
    expect(after.body.AlternateIds).toEqual([
      { Type: 'anonymousId', Value: 'anon-54' },
      { Type: 'CRM', Value: 'crm-54' },
    ]);
  });
});

describe('MyPreferences profile upsert: emails and phones are validated and normalized', () => {
  it('stores the first AlternateId email lower-cased, found by that form', async () => {
    const res = await post([{ Type: 'email', Value: 'PN2@Example.COM' }]);
    expect(res.status).toBe(200);
    expect(res.body.AlternateIds).toContainEqual({ Type: 'email', Value: 'pn2@example.com' });
    expect(res.body.AlternateIds).not.toContainEqual({ Type: 'email', Value: 'PN2@Example.COM' });
    expect(await profileIdOf('email:pn2@example.com')).toBe(res.body.ProfileId);

    // Named again in another case: the same profile.
    const again = await post([{ Type: 'email', Value: 'pn2@EXAMPLE.com' }]);
    expect(again.body.ProfileId).toBe(res.body.ProfileId);
  });

  it('stores a phone as ingestion does (+digits)', async () => {
    const res = await post([{ Type: 'phone', Value: '+1 (555) 222-3333' }]);
    expect(res.status).toBe(200);
    expect(res.body.AlternateIds).toContainEqual({ Type: 'phone', Value: '+15552223333' });
    expect(await profileIdOf('phone:+15552223333')).toBe(res.body.ProfileId);
  });

  it('refuses an email or phone that is not one (first or later), writing nothing', async () => {
    for (const ids of [
      [{ Type: 'email', Value: 'nope' }],
      [{ Type: 'phone', Value: 'call me' }],
      [
        { Type: 'CRM', Value: 'crm-bad-contact' },
        { Type: 'email', Value: 'nope' },
      ],
    ]) {
      const res = await post(ids);
      const label = JSON.stringify(ids);
      expect(res.status, label).toBe(400);
      expect(res.body.Code, label).toBe('validation_failed');
      expect(res.body.Message, label).toContain('not a valid');
      expect(res.body.Errors, label).toEqual([
        { field: `alternateIds[${ids.length - 1}].value`, message: expect.any(String) },
      ]);
    }
    // (Searched as given: a path reference `email:nope` may itself be refused as not an email.)
    expect((await call('GET', '/Profiles?email=nope')).body).toEqual({ Profiles: [] });
    expect(await profileIdOf('CRM:crm-bad-contact')).toBe(404);
  });
});

describe('MyPreferences consent, preference, history and event routes take an alternate id', () => {
  let id: string;

  beforeAll(async () => {
    const res = await post([
      { Type: 'CRM', Value: 'crm-c1' },
      { Type: 'userId', Value: 'mp-c1' },
    ]);
    expect(res.status).toBe(200);
    id = res.body.ProfileId;
  });

  it('records and reads consents and preferences of the profile a CRM id names', async () => {
    const consent = await call('POST', '/Profiles/CRM:crm-c1/Consents', {
      Consents: [{ Purpose: 'marketing', Status: 'Granted', PolicyVersion: 'v1', Source: 'crm' }],
    });
    expect(consent.status).toBe(200);
    expect(consent.body.ProfileId).toBe(id);
    const consents = await call('GET', '/Profiles/CRM:crm-c1/Consents');
    expect(consents.status).toBe(200);
    expect(consents.body.Consents).toHaveLength(1);

    const pref = await call('POST', '/Profiles/CRM:crm-c1/Preferences', {
      Preferences: [{ Topic: 'news', Channel: 'email', Subscribed: true }],
    });
    expect(pref.status).toBe(200);
    expect(pref.body.ProfileId).toBe(id);
    expect((await call('GET', '/Profiles/CRM:crm-c1/Preferences')).body.Preferences).toHaveLength(
      1,
    );

    // The same profile by its ProfileId: the entries recorded through the CRM id.
    expect((await call('GET', `/Profiles/${id}/History`)).body.History).toHaveLength(2);
    for (const path of ['History', 'Consents/History', 'Preferences/History']) {
      const res = await call('GET', `/Profiles/CRM:crm-c1/${path}`);
      expect(res.status, path).toBe(200);
      expect(res.body.ProfileId, path).toBe(id);
      expect(res.body.History.length, path).toBeGreaterThan(0);
    }
    const events = await call('GET', '/Profiles/CRM:crm-c1/Events');
    expect(events.status).toBe(200);
  });

  it('answers 404 for an alternate id nobody holds, as the profile GET does', async () => {
    expect((await call('GET', '/Profiles/CRM:nobody')).status).toBe(404);
    for (const path of ['Consents', 'Preferences', 'History', 'Events']) {
      const res = await call('GET', `/Profiles/CRM:nobody/${path}`);
      expect(res.status, path).toBe(404);
      expect(res.body.Code, path).toBe('profile_not_found');
    }
    const post = await call('POST', '/Profiles/CRM:nobody/Consents', {
      Consents: [{ Purpose: 'marketing', Status: 'Granted', PolicyVersion: 'v1', Source: 'crm' }],
    });
    expect(post.status).toBe(404);
  });
});

describe('concurrent upserts', () => {
  it('creates one profile for a new alternate id sent by several requests at once', async () => {
    const before = await tableCounts(server.storage);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call('POST', '/Profiles', {
          AlternateIds: [{ Type: 'CRM', Value: 'raced-crm' }],
          CustomFields: { C: `v${i}` },
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(new Set(answers.map((a) => a.body.ProfileId)).size).toBe(1);
    expect((await tableCounts(server.storage)).profiles).toBe(before.profiles + 1);
  });
});
