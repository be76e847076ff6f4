import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStorage } from '../../../test/helpers/test-database.js';
import type { Storage } from '../../storage/storage.js';
import { ProfileIngestService } from '../profiles/profile-ingest-service.js';
import { ProfileQueryService } from '../profiles/profile-query-service.js';
import { ProfileRepository } from '../profiles/profile-repository.js';
import { type AnnotationServices, createAnnotations } from './annotations-module.js';
import type { ProfileUpsert } from './profile-upsert-service.js';

let storage: Storage;
let destroy: () => Promise<void>;
let svc: AnnotationServices;
let queries: ProfileQueryService;
const ENV = 'env-upsert';

beforeAll(async () => {
  ({ storage, destroy } = await openTestStorage());
  const repo = new ProfileRepository(storage, 50);
  queries = new ProfileQueryService(repo);
  svc = createAnnotations(storage, repo, { ingest: new ProfileIngestService(repo), queries });
});
afterAll(() => destroy());

const upsert = (input: Partial<ProfileUpsert> & Pick<ProfileUpsert, 'identifiers'>) =>
  svc.upsert.upsert(ENV, { traits: {}, customFields: {}, tags: [], groups: [], ...input }, 'test');

describe('ProfileUpsertService', () => {
  it('creates a profile named by a new alternate id under the first unique identifier given, found again by its custom field', async () => {
    const created = await upsert({
      identifiers: [
        { type: 'CRM', value: 'c-1' },
        { type: 'email', value: 'c1@example.com' },
        { type: 'userId', value: 'upsert-u1' },
      ],
      traits: { name: 'Ada' },
      customFields: { Plan: 'gold' },
      tags: ['vip'],
      groups: ['beta'],
    });
    expect(created!.identifiers).toContainEqual({ type: 'userId', value: 'upsert-u1' });
    expect(created!.traits).toMatchObject({ name: 'Ada', 'customFields.Plan': 'gold' });
    expect(await svc.alternateIds.findProfileId(ENV, { type: 'CRM', value: 'c-1' })).toBe(
      created!.id,
    );
    expect((await svc.tags.tagsOfProfile(ENV, created!)).map((t) => t.name)).toEqual(['vip']);

    // Named again by the alternate id alone: the same profile, updated.
    const updated = await upsert({
      identifiers: [{ type: 'CRM', value: 'c-1' }],
      customFields: { Plan: 'platinum' },
    });
    expect(updated!.id).toBe(created!.id);
    expect(updated!.traits['customFields.Plan']).toBe('platinum');
    const found = await svc.upsert.findByCustomField(ENV, 'Plan', 'platinum');
    expect(found.map((p) => p.id)).toEqual([created!.id]);
    expect(await svc.upsert.findByCustomField(ENV, 'Plan', 'gold')).toEqual([]);
  });

  it('refuses an alternate id held by another profile before writing anything', async () => {
    await upsert({
      identifiers: [
        { type: 'CRM', value: 'c-2' },
        { type: 'userId', value: 'u-2' },
      ],
    });
    await expect(
      upsert({
        identifiers: [
          { type: 'userId', value: 'u-3' },
          { type: 'CRM', value: 'c-2' },
        ],
      }),
    ).rejects.toMatchObject({ code: 'identity_conflict' });
    expect(
      await queries.findProfiles(ENV, { kind: 'identifier', type: 'userId', value: 'u-3' }),
    ).toEqual([]);
  });

  it('refuses custom field names that are empty or longer than 100 characters', async () => {
    await expect(
      upsert({ identifiers: [{ type: 'userId', value: 'u-4' }], customFields: { '': 1 } }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(
      upsert({
        identifiers: [{ type: 'userId', value: 'u-4' }],
        customFields: { ['x'.repeat(101)]: 1 },
      }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    expect(
      await queries.findProfiles(ENV, { kind: 'identifier', type: 'userId', value: 'u-4' }),
    ).toEqual([]);
  });
  it('attaches every email and phone given, keeping the email the traits name as the trait', async () => {
    const profile = await upsert({
      identifiers: [
        { type: 'CRM', value: 'c-5' },
        { type: 'email', value: 'Second5@Example.com' },
        { type: 'phone', value: '+44 20 7946 0005' },
        { type: 'customId', value: 'cust-5' },
      ],
      traits: { email: 'main5@example.com' },
    });
    expect(profile!.identifiers).toEqual(
      expect.arrayContaining([
        { type: 'email', value: 'main5@example.com' },
        { type: 'email', value: 'second5@example.com' },
        { type: 'phone', value: '+442079460005' },
        { type: 'customId', value: 'cust-5' },
      ]),
    );
    expect(profile!.traits).toEqual({ email: 'main5@example.com', phone: '+442079460005' });
  });

  it('refuses an email that names several profiles as the first identifier', async () => {
    for (const userId of ['u-6a', 'u-6b']) {
      await upsert({
        identifiers: [
          { type: 'userId', value: userId },
          { type: 'email', value: 'shared6@example.com' },
        ],
      });
    }
    await expect(
      upsert({ identifiers: [{ type: 'email', value: 'SHARED6@example.com' }] }),
    ).rejects.toMatchObject({ code: 'identity_conflict' });
  });

  it('writes nothing when a tag or group name is refused', async () => {
    for (const extras of [{ tags: ['ok', ' '] }, { groups: [''] }]) {
      await expect(
        upsert({ identifiers: [{ type: 'userId', value: 'u-7' }], traits: { a: 1 }, ...extras }),
      ).rejects.toMatchObject({ code: 'validation_failed' });
    }
    expect(
      await queries.findProfiles(ENV, { kind: 'identifier', type: 'userId', value: 'u-7' }),
    ).toEqual([]);
    expect((await svc.tags.listTags(ENV)).map((t) => t.name)).not.toContain('ok');
  });

  it('two processes upserting one new alternate id at once leave one profile, all of it', async () => {
    // Two services on one database, each with its own write slots, caches and upsert turns: as
    // two processes are. Both find the alternate id free; the one whose link loses rolls back.
    const env = 'env-upsert-race';
    const second = createAnnotations(storage, new ProfileRepository(storage, 50), {
      ingest: new ProfileIngestService(new ProfileRepository(storage, 50)),
      queries,
    });
    const body = (tag: string): ProfileUpsert => ({
      identifiers: [{ type: 'CRM', value: 'race-1' }],
      traits: { tag },
      customFields: {},
      tags: [tag],
      groups: [],
    });
    const outcomes = await Promise.allSettled([
      svc.upsert.upsert(env, body('first'), 'test'),
      second.upsert.upsert(env, body('second'), 'test'),
    ]);
    const profiles = await storage.db
      .selectFrom('profiles')
      .select('id')
      .where('environment_id', '=', env)
      .execute();
    expect(profiles).toHaveLength(1);
    const owner = await svc.alternateIds.findProfileId(env, { type: 'CRM', value: 'race-1' });
    expect(owner).toBe(profiles[0]!.id);
    const applied: string[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'rejected') {
        expect(outcome.reason).toMatchObject({ code: 'identity_conflict' });
      } else {
        expect(outcome.value!.id).toBe(owner);
        applied.push(i === 0 ? 'first' : 'second');
      }
    });
    // A loser's tag went with its profile; a request that came second and found the id taken
    // updated the winner's profile instead (the interleaving differs between engines).
    const [stored] = await queries.findProfiles(env, { kind: 'id', id: owner! });
    const tags = await svc.tags.tagsOfProfile(env, stored!);
    expect(tags.map((t) => t.name).sort()).toEqual(applied);
  });
});
