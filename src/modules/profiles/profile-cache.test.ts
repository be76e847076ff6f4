import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStorage } from '../../../test/helpers/test-database.js';
import { newProfileState } from '../../engine/index.js';
import type { CanonicalEvent, ProfileState } from '../../engine/types.js';
import type { ForeignCommitWatch } from '../../storage/foreign-commits.js';
import { createStorage, type Storage } from '../../storage/storage.js';
import { prepareEvents } from '../events/event-intake.js';
import { ProfileCache } from './profile-cache.js';
import { ProfileIngestService } from './profile-ingest-service.js';
import { ProfileQueryService } from './profile-query-service.js';
import type { ProfileRef } from './profile-ref.js';
import { ProfileRepository } from './profile-repository.js';

/** Another process's commits as `epoch` tells them, with nothing more to ask the database. */
const watch = (epoch: () => number | undefined): ForeignCommitWatch => ({
  epoch,
  refreshed: async () => {},
});

const state = (id: string, environmentId = 'env-1'): ProfileState =>
  newProfileState(id, environmentId, 0, 'test');

describe('ProfileCache', () => {
  it('keeps one document per id, never an older version over a newer one', () => {
    const cache = new ProfileCache(1000);
    const v2 = state('p');
    cache.remember(v2, 2, 10);
    cache.remember(state('p'), 1, 10);
    expect(cache.get('p')).toMatchObject({ version: 2, state: v2 });
    const v3 = state('p');
    cache.remember(v3, 3, 10);
    expect(cache.get('p')?.state).toBe(v3);
  });

  it('forgets the least recently used first to stay within its budget, and keeps nothing at 0', () => {
    const cache = new ProfileCache(100);
    cache.remember(state('a'), 1, 40);
    cache.remember(state('b'), 1, 40);
    cache.get('a');
    cache.remember(state('c'), 1, 40);
    expect([cache.get('a'), cache.get('b'), cache.get('c')].map(Boolean)).toEqual([
      true,
      false,
      true,
    ]);
    // A new version replaces the old one in the count; a document over the budget is not kept.
    cache.remember(state('a'), 2, 60);
    expect([cache.get('a')?.version, cache.get('c')?.version]).toEqual([2, 1]);
    cache.remember(state('big'), 1, 101);
    expect(cache.get('big')).toBeUndefined();
    cache.forget(['a', 'c']);
    cache.remember(state('d'), 1, 100);
    expect(cache.get('d')?.version).toBe(1);

    const none = new ProfileCache(0);
    none.remember(state('a'), 1, 0);
    none.noteHolder('k', 'a');
    expect(none.holderHint('k')).toBe('');
  });

  it('trusts an entry only while no other process has committed since it was kept', () => {
    let counter: number | undefined = 7;
    const cache = new ProfileCache(
      1000,
      watch(() => counter),
    );
    cache.remember(state('p'), 1, 10);
    expect(cache.trusted('p')?.version).toBe(1);
    counter = 8;
    expect(cache.trusted('p')).toBeUndefined();
    // Still a valid document for its version: a read that finds version 1 may use it.
    expect(cache.get('p')?.version).toBe(1);
    counter = undefined; // others writing: nothing kept now is trusted either
    cache.remember(state('q'), 1, 10);
    expect(cache.trusted('q')).toBeUndefined();
    expect(new ProfileCache(1000).trusted('p')).toBeUndefined();
  });

  it('trusts an entry again once a read has found its version still stored', () => {
    let counter: number | undefined = 7;
    const cache = new ProfileCache(
      1000,
      watch(() => counter),
    );
    cache.remember(state('p'), 1, 10);
    counter = 8;
    cache.confirm('p', 2); // another version: proves nothing about this one
    expect(cache.trusted('p')).toBeUndefined();
    cache.confirm('p', 1);
    expect(cache.trusted('p')?.version).toBe(1);
    counter = undefined;
    cache.confirm('p', 1); // while others are writing, a read proves nothing for later
    counter = 8;
    expect(cache.trusted('p')).toBeUndefined();
  });

  it('never keeps a deleted profile again, even when a write of it finishes after the deletion', () => {
    const cache = new ProfileCache(1000);
    cache.remember(state('gone'), 1, 10);
    cache.forgetDeleted(['gone']);
    cache.remember(state('gone'), 2, 10);
    expect(cache.get('gone')).toBeUndefined();
  });

  it('drops the version it keeps when a newer one is over the budget', () => {
    const cache = new ProfileCache(
      100,
      watch(() => 1),
    );
    cache.remember(state('p'), 1, 10);
    cache.remember(state('p'), 2, 101);
    expect(cache.get('p')).toBeUndefined();
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

  it('answers a read from what it keeps only while that is the stored document', async () => {
    // A database of its own: another connection's commit in an earlier test would leave nothing
    // trusted for a second (see ForeignCommits).
    const own = await openTestStorage();
    const storage = own.storage;
    const other = await createStorage(own.url);
    // PostgreSQL tells nothing as cheap as SQLite's data_version: every read asks it.
    const trusting = storage.foreignCommits !== undefined;
    const kept = <T>(value: T) => (trusting ? value : undefined);
    try {
      const repo = new ProfileRepository(storage, 10);
      const queries = new ProfileQueryService(repo);
      const service = new ProfileIngestService(repo);
      const ref = { kind: 'identifier' as const, type: 'userId' as const, value: 'kept-read' };
      const { profile } = await service.ingestForProfile(ctx, ref, events());
      const byId = { kind: 'id' as const, id: profile!.id };
      const read = async (r: ProfileRef) => (await queries.findProfiles('env-1', r))[0];
      expect((await read(ref))?.id).toBe(profile!.id); // the identifier's holder, from the database
      // Then from what this process keeps, with no statement of its own.
      expect((await repo.profiles.currentHolder('env-1', 'userId', 'kept-read'))?.state).toBe(
        kept(profile),
      );
      expect((await repo.profiles.current('env-1', profile!.id))?.state).toBe(kept(profile));
      expect(await read(ref)).toBe(profile);
      expect(await repo.profiles.current('env-2', profile!.id)).toBeUndefined();

      // A write of this process that does not keep what it wrote (a membership refresh) is seen.
      const stored = (await repo.profiles.findById('env-1', profile!.id))!;
      const changed = { ...stored.state, traits: { plan: 'refreshed' } };
      await storage.writeRows([repo.profiles.rows(changed, stored.version).write]);
      expect((await read(ref))?.traits).toEqual({ plan: 'refreshed' });
      expect((await read(byId))?.traits).toEqual({ plan: 'refreshed' });

      // Another process's commit is seen by the very next read.
      await new ProfileIngestService(new ProfileRepository(other, 10)).ingestForProfile(
        ctx,
        byId,
        events(),
      );
      expect(await repo.profiles.current('env-1', profile!.id)).toBeUndefined();
      expect((await read(ref))?.metadata.eventCount).toBe(2);
      expect((await read(byId))?.metadata.eventCount).toBe(2);
    } finally {
      await other.close();
      await own.destroy();
    }
  });

  it('never answers a shared identifier from what it keeps', async () => {
    const repo = new ProfileRepository(storage, 10);
    const queries = new ProfileQueryService(repo);
    const ref = { kind: 'identifier' as const, type: 'email' as const, value: 'kept@example.com' };
    await new ProfileIngestService(repo).ingestForProfile(ctx, ref, events());
    expect(await queries.findProfiles('env-1', ref)).toHaveLength(1);
    expect(await repo.profiles.currentHolder('env-1', 'email', 'kept@example.com')).toBeUndefined();
  });

  it('applies every event when a write starts from a document another writer changed', async () => {
    // A cache that never sees the other writer commit: its kept document is trusted, stale, and
    // found out by the version check.
    const blind = new ProfileCache(
      1 << 20,
      watch(() => 1),
    );
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

  it('keeps nothing read or written through a transaction still open', async () => {
    const repo = new ProfileRepository(storage, 10);
    const { profile } = await new ProfileIngestService(repo).ingestForProfile(
      ctx,
      { kind: 'identifier', type: 'userId', value: 'in-transaction' },
      events(),
    );
    repo.cache.forget([profile!.id]);
    await storage.db.transaction().execute(async (trx) => {
      const bound = repo.inTransaction(trx);
      expect((await bound.profiles.findById('env-1', profile!.id))?.version).toBe(1);
      bound.profiles.remember(profile!, 2, 10);
    });
    expect(repo.cache.get(profile!.id)).toBeUndefined();
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
