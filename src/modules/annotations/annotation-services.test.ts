import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStorage } from '../../../test/helpers/test-database.js';
import type { ProfileState } from '../../engine/types.js';
import type { Storage } from '../../storage/storage.js';
import { prepareEvents } from '../events/event-intake.js';
import { ProfileIngestService } from '../profiles/profile-ingest-service.js';
import { ProfileQueryService } from '../profiles/profile-query-service.js';
import { ProfileRepository } from '../profiles/profile-repository.js';
import { type AnnotationServices, createAnnotations } from './annotations-module.js';

let storage: Storage;
let destroy: () => Promise<void>;
let repo: ProfileRepository;
let ingest: ProfileIngestService;
let svc: AnnotationServices;
let clock = 1_700_000_000_000;
const ENV = 'env-annotations';
const ctx = { environmentId: ENV, source: 'test' };
let n = 0;

beforeAll(async () => {
  ({ storage, destroy } = await openTestStorage());
  repo = new ProfileRepository(storage, 50);
  ingest = new ProfileIngestService(repo);
  svc = createAnnotations(
    storage,
    repo,
    { ingest, queries: new ProfileQueryService(repo) },
    () => clock++,
  );
});
afterAll(() => destroy());

async function profile(userId: string): Promise<ProfileState> {
  const events = prepareEvents([{ type: 'identify', messageId: `an-${++n}`, traits: { n } }], {
    receivedAt: Date.now(),
    requireProfileKey: false,
  });
  const result = await ingest.ingestForProfile(
    ctx,
    { kind: 'identifier', type: 'userId', value: userId },
    events,
  );
  return result.profile!;
}

/** An anonymous profile, then merged into the known `userId`: answers the survivor and it. */
async function mergedPair(userId: string, anonymousId: string) {
  await profile(userId);
  const anon = (
    await ingest.ingestForProfile(
      ctx,
      { kind: 'identifier', type: 'anonymousId', value: anonymousId },
      prepareEvents([{ type: 'track', event: 'Seen', messageId: `an-${++n}` }], {
        receivedAt: Date.now(),
        requireProfileKey: false,
      }),
    )
  ).profile!;
  return { anon, later: async () => mergeInto(userId, anonymousId) };
}

async function mergeInto(userId: string, anonymousId: string): Promise<ProfileState> {
  const result = await ingest.ingestForProfile(
    ctx,
    { kind: 'identifier', type: 'anonymousId', value: anonymousId },
    prepareEvents([{ type: 'identify', userId, messageId: `an-${++n}` }], {
      receivedAt: Date.now(),
      requireProfileKey: false,
    }),
  );
  return result.profile!;
}

