import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mid, pageEvent, startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
let clock = Date.parse('2026-11-22T12:00:00Z');

beforeAll(async () => {
  server = await startTestServer({ now: () => clock });
  const audience = await server.request('POST', '/v1/audiences', {
    id: 'subscribers',
    name: 'Newsletter subscribers',
    rule: { consent: 'newsletter', state: 'granted' },
  });
  expect(audience.status).toBe(201);
  expect((await server.request('POST', '/v1/audiences/subscribers/publish')).status).toBe(200);
});
afterAll(() => server.destroy());

async function send(userId: string, events: object[]) {
  const res = await server.request('POST', `/v1/profiles/userId:${userId}/events`, { events });
  expect(res.status).toBe(200);
  return res.body.profile;
}

const setConsent = (userId: string, state: string) =>
  server.request('PUT', `/v1/profiles/userId:${userId}/consents/newsletter`, {
    state,
    policyVersion: 'v1',
    source: 'test',
  });

/** The memberships stored in the profile document (what ingest computed). */
async function stored(profileId: string): Promise<string[]> {
  const row = await server.storage.db
    .selectFrom('profiles')
    .select('state')
    .where('id', '=', profileId)
    .executeTakeFirstOrThrow();
  return JSON.parse(row.state).audiences ?? [];
}

async function membership(userId: string) {
  const res = await server.request('GET', `/v1/profiles/userId:${userId}/audiences`);
  expect(res.status).toBe(200);
  return {
    now: res.body.audiences as string[],
    log: (res.body.log as Array<{ kind: string }>).map((e) => e.kind),
  };
}

describe('consent in ingest-time audience evaluation', () => {
  it('enters on a grant and exits on a withdrawal, in the stored log, without a new event', async () => {
    await send('ada', [{ type: 'identify', messageId: mid(), traits: {} }]);
    expect(await membership('ada')).toEqual({ now: [], log: [] });

    clock += 1000;
    expect((await setConsent('ada', 'granted')).status).toBe(200);
    expect(await membership('ada')).toEqual({ now: ['subscribers'], log: ['entered'] });

    // An event after the grant evaluates with the consent too: no spurious exit.
    clock += 1000;
    const after = await send('ada', [pageEvent({ messageId: mid() })]);
    expect(await stored(after.id)).toEqual(['subscribers']);
    expect((await membership('ada')).log).toEqual(['entered']);

    clock += 1000;
    expect((await setConsent('ada', 'withdrawn')).status).toBe(200);
    expect(await membership('ada')).toEqual({ now: [], log: ['entered', 'exited'] });
    clock += 1000;
    await send('ada', [pageEvent({ messageId: mid() })]);
    expect((await membership('ada')).log).toEqual(['entered', 'exited']);
  });

  it('gives the same answer at ingest as at read for a consent given before the audience existed', async () => {
    await send('bo', [{ type: 'identify', messageId: mid(), traits: {} }]);
    await setConsent('bo', 'granted');
    const audience = await server.request('POST', '/v1/audiences', {
      id: 'not-subscribed',
      name: 'Not subscribed',
      rule: { not: { consent: 'newsletter', state: 'granted' } },
    });
    expect(audience.status).toBe(201);
    await server.request('POST', '/v1/audiences/not-subscribed/publish');
    clock += 2000;
    const profile = await send('bo', [pageEvent({ messageId: mid() })]);
    const read = await membership('bo');
    expect(await stored(profile.id)).toEqual(read.now);
    expect(read.now).toEqual(['subscribers']);
  });

  it('leaves memberships alone when a consent change does not touch them', async () => {
    await send('cy', [{ type: 'identify', messageId: mid(), traits: {} }]);
    const before = await membership('cy');
    expect(before.now).toEqual(['not-subscribed']);
    clock += 1000;
    await setConsent('cy', 'denied');
    expect(await membership('cy')).toEqual(before);
  });
});
