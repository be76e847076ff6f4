import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngine } from '../helpers/test-database.js';
import { mid, startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * Transactions may commit out of the order of the ids they made (on PostgreSQL any two; on SQLite
 * two processes' within a millisecond): a poller paging by `after` would skip an event committed
 * after it read past that event's id. The feed holds back the last moments, and on PostgreSQL
 * stops before Tessera's oldest open transaction.
 */
describe('the change feed hold', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      env: { TESSERA_CHANGE_FEED_HOLD_MS: '1000', TESSERA_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' },
    });
    // Change events are written while a subscription wants them (its deliveries may fail).
    const sub = await server.request('POST', '/v1/webhooks', {
      url: 'http://127.0.0.1:9/nobody-listens',
      eventTypes: ['profile.created'],
    });
    expect(sub.status).toBe(201);
  });
  afterAll(() => server.destroy());

  const created = async (userId: string): Promise<string> =>
    (
      await server.request('POST', `/v1/profiles/userId:${userId}/events`, {
        events: [{ type: 'identify', messageId: mid(), traits: { a: 1 } }],
      })
    ).body.profile.id;
  const feed = async (): Promise<string[]> =>
    (await server.request('GET', '/v1/change-events?limit=100')).body.data.map(
      (e: { profileId: string }) => e.profileId,
    );
  const settle = () => new Promise((r) => setTimeout(r, 1100));

  /** Runs `during` while another transaction, named `applicationName`, is open. */
  async function whileOpen(applicationName: string, during: () => Promise<void>) {
    let opened!: () => void;
    let release!: () => void;
    const isOpen = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const other = server.storage.db.transaction().execute(async (trx) => {
      if (applicationName !== 'tessera')
        await sql`select set_config('application_name', ${applicationName}, true)`.execute(trx);
      await sql`select 1`.execute(trx);
      opened();
      await done;
    });
    await isOpen;
    try {
      await during();
    } finally {
      release();
      await other;
    }
  }

  it('shows an event only once the hold has passed', async () => {
    const first = await created('feed-first');
    expect(await feed()).not.toContain(first);
    await settle();
    expect(await feed()).toEqual([first]);
  });

  it.skipIf(testEngine !== 'postgres')(
    'on PostgreSQL, also once no Tessera transaction that began before it is open',
    async () => {
      await settle();
      const [first] = await feed();
      let second = '';
      await whileOpen('tessera', async () => {
        await settle();
        second = await created('feed-second');
        await settle();
        expect(await feed()).toEqual([first]);
      });
      expect(await feed()).toEqual([first, second]);

      // Another application's transaction (psql, a backup) holds nothing back.
      await whileOpen('pg_dump', async () => {
        await settle();
        const third = await created('feed-third');
        await settle();
        expect(await feed()).toEqual([first, second, third]);
      });
    },
  );
});
