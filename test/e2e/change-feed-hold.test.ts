import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngine } from '../helpers/test-database.js';
import { mid, startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * PostgreSQL commits transactions in any order, while change event ids follow the time they were
 * made: a poller paging by `after` would skip an event of a transaction still open when it read
 * past that event's id. The feed stops before the oldest open transaction (less the hold).
 */
describe.skipIf(testEngine !== 'postgres')('the change feed on PostgreSQL', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      env: { TESSERA_CHANGE_FEED_HOLD_MS: '200', TESSERA_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' },
    });
    // Change events are written while a subscription wants them (its deliveries may fail).
    const sub = await server.request('POST', '/v1/webhooks', {
      url: 'http://127.0.0.1:9/nobody-listens',
      eventTypes: ['profile.created'],
    });
    expect(sub.status).toBe(201);
  });
  afterAll(() => server.destroy());

  const created = (userId: string) =>
    server.request('POST', `/v1/profiles/userId:${userId}/events`, {
      events: [{ type: 'identify', messageId: mid(), traits: { a: 1 } }],
    });
  const feed = async () =>
    (await server.request('GET', '/v1/change-events?limit=100')).body.data.map(
      (e: { profileId: string }) => e.profileId,
    );

  it('shows an event only once no transaction that began before it is still open', async () => {
    const first = (await created('feed-first')).body.profile.id;
    await new Promise((r) => setTimeout(r, 250));
    expect(await feed()).toEqual([first]);

    // Another connection's transaction, open before the next event is made.
    let opened!: () => void;
    let release!: () => void;
    const isOpen = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const other = server.storage.db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
      opened();
      await done;
    });
    await isOpen;
    await new Promise((r) => setTimeout(r, 250));
    const second = (await created('feed-second')).body.profile.id;
    await new Promise((r) => setTimeout(r, 250));
    expect(await feed()).toEqual([first]);
    release();
    await other;
    expect(await feed()).toEqual([first, second]);
  });
});
