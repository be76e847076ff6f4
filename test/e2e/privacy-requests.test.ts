import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngine } from '../helpers/test-database.js';
import {
  mid,
  pageEvent,
  startTestServer,
  type TestServer,
  tableCounts,
} from '../helpers/test-server.js';

let server: TestServer;
let privacyKey: string;

beforeAll(async () => {
  server = await startTestServer();
  privacyKey = await server.createKey(['privacy']);
  await server.request('PUT', '/v1/audiences/everyone', {
    name: 'Everyone identified',
    rule: { identified: true },
  });
  await server.request('POST', '/v1/audiences/everyone/publish');
  await server.request('POST', '/v1/events', {
    events: [
      pageEvent({ anonymousId: 'er-anon' }),
      {
        type: 'identify',
        messageId: mid(),
        userId: 'er-user',
        traits: { name: 'Erin', email: 'erin@example.com' },
      },
    ],
  });
  await server.request('POST', '/v1/events', {
    events: [{ type: 'identify', messageId: mid(), anonymousId: 'er-anon', userId: 'er-user' }],
  });
  await server.request('PUT', '/v1/profiles/userId:er-user/consents/marketing', {
    state: 'granted',
    policyVersion: '1',
    source: 'web',
  });
  await server.request('POST', '/v1/profiles/userId:bystander/events', {
    events: [{ type: 'identify', messageId: mid(), traits: { x: 1 } }],
  });
});
afterAll(() => server.destroy());

describe('access requests', () => {
  it('exports everything kept about one person', async () => {
    const res = await server.request(
      'GET',
      '/v1/privacy/profiles/userId:er-user/export',
      undefined,
      privacyKey,
    );
    expect(res.status).toBe(200);
    expect(res.body.profile.traits).toEqual({ name: 'Erin', email: 'erin@example.com' });
    expect(res.body.profile.identifiers).toContainEqual({
      type: 'email',
      value: 'erin@example.com',
    });
    expect(res.body.events.map((e: { type: string }) => e.type).sort()).toEqual([
      'identify',
      'identify',
      'page',
    ]);
    expect(res.body.merges).toHaveLength(1);
    expect(res.body.merges[0].mergedBefore).toBeDefined();
    expect(res.body.audienceLog.map((e: { audienceId: string }) => e.audienceId)).toContain(
      'everyone',
    );
  });

  it('needs the privacy scope', async () => {
    const readKey = await server.createKey(['read', 'write']);
    expect(
      (
        await server.request(
          'GET',
          '/v1/privacy/profiles/userId:er-user/export',
          undefined,
          readKey,
        )
      ).status,
    ).toBe(403);
    expect(
      (await server.request('POST', '/v1/privacy/erasures', { ref: 'userId:er-user' }, readKey))
        .status,
    ).toBe(403);
  });
});

