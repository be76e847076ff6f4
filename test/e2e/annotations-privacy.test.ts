import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AnnotationServices,
  createAnnotations,
} from '../../src/modules/annotations/annotations-module.js';
import { ProfileIngestService } from '../../src/modules/profiles/profile-ingest-service.js';
import { ProfileQueryService } from '../../src/modules/profiles/profile-query-service.js';
import { ProfileRepository } from '../../src/modules/profiles/profile-repository.js';
import { optOutUser } from '../helpers/opt-out.js';
import { mid, pageEvent, startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
let privacyKey: string;
// The running server's services are not reachable from outside; these act on the same database.
let annotations: AnnotationServices;
let env: string;
const SITE = 'site-annotations';

const ANNOTATION_TABLES = ['profile_notes', 'profile_tags', 'linked_devices'] as const;

beforeAll(async () => {
  server = await startTestServer();
  privacyKey = await server.createKey(['privacy']);
  const repo = new ProfileRepository(server.storage, 50);
  annotations = createAnnotations(server.storage, repo, {
    ingest: new ProfileIngestService(repo),
    queries: new ProfileQueryService(repo),
  });
  await server.request('PUT', `/v1/surface-keys/profile-command/${SITE}`);
  env = (await server.request('GET', '/v1/environment')).body.id;
});
afterAll(() => server.destroy());

/** A known user with an anonymous profile merged into it; every kind of annotation on both. */
async function annotatedPerson(userId: string, anonymousId: string) {
  await server.request('POST', '/v1/events', {
    events: [
      pageEvent({ anonymousId }),
      { type: 'identify', messageId: mid(), userId, traits: { email: `${userId}@example.com` } },
    ],
  });
  const anon = (await server.request('GET', `/v1/profiles/anonymousId:${anonymousId}`)).body;
  await annotations.notes.createNote(env, anon, { subject: 'before login', content: 'anon note' });
  await server.storage.write((trx) => annotations.tags.assignTagByName(trx, env, anon, 'prospect'));
  await annotations.devices.linkDevice(env, anon, {
    deviceId: `${anonymousId}-browser`,
    type: 'web',
    pushToken: 'wp-secret',
  });
  await server.request('POST', '/v1/events', {
    events: [{ type: 'identify', messageId: mid(), anonymousId, userId }],
  });
  const survivor = (await server.request('GET', `/v1/profiles/userId:${userId}`)).body;
  expect(survivor.mergedIds).toEqual([anon.id]);
  await annotations.notes.createNote(env, survivor, { content: `${userId} prefers phone` });
  await server.storage.write((trx) => annotations.tags.assignTagByName(trx, env, survivor, 'vip'));
  await annotations.devices.linkDevice(env, survivor, { deviceId: `${userId}-phone`, type: 'ios' });
  return { ids: [survivor.id as string, anon.id as string] };
}

async function rowsOf(ids: string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ANNOTATION_TABLES) {
    const rows = await server.storage.db
      .selectFrom(table)
      .select('profile_id')
      .where('profile_id', 'in', ids)
      .execute();
    counts[table] = rows.length;
  }
  return counts;
}

describe('notes, tags and linked devices as personal data', () => {
  it('exports them on an access request', async () => {
    await annotatedPerson('an-export', 'an-export-anon');
    const res = await server.request(
      'GET',
      '/v1/privacy/profiles/userId:an-export/export',
      undefined,
      privacyKey,
    );
    expect(res.status).toBe(200);
    expect(res.body.notes.map((n: { content: string }) => n.content)).toEqual([
      'anon note',
      'an-export prefers phone',
    ]);
    expect(res.body.tags.map((t: { name: string }) => t.name).sort()).toEqual(['prospect', 'vip']);
    expect(res.body.linkedDevices).toHaveLength(2);
  });

  it('an erasure request leaves zero rows, and its checklist shows them', async () => {
    const { ids } = await annotatedPerson('an-erase', 'an-erase-anon');
    const bystander = await annotatedPerson('an-bystander', 'an-bystander-anon');
    expect(await rowsOf(ids)).toEqual({ profile_notes: 2, profile_tags: 2, linked_devices: 2 });
    const requested = await server.request(
      'POST',
      '/v1/privacy/erasures',
      { ref: 'userId:an-erase' },
      privacyKey,
    );
    expect(requested.status).toBe(202);
    // The job may already have run by the time it is answered: only its end state is certain.
    let status = requested.body;
    const deadline = Date.now() + 10_000;
    while (status.status !== 'done' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      status = (
        await server.request('GET', `/v1/privacy/erasures/${status.id}`, undefined, privacyKey)
      ).body;
    }
    expect(status.status).toBe('done');
    expect(status.remaining).toMatchObject({
      profile_notes: 0,
      profile_tags: 0,
      linked_devices: 0,
    });
    expect(await rowsOf(ids)).toEqual({ profile_notes: 0, profile_tags: 0, linked_devices: 0 });
    const devices = await server.storage.db.selectFrom('linked_devices').selectAll().execute();
    expect(JSON.stringify(devices)).not.toContain('an-erase');
    // The bystander keeps everything, and tag definitions belong to the environment.
    expect(await rowsOf(bystander.ids)).toEqual({
      profile_notes: 2,
      profile_tags: 2,
      linked_devices: 2,
    });
    expect((await annotations.tags.listTags(env)).map((t) => t.name)).toEqual(['prospect', 'vip']);
  });

  it('deleting the profile and opting out remove them too', async () => {
    const deleted = await annotatedPerson('an-delete', 'an-delete-anon');
    expect((await server.request('DELETE', '/v1/profiles/userId:an-delete')).status).toBe(204);
    expect(await rowsOf(deleted.ids)).toEqual({
      profile_notes: 0,
      profile_tags: 0,
      linked_devices: 0,
    });

    const optedOut = await annotatedPerson('an-optout', 'an-optout-anon');
    const res = await optOutUser(server, 'an-optout', SITE);
    expect(res.status).toBe(200);
    expect(await rowsOf(optedOut.ids)).toEqual({
      profile_notes: 0,
      profile_tags: 0,
      linked_devices: 0,
    });
  });
});
