import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStorage } from '../../../test/helpers/test-database.js';
import { newProfileState } from '../../engine/index.js';
import type { CanonicalEvent, ProfileState } from '../../engine/types.js';
import { createStorage, type Storage } from '../../storage/storage.js';
import { prepareEvents } from '../events/event-intake.js';
import { ProfileCache } from './profile-cache.js';
import { ProfileIngestService } from './profile-ingest-service.js';
import { ProfileRepository } from './profile-repository.js';

const state = (id: string, environmentId = 'env-1'): ProfileState =>
  newProfileState(id, environmentId, 0, 'test');

describe('ProfileCache', () => {
  it('keeps one document per id, never an older version over a newer one', () => {
    const cache = new ProfileCache(10);
    const v2 = state('p');
    cache.remember(v2, 2);
    cache.remember(state('p'), 1);
    expect(cache.get('p')).toMatchObject({ version: 2, state: v2 });
    const v3 = state('p');
    cache.remember(v3, 3);
    expect(cache.get('p')?.state).toBe(v3);
  });

  it('forgets the least recently used first, and everything when sized 0', () => {
    const cache = new ProfileCache(2);
    cache.remember(state('a'), 1);
    cache.remember(state('b'), 1);
    cache.get('a');
    cache.remember(state('c'), 1);
    expect([cache.get('a'), cache.get('b'), cache.get('c')].map(Boolean)).toEqual([
      true,
      false,
      true,
    ]);
    const none = new ProfileCache(0);
    none.remember(state('a'), 1);
    none.noteHolder('k', 'a');
    expect(none.get('a')).toBeUndefined();
    expect(none.holderHint('k')).toBe('');
  });

  it('trusts an entry only while no other process has committed since it was kept', () => {
    let counter = 7;
    const cache = new ProfileCache(10, () => counter);
    cache.remember(state('p'), 1);
    expect(cache.trusted('p')?.version).toBe(1);
    counter = 8;
    expect(cache.trusted('p')).toBeUndefined();
    // Still a valid document for its version: a read that finds version 1 may use it.
    expect(cache.get('p')?.version).toBe(1);
    expect(new ProfileCache(10).trusted('p')).toBeUndefined();
  });

  it('keeps nothing written in a transaction still open, but forgets through it', () => {
    const cache = new ProfileCache(10, () => 1);
    cache.remember(state('kept'), 1);
    const open = cache.uncommitted();
    open.remember(state('new'), 1);
    expect(cache.get('new')).toBeUndefined();
    expect(open.get('kept')?.version).toBe(1);
    open.forget(['kept']);
    expect(cache.get('kept')).toBeUndefined();
  });
});

describe('ProfileStore reads through the cache', () => {
  let storage: Storage;
  let url: string;
  let destroy: () => Promise<void>;
  beforeAll(async () => {
    ({ storage, url, destroy } = await openTestStorage());
  });
  afterAll(() => destroy());

  let n = 0;
  const events = (extra: Record<string, unknown> = {}): CanonicalEvent[] =>
    prepareEvents([{ type: 'track', event: 'Tick', messageId: `cache-${++n}`, ...extra }], {
      receivedAt: Date.now(),
      requireProfileKey: false,
    });
  const ctx = { environmentId: 'env-1', source: 'test' };

  it('answers the same document object until another writer stores a new version', async () => {
    const other = await createStorage(url);
    try {
      const repo = new ProfileRepository(storage, 10);
      const elsewhere = new ProfileIngestService(new ProfileRepository(other, 10));
      const ref = { kind: 'identifier' as const, type: 'userId' as const, value: 'cached' };
      const written = await new ProfileIngestService(repo).ingestForProfile(ctx, ref, events());
      const id = written.profile!.id;
      const first = await repo.profiles.findById('env-1', id);
      const [byUserId] = await repo.profiles.findByIdentifier('env-1', 'userId', 'cached');
      expect(first?.state).toBe(written.profile);
      expect(byUserId?.state).toBe(written.profile);

      await elsewhere.ingestForProfile(ctx, { kind: 'id', id }, events());
      const after = await repo.profiles.findById('env-1', id);
      expect(after?.version).toBe(first!.version + 1);
      expect(after?.state.metadata.eventCount).toBe(2);
      const [again] = await repo.profiles.findByIdentifier('env-1', 'userId', 'cached');
      expect(again?.state).toBe(after?.state);
    } finally {
      await other.close();
    }
  });

  it('applies every event when a write starts from a document another writer changed', async () => {
    // A cache that never sees the other writer commit: its kept document is trusted, stale, and
    // found out by the version check.
    const blind = new ProfileCache(10, () => 1);
    const repo = new ProfileRepository(storage, 10, null, null, false, blind);
    const a = new ProfileIngestService(repo);
    const b = new ProfileIngestService(new ProfileRepository(storage, 10));
    const ref = { kind: 'identifier' as const, type: 'userId' as const, value: 'stale-kept' };
    const { profile } = await a.ingestForProfile(ctx, ref, events());
    const byId = { kind: 'id' as const, id: profile!.id };
    await b.ingestForProfile(ctx, byId, events());
    expect(repo.profiles.trusted('env-1', profile!.id)?.version).toBe(1);
    const last = await a.ingestForProfile(ctx, byId, events());
    expect(last.profile?.metadata.eventCount).toBe(3);
  });

  it('still drops a replayed messageId that a request assumed new', async () => {
    const service = new ProfileIngestService(new ProfileRepository(storage, 10));
    const ref = { kind: 'identifier' as const, type: 'userId' as const, value: 'replayed' };
    const once = events();
    const first = await service.ingestForProfile(ctx, ref, once);
    const replay = await service.ingestForProfile(ctx, { kind: 'id', id: first.profile!.id }, once);
    expect(replay).toMatchObject({ applied: 0, duplicates: 1 });
    expect(replay.profile?.metadata.eventCount).toBe(1);
  });

  it('never starts a write from the document of a profile merged away', async () => {
    const repo = new ProfileRepository(storage, 10);
    const service = new ProfileIngestService(repo);
    const known = await service.ingestForProfile(
      ctx,
      { kind: 'identifier', type: 'userId', value: 'survivor' },
      events(),
    );
    const anonymous = await service.ingestForProfile(
      ctx,
      { kind: 'identifier', type: 'anonymousId', value: 'merged-away' },
      events(),
    );
    const byId = { kind: 'id' as const, id: anonymous.profile!.id };
    await service.ingestForProfile(ctx, byId, events({ type: 'identify', userId: 'survivor' }));
    expect((await repo.profiles.findById('env-1', byId.id))?.mergedInto).toBe(known.profile!.id);
    expect(repo.profiles.trusted('env-1', byId.id)).toBeUndefined();
    const after = await service.ingestForProfile(ctx, byId, events());
    expect(after.profile?.id).toBe(known.profile!.id);
    expect((await repo.profiles.findById('env-1', byId.id))?.mergedInto).toBe(known.profile!.id);
  });

  it('never takes a kept document of another environment for this one', async () => {
    const repo = new ProfileRepository(storage, 10);
    const service = new ProfileIngestService(repo);
    const ref = { kind: 'identifier' as const, type: 'userId' as const, value: 'tenant-a' };
    const { profile } = await service.ingestForProfile(ctx, ref, events());
    expect(repo.profiles.trusted('env-2', profile!.id)).toBeUndefined();
    await expect(
      service.ingestForProfile(
        { environmentId: 'env-2', source: 'test' },
        { kind: 'id', id: profile!.id },
        events(),
      ),
    ).rejects.toMatchObject({ code: 'profile_not_found' });
  });
});