describe('erasure', () => {
  it('erases the person from every store, and the checklist shows each count reaching zero', async () => {
    const before = await tableCounts(server.storage);
    const requested = await server.request(
      'POST',
      '/v1/privacy/erasures',
      { ref: 'email:erin@example.com' },
      privacyKey,
    );
    expect(requested.status).toBe(202);
    const id = requested.body.id;
    let status = requested.body;
    const deadline = Date.now() + 10_000;
    while (status.status !== 'done' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await server.request('GET', `/v1/privacy/erasures/${id}`, undefined, privacyKey))
        .body;
    }
    expect(status.status).toBe('done');
    expect(status.remaining).toEqual({
      profiles: 0,
      profile_identifiers: 0,
      events: 0,
      merges: 0,
      audience_events: 0,
      consent_history: 0,
      consent_current: 0,
      bulk_exports: 0,
      profile_notes: 0,
      profile_tags: 0,
      linked_devices: 0,
      profile_alternate_ids: 0,
      profile_labels: 0,
      change_events: 0,
      webhook_deliveries: 0,
    });
    const after = await tableCounts(server.storage);
    expect(after.profiles).toBe(before.profiles - 2);
    for (const table of [
      'profiles',
      'profile_identifiers',
      'events',
      'merges',
      'audience_events',
      'jobs',
    ] as const) {
      const rows = await server.storage.db.selectFrom(table).selectAll().execute();
      expect(JSON.stringify(rows), table).not.toContain('er-user');
      expect(JSON.stringify(rows), table).not.toContain('erin@example.com');
    }
    expect((await server.request('GET', '/v1/profiles/userId:bystander')).status).toBe(200);
    expect((await server.request('GET', '/v1/profiles/anonymousId:er-anon')).status).toBe(404);
    // Another environment cannot see the job.
    const otherPrivacy = await server.createKey(['privacy'], 'other', 'main');
    expect(
      (await server.request('GET', `/v1/privacy/erasures/${id}`, undefined, otherPrivacy)).status,
    ).toBe(404);
  });

  it('refuses to erase by an email two people share, erasing nobody', async () => {
    for (const userId of ['family-a', 'family-b']) {
      await server.request('POST', `/v1/profiles/userId:${userId}/events`, {
        events: [{ type: 'identify', messageId: mid(), traits: { email: 'family@example.com' } }],
      });
    }
    const before = await tableCounts(server.storage);
    const shared = await server.request(
      'POST',
      '/v1/privacy/erasures',
      { ref: 'email:family@example.com' },
      privacyKey,
    );
    expect(shared.status).toBe(409);
    expect(await tableCounts(server.storage)).toEqual(before);
    // Nobody by that reference: a job that erases nothing.
    const nobody = await server.request(
      'POST',
      '/v1/privacy/erasures',
      { ref: 'userId:never-seen' },
      privacyKey,
    );
    expect(nobody.status).toBe(202);
  });

  it('leaves nothing of an erased profile in the merge log of the profile it had been merged into', async () => {
    const identify = (body: object) =>
      server.request('POST', '/v1/events', {
        events: [{ type: 'identify', messageId: mid(), ...body }],
      });
    await identify({ userId: 'jay' });
    await identify({ anonymousId: 'jay-b', traits: { bsecret: 'JAYB-DATA' } });
    await identify({ anonymousId: 'jay-b', userId: 'jay' });
    // A later merge copies jay's document, jay-b's trait and anonymousId in it.
    await server.request('POST', '/v1/events', { events: [pageEvent({ anonymousId: 'jay-d' })] });
    await identify({ anonymousId: 'jay-d', userId: 'jay' });
    const log = (await server.request('GET', '/v1/profiles/userId:jay/merges')).body.data;
    const first = log.find(
      (m: { mergedBefore: { traits: object } }) => 'bsecret' in m.mergedBefore.traits,
    );
    expect(
      (await server.request('POST', `/v1/profiles/userId:jay/merges/${first.id}/undo`)).status,
    ).toBe(200);
    const jayB = (await server.request('GET', '/v1/profiles/anonymousId:jay-b')).body.id;

    expect((await server.request('DELETE', '/v1/profiles/anonymousId:jay-b')).status).toBe(204);
    const after = await server.request('GET', '/v1/profiles/userId:jay/merges');
    expect(JSON.stringify(after.body)).not.toContain('JAYB-DATA');
    expect(JSON.stringify(after.body)).not.toContain(jayB);
    expect(
      await server.storage.db
        .selectFrom('merges')
        .select('id')
        .where((eb) =>
          eb.or([
            eb('survivor_before', 'like', `%${jayB}%`),
            eb('merged_before', 'like', `%${jayB}%`),
          ]),
        )
        .execute(),
    ).toEqual([]);
  });

  it.skipIf(testEngine !== 'postgres')(
    'erases what a write holding the profile row adds while the erasure waits for it',
    async () => {
      const { id } = (
        await server.request('POST', '/v1/profiles/userId:racer/events', {
          events: [{ type: 'identify', messageId: mid(), traits: { a: 1 } }],
        })
      ).body.profile;
      const environmentId = (await server.request('GET', '/v1/environment')).body.id;
      // Another process's ingest: it holds the profile row (its checked update) and adds an
      // event; the deletion, which must wait for the row, then has to find the event too.
      let release!: () => void;
      let deleting!: Promise<unknown>;
      const done = new Promise<void>((resolve) => {
        release = resolve;
      });
      const writer = server.storage.db.transaction().execute(async (trx) => {
        await trx.selectFrom('profiles').select('id').where('id', '=', id).forUpdate().execute();
        await trx
          .insertInto('events')
          .values({
            id: crypto.randomUUID(),
            environment_id: environmentId,
            profile_id: id,
            message_id: mid(),
            type: 'track',
            action: 'late',
            timestamp: Date.now(),
            received_at: Date.now(),
            body: '{"secret":"RACER-DATA"}',
          })
          .execute();
        deleting = server.request('DELETE', `/v1/profiles/${id}`);
        await done;
      });
      await new Promise((r) => setTimeout(r, 300));
      release();
      await writer;
      expect(((await deleting) as { status: number }).status).toBe(204);
      const left = await server.storage.db
        .selectFrom('events')
        .select('id')
        .where('profile_id', '=', id)
        .execute();
      expect(left).toEqual([]);
    },
  );
});
