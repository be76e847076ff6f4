import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStorage } from '../../../test/helpers/test-database.js';
import type { Storage } from '../../storage/storage.js';
import { prepareEvents } from '../events/event-intake.js';
import { ProfileIngestService } from './profile-ingest-service.js';
import { ProfileQueryService } from './profile-query-service.js';
import type { ProfileRef } from './profile-ref.js';
import { ProfileRepository } from './profile-repository.js';

let storage: Storage;
let destroyStorage: () => Promise<void>;
let ingest: ProfileIngestService;
let queries: ProfileQueryService;
beforeAll(async () => {
  ({ storage, destroy: destroyStorage } = await openTestStorage());
  const repo = new ProfileRepository(storage, 100);
  ingest = new ProfileIngestService(repo);
  queries = new ProfileQueryService(repo);
});
afterAll(() => destroyStorage());

const ctx = { environmentId: 'env-claims', source: 'test' };
let n = 0;
const identify = () =>
  prepareEvents([{ type: 'identify', messageId: `claim-${++n}`, traits: { n } }], {
    receivedAt: Date.now(),
    requireProfileKey: false,
  });
const anon = (value: string): ProfileRef => ({ kind: 'identifier', type: 'anonymousId', value });

describe('ProfileIngestService: a customId claimed by an update', () => {
  it('attaches a free customId to the addressed profile, which then answers to it', async () => {
    const created = await ingest.ingestForProfile(ctx, anon('a-1'), identify());
    const id = created.profile!.id;
    const claimed = await ingest.ingestForProfile(ctx, { kind: 'id', id }, identify(), {
      customId: 'crm-1',
    });
    expect(claimed.profile!.identifiers).toContainEqual({ type: 'customId', value: 'crm-1' });
    const found = await queries.getProfile(ctx.environmentId, {
      kind: 'identifier',
      type: 'customId',
      value: 'crm-1',
    });
    expect(found.id).toBe(id);
    // The same claim again changes nothing.
    const again = await ingest.ingestForProfile(ctx, { kind: 'id', id }, identify(), {
      customId: 'crm-1',
    });
    expect(again.profile!.identifiers.filter((i) => i.type === 'customId')).toHaveLength(1);
  });

  it("refuses another profile's customId and a second customId, applying nothing", async () => {
    const other = (
      await ingest.ingestForProfile(ctx, anon('b-1'), identify(), { customId: 'crm-2' })
    ).profile!;
    const mine = (await ingest.ingestForProfile(ctx, anon('b-2'), identify())).profile!;
    await expect(
      ingest.ingestForProfile(ctx, { kind: 'id', id: mine.id }, identify(), { customId: 'crm-2' }),
    ).rejects.toMatchObject({ code: 'identity_conflict' });
    await expect(
      ingest.ingestForProfile(ctx, { kind: 'id', id: other.id }, identify(), { customId: 'crm-3' }),
    ).rejects.toMatchObject({ code: 'identity_conflict' });
    const unchanged = await queries.getProfile(ctx.environmentId, { kind: 'id', id: mine.id });
    expect(unchanged.metadata.eventCount).toBe(1);
  });
});
