import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStorage } from '../../../test/helpers/test-database.js';
import type { ProfileState } from '../../engine/types.js';
import type { Storage } from '../../storage/storage.js';
import { prepareEvents } from '../events/event-intake.js';
import { ProfileIngestService } from '../profiles/profile-ingest-service.js';
import { ProfileQueryService } from '../profiles/profile-query-service.js';
import { ProfileRepository } from '../profiles/profile-repository.js';
import { type AnnotationServices, createAnnotations } from './annotations-module.js';
import { checkGroupNames } from './label-service.js';

let storage: Storage;
let destroy: () => Promise<void>;
let repo: ProfileRepository;
let ingest: ProfileIngestService;
let svc: AnnotationServices;
const ENV = 'env-extras';
let n = 0;

beforeAll(async () => {
  ({ storage, destroy } = await openTestStorage());
  repo = new ProfileRepository(storage, 50);
  ingest = new ProfileIngestService(repo);
  svc = createAnnotations(storage, repo, { ingest, queries: new ProfileQueryService(repo) });
});
afterAll(() => destroy());

async function ingestAs(
  type: 'userId' | 'anonymousId',
  value: string,
  event: Record<string, unknown>,
): Promise<ProfileState> {
  const events = prepareEvents([{ messageId: `ex-${++n}`, ...event }], {
    receivedAt: Date.now(),
    requireProfileKey: false,
  });
  const result = await ingest.ingestForProfile(
    { environmentId: ENV, source: 'test' },
    { kind: 'identifier', type, value },
    events,
  );
  return result.profile!;
}

describe('AlternateIdService', () => {
  it('links ids to one profile, refuses them to another, and resolves through a merge', async () => {
    await ingestAs('userId', 'alt-user', { type: 'identify', traits: { seen: true } });
    const anon = await ingestAs('anonymousId', 'alt-anon', { type: 'track', event: 'x' });
    const other = await ingestAs('userId', 'alt-other', {
      type: 'identify',
      traits: { seen: true },
    });
    await storage.write((trx) =>
      svc.alternateIds.linkAlternateIds(trx, ENV, anon, [{ type: 'CRM', value: '42' }]),
    );
    await storage.write((trx) =>
      svc.alternateIds.linkAlternateIds(trx, ENV, anon, [{ type: 'CRM', value: '42' }]),
    );
    await expect(
      storage.write((trx) =>
        svc.alternateIds.linkAlternateIds(trx, ENV, other, [{ type: 'CRM', value: '42' }]),
      ),
    ).rejects.toMatchObject({ code: 'identity_conflict' });
    expect(await svc.alternateIds.findProfileId(ENV, { type: 'CRM', value: '42' })).toBe(anon.id);
    expect(await svc.alternateIds.findProfileId('other-env', { type: 'CRM', value: '42' })).toBe(
      undefined,
    );

    const survivor = await ingestAs('anonymousId', 'alt-anon', {
      type: 'identify',
      userId: 'alt-user',
    });
    expect(survivor.mergedIds).toContain(anon.id);
    expect(await svc.alternateIds.findProfileId(ENV, { type: 'CRM', value: '42' })).toBe(
      survivor.id,
    );
    expect(await svc.alternateIds.alternateIdsOf(ENV, survivor)).toEqual([
      { type: 'CRM', value: '42' },
    ]);
    // The survivor holds it through the merged profile: linking it again is no conflict.
    await storage.write((trx) =>
      svc.alternateIds.linkAlternateIds(trx, ENV, survivor, [{ type: 'CRM', value: '42' }]),
    );
  });
});

describe('LabelService', () => {
  it('keeps groups and a custom field index that follows the latest value', async () => {
    const a = await ingestAs('userId', 'label-a', { type: 'identify', traits: { seen: true } });
    const b = await ingestAs('userId', 'label-b', { type: 'identify', traits: { seen: true } });
    await storage.write((trx) => svc.labels.addGroups(trx, ENV, a, ['Gold', 'Beta']));
    await storage.write((trx) => svc.labels.addGroups(trx, ENV, b, ['Gold']));
    expect(await svc.labels.groupsOf(ENV, a)).toEqual(['Beta', 'Gold']);
    expect((await svc.labels.profilesInGroup(ENV, 'Gold')).sort()).toEqual([a.id, b.id].sort());
    await svc.labels.removeGroup(ENV, b, 'Gold');
    expect(await svc.labels.profilesInGroup(ENV, 'Gold')).toEqual([a.id]);

    await storage.write((trx) => svc.labels.indexFields(trx, ENV, a, { size: 'M', score: 7 }));
    expect(await svc.labels.profilesWithField(ENV, 'size', 'M')).toEqual([a.id]);
    expect(await svc.labels.profilesWithField(ENV, 'score', 7)).toEqual([a.id]);
    await storage.write((trx) => svc.labels.indexFields(trx, ENV, a, { size: 'L', score: null }));
    expect(await svc.labels.profilesWithField(ENV, 'size', 'M')).toEqual([]);
    expect(await svc.labels.profilesWithField(ENV, 'size', 'L')).toEqual([a.id]);
    expect(await svc.labels.profilesWithField(ENV, 'score', 7)).toEqual([]);
    expect(() => checkGroupNames(['Gold', ' '])).toThrow(
      expect.objectContaining({
        code: 'validation_failed',
        issues: [expect.objectContaining({ field: 'groups[1]' })],
      }),
    );
  });
});