describe('NoteService', () => {
  it('creates, lists, reads, updates and deletes a profile note', async () => {
    const p = await profile('note-owner');
    const note = await svc.notes.createNote(ENV, p, { subject: 'Call', content: 'Prefers email' });
    expect(note).toMatchObject({ profileId: p.id, subject: 'Call', content: 'Prefers email' });
    expect(await svc.notes.listNotes(ENV, p)).toEqual([note]);
    expect(await svc.notes.getNote(ENV, p, note.id)).toEqual(note);
    const updated = await svc.notes.updateNote(ENV, p, note.id, { subject: null });
    expect(updated).toMatchObject({ subject: null, content: 'Prefers email' });
    expect(updated.updatedAt).toBeGreaterThan(note.updatedAt);
    await svc.notes.deleteNote(ENV, p, note.id);
    expect(await svc.notes.listNotes(ENV, p)).toEqual([]);
    await expect(svc.notes.getNote(ENV, p, note.id)).rejects.toMatchObject({ code: 'not_found' });
  });

  it("hides another profile's or environment's note, and refuses empty content", async () => {
    const a = await profile('note-a');
    const b = await profile('note-b');
    const note = await svc.notes.createNote(ENV, a, { content: 'mine' });
    await expect(svc.notes.getNote(ENV, b, note.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(svc.notes.getNote('other-env', a, note.id)).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(svc.notes.deleteNote(ENV, b, note.id)).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(svc.notes.createNote(ENV, a, { content: '  ' })).rejects.toMatchObject({
      code: 'validation_failed',
      issues: [{ field: 'content', message: 'must not be empty' }],
    });
  });

  it('refuses a note for a profile that does not exist', async () => {
    await expect(
      svc.notes.createNote(ENV, { id: 'nobody' }, { content: 'x' }),
    ).rejects.toMatchObject({ code: 'profile_not_found' });
  });

  it('shows the notes of a merged profile on the survivor', async () => {
    const { anon, later } = await mergedPair('note-survivor', 'note-anon');
    const note = await svc.notes.createNote(ENV, anon, { content: 'written while anonymous' });
    const survivor = await later();
    expect(survivor.mergedIds).toContain(anon.id);
    expect(await svc.notes.listNotes(ENV, survivor)).toEqual([note]);
  });
});

describe('TagService', () => {
  it('defines tags with unique names, updates and deletes them with their assignments', async () => {
    const p = await profile('tag-owner');
    const vip = await svc.tags.createTag(ENV, { name: 'VIP', color: '#ffd700' });
    await expect(svc.tags.createTag(ENV, { name: ' VIP ' })).rejects.toMatchObject({
      code: 'conflict',
      status: 409,
    });
    const other = await svc.tags.createTag(ENV, { name: 'Churn risk' });
    await expect(svc.tags.updateTag(ENV, other.id, { name: 'VIP' })).rejects.toMatchObject({
      code: 'conflict',
    });
    const renamed = await svc.tags.updateTag(ENV, other.id, { name: 'At risk', description: 'd' });
    expect(renamed).toMatchObject({ name: 'At risk', description: 'd', color: null });
    expect((await svc.tags.listTags(ENV)).map((t) => t.name)).toEqual(['At risk', 'VIP']);
    expect(await svc.tags.listTags('other-env')).toEqual([]);

    await svc.tags.assignTag(ENV, p, vip.id);
    await svc.tags.assignTag(ENV, p, vip.id);
    expect((await svc.tags.tagsOfProfile(ENV, p)).map((t) => t.name)).toEqual(['VIP']);
    await svc.tags.deleteTag(ENV, vip.id);
    expect(await svc.tags.tagsOfProfile(ENV, p)).toEqual([]);
    await expect(svc.tags.assignTag(ENV, p, vip.id)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('assigns by name (defining the tag once), removes, and finds the profiles with a tag', async () => {
    const a = await profile('tag-a');
    const b = await profile('tag-b');
    await Promise.all([
      storage.write((trx) => svc.tags.assignTagByName(trx, ENV, a, 'newsletter')),
      storage.write((trx) => svc.tags.assignTagByName(trx, ENV, b, ' newsletter ')),
    ]);
    const defined = (await svc.tags.listTags(ENV)).filter((t) => t.name === 'newsletter');
    expect(defined).toHaveLength(1);
    const t1 = defined[0]!;
    const found = await svc.tags.profilesWithTag(ENV, 'newsletter');
    expect(found.profileIds.sort()).toEqual([a.id, b.id].sort());
    expect(await svc.tags.removeTag(ENV, a, t1.id)).toBe(true);
    expect(await svc.tags.removeTag(ENV, a, t1.id)).toBe(false);
    expect((await svc.tags.profilesWithTag(ENV, 'newsletter')).profileIds).toEqual([b.id]);
    expect((await svc.tags.profilesWithTag(ENV, 'unknown')).profileIds).toEqual([]);
    expect((await svc.tags.profilesWithTag('other-env', 'newsletter')).profileIds).toEqual([]);
  });

  it("counts a merged profile's tags for the survivor", async () => {
    const { anon, later } = await mergedPair('tag-survivor', 'tag-anon');
    await storage.write((trx) => svc.tags.assignTagByName(trx, ENV, anon, 'early-bird'));
    const survivor = await later();
    expect((await svc.tags.tagsOfProfile(ENV, survivor)).map((t) => t.name)).toEqual([
      'early-bird',
    ]);
    expect((await svc.tags.profilesWithTag(ENV, 'early-bird')).profileIds).toEqual([survivor.id]);
  });
});

describe('DeviceService', () => {
  it('links a device, keeps fields left out on a re-link, and moves it to another profile', async () => {
    const a = await profile('dev-a');
    const b = await profile('dev-b');
    const first = await svc.devices.linkDevice(ENV, a, {
      deviceId: 'phone-1',
      type: 'ios',
      pushToken: 'apns-token',
      model: 'iPhone 15',
      attributes: { locale: 'en-GB' },
    });
    expect(first).toMatchObject({
      profileId: a.id,
      pushChannel: 'mobile-push',
      pushToken: 'apns-token',
      attributes: { locale: 'en-GB' },
    });
    const again = await svc.devices.linkDevice(ENV, a, { deviceId: 'phone-1', type: 'ios' });
    expect(again).toMatchObject({ pushToken: 'apns-token', model: 'iPhone 15' });
    expect(again.linkedAt).toBe(first.linkedAt);
    expect(again.lastSeenAt).toBeGreaterThan(first.lastSeenAt);

    const moved = await svc.devices.linkDevice(ENV, b, { deviceId: 'phone-1', type: 'ios' });
    expect(moved.profileId).toBe(b.id);
    expect(moved.linkedAt).toBeGreaterThan(first.linkedAt);
    expect(await svc.devices.devicesOfProfile(ENV, a)).toEqual([]);
    expect((await svc.devices.devicesOfProfile(ENV, b)).map((d) => d.deviceId)).toEqual([
      'phone-1',
    ]);
    expect(await svc.devices.unlinkDevice(ENV, a, 'phone-1')).toBe(false);
    expect(await svc.devices.unlinkDevice(ENV, b, 'phone-1')).toBe(true);
  });

  it('cleans up the push tokens of one channel and says how many', async () => {
    const p = await profile('dev-push');
    await svc.devices.linkDevice(ENV, p, { deviceId: 'w1', type: 'web', pushToken: 'wp-1' });
    await svc.devices.linkDevice(ENV, p, { deviceId: 'w2', type: 'web', pushToken: 'wp-2' });
    await svc.devices.linkDevice(ENV, p, { deviceId: 'm1', type: 'android', pushToken: 'fcm' });
    expect(await svc.devices.cleanUpPushTokens(ENV, p, 'web-push')).toBe(2);
    expect(await svc.devices.cleanUpPushTokens(ENV, p, 'web-push')).toBe(0);
    const devices = await svc.devices.devicesOfProfile(ENV, p);
    expect(devices.map((d) => [d.deviceId, d.pushToken])).toEqual([
      ['w1', null],
      ['w2', null],
      ['m1', 'fcm'],
    ]);
  });

  it('names every bad field of a link', async () => {
    const p = await profile('dev-bad');
    await expect(
      svc.devices.linkDevice(ENV, p, {
        deviceId: '',
        type: 'toaster' as 'web',
        attributes: [] as unknown as Record<string, unknown>,
      }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      issues: [
        { field: 'deviceId', message: 'must not be empty' },
        { field: 'type', message: 'must be one of web, ios, android, other' },
        { field: 'attributes', message: 'must be an object' },
      ],
    });
  });
});

describe('personal data', () => {
  it('writes nothing to a profile an erasure removes meanwhile, though the erasure takes no slot', async () => {
    const p = await profile('erase-racer');
    // An erasure job takes no write slot: queued first, it commits ahead of the note's write,
    // after the note was sure the profile existed. The note must then fail, not outlive it.
    const erased = storage.write((trx) => repo.erase(trx, [p.id]));
    const note = svc.notes.createNote(ENV, p, { content: 'too late' });
    await erased;
    await expect(note).rejects.toMatchObject({ code: 'profile_not_found' });
    expect(await repo.countPersonalData([p.id])).toMatchObject({ profiles: 0, profile_notes: 0 });
  });

  it('erases notes, tag assignments and devices with the profile, keeping tag definitions', async () => {
    const { anon, later } = await mergedPair('pd-user', 'pd-anon');
    await svc.notes.createNote(ENV, anon, { content: 'n1' });
    await storage.write((trx) => svc.tags.assignTagByName(trx, ENV, anon, 'pd-tag'));
    await svc.devices.linkDevice(ENV, anon, { deviceId: 'pd-dev', type: 'web' });
    const survivor = await later();
    await svc.notes.createNote(ENV, survivor, { content: 'n2' });
    const ids = [survivor.id, ...survivor.mergedIds];
    expect(await repo.countPersonalData(ids)).toMatchObject({
      profile_notes: 2,
      profile_tags: 1,
      linked_devices: 1,
    });
    const exported = await repo.exportPersonalData(ENV, ids);
    expect(exported).toMatchObject({
      notes: [{ content: 'n1' }, { content: 'n2' }],
      tags: [{ name: 'pd-tag' }],
      linkedDevices: [{ deviceId: 'pd-dev' }],
    });
    await storage.write((trx) => repo.erase(trx, ids));
    expect(await repo.countPersonalData(ids)).toMatchObject({
      profile_notes: 0,
      profile_tags: 0,
      linked_devices: 0,
    });
    expect((await svc.tags.listTags(ENV)).map((t) => t.name)).toContain('pd-tag');
  });
});
