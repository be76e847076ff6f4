import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStorage } from '../../../test/helpers/test-database.js';
import type { Storage } from '../../storage/storage.js';
import { prepareEvents } from '../events/event-intake.js';
import { ProfileIngestService } from './profile-ingest-service.js';
import { ProfileMergeService } from './profile-merge-service.js';
import { ProfileQueryService } from './profile-query-service.js';
import type { ProfileRef } from './profile-ref.js';
import { ProfileRepository } from './profile-repository.js';

let storage: Storage;
let destroyStorage: () => Promise<void>;
let ingest: ProfileIngestService;
let queries: ProfileQueryService;
let merges: ProfileMergeService;
beforeAll(async () => {
  ({ storage, destroy: destroyStorage } = await openTestStorage());
  const repo = new ProfileRepository(storage, 100);
  ingest = new ProfileIngestService(repo);
  queries = new ProfileQueryService(repo);
  merges = new ProfileMergeService(repo, queries);
});
afterAll(() => destroyStorage());

const env = 'env-merge';
let n = 0;
const customId = (value: string): ProfileRef => ({ kind: 'identifier', type: 'customId', value });

async function identify(ref: ProfileRef, traits: Record<string, unknown>, userId?: string) {
  const events = prepareEvents([{ type: 'identify', messageId: `mm-${++n}`, userId, traits }], {
    receivedAt: Date.now(),
    requireProfileKey: false,
  });
  const result = await ingest.ingestForProfile({ environmentId: env, source: 'test' }, ref, events);
  return result.profile!;
}

describe('ProfileMergeService.mergeProfiles (a merge on request)', () => {
  it('merges sources into the target, logs each merge, and undoes one', async () => {
    const target = await identify(customId('t-1'), { name: 'Target', city: 'Oslo' });
    const a = await identify(customId('s-1'), { plan: 'pro' });
    const b = await identify(customId('s-2'), { age: 30 });
    const { survivor, merges: records } = await merges.mergeProfiles(env, customId('t-1'), [
      customId('s-1'),
      { kind: 'id', id: b.id },
    ]);
    expect(survivor.id).toBe(target.id);
    expect(survivor.traits).toMatchObject({ name: 'Target', plan: 'pro', age: 30 });
    expect([...survivor.mergedIds].sort()).toEqual([a.id, b.id].sort());
    expect(records.map((r) => r.mergedId)).toEqual([a.id, b.id]);
    // The sources' ids and identifiers resolve to the survivor.
    expect((await queries.getProfile(env, customId('s-1'))).id).toBe(target.id);
    expect((await queries.getProfile(env, { kind: 'id', id: a.id })).id).toBe(target.id);
    expect(await merges.listMerges(env, { kind: 'id', id: target.id })).toHaveLength(2);

    const undone = await merges.unmerge(env, { kind: 'id', id: target.id }, records[0]!.id);
    expect(undone.restored.id).toBe(a.id);
    expect((await queries.getProfile(env, customId('s-1'))).id).toBe(a.id);
    expect((await queries.getProfile(env, customId('t-1'))).traits).not.toHaveProperty('plan');
  });

  it('never merges two different userIds, and skips the target itself', async () => {
    await identify(customId('u-1'), {}, 'user-1');
    await identify(customId('u-2'), {}, 'user-2');
    await expect(
      merges.mergeProfiles(env, customId('u-1'), [customId('u-2')]),
    ).rejects.toMatchObject({
      code: 'identity_conflict',
    });
    const same = await merges.mergeProfiles(env, customId('u-1'), [customId('u-1')]);
    expect(same.merges).toEqual([]);
    await expect(
      merges.mergeProfiles(env, customId('u-1'), [customId('none')]),
    ).rejects.toMatchObject({
      code: 'profile_not_found',
    });
  });

  it('never merges two sources of different userIds into a target that has none', async () => {
    await identify(customId('v-0'), {});
    await identify(customId('v-1'), {}, 'user-v1');
    await identify(customId('v-2'), {}, 'user-v2');
    await expect(
      merges.mergeProfiles(env, customId('v-0'), [customId('v-1'), customId('v-2')]),
    ).rejects.toMatchObject({ code: 'identity_conflict' });
    // Nothing was merged: each still answers on its own.
    for (const value of ['v-0', 'v-1', 'v-2'])
      expect((await queries.getProfile(env, customId(value))).mergedIds).toEqual([]);
    expect(await merges.listMerges(env, customId('v-0'))).toEqual([]);
  });
});
