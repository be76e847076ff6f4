import type { Storage } from '../../storage/storage.js';
import { profileWriteGuard } from '../consents/consent-guard.js';
import type { ProfileIngestService } from '../profiles/profile-ingest-service.js';
import type { ProfileQueryService } from '../profiles/profile-query-service.js';
import type { ProfileRepository } from '../profiles/profile-repository.js';
import { AlternateIdService } from './alternate-id-service.js';
import { AlternateIdStore } from './alternate-id-store.js';
import { AnnotationPersonalData } from './annotation-personal-data.js';
import type { LiveIdResolver } from './annotation-types.js';
import { DeviceService } from './device-service.js';
import { DeviceStore } from './device-store.js';
import { LabelService } from './label-service.js';
import { LabelStore } from './label-store.js';
import { NoteService } from './note-service.js';
import { NoteStore } from './note-store.js';
import { ProfileUpsertService } from './profile-upsert-service.js';
import { TagService } from './tag-service.js';
import { TagStore } from './tag-store.js';

/** Notes, tags, linked devices, alternate ids and groups of profiles (`Services.annotations`). */
export interface AnnotationServices {
  notes: NoteService;
  tags: TagService;
  devices: DeviceService;
  /** System and device identifiers (MyPreferences AlternateIds). */
  alternateIds: AlternateIdService;
  /** Groups, and the search index of custom fields (MyPreferences). */
  labels: LabelService;
  /** A profile and its extras created or updated in one call (MyPreferences' profile body). */
  upsert: ProfileUpsertService;
}

/**
 * Builds the annotation services on the profiles module's write slots (a write waits for the
 * profile's other writes and needs the profile to exist), and registers their tables as personal
 * data of the profile, so that deletion, opt-out and erasure remove them and access exports
 * include them.
 */
export function createAnnotations(
  storage: Storage,
  repo: ProfileRepository,
  profiles: { ingest: ProfileIngestService; queries: ProfileQueryService },
  now: () => number = Date.now,
): AnnotationServices {
  const notes = new NoteStore(storage.db);
  const tags = new TagStore(storage.db);
  const devices = new DeviceStore(storage.db);
  const alternateIds = new AlternateIdStore(storage.db);
  const labels = new LabelStore(storage.db);
  const guard = profileWriteGuard(repo);
  const liveId: LiveIdResolver = (environmentId, id) => repo.profiles.findLiveId(environmentId, id);
  repo.addPersonalDataStore(new AnnotationPersonalData(notes, tags, devices, alternateIds, labels));
  const extras = {
    tags: new TagService(storage, tags, guard, liveId, now),
    alternateIds: new AlternateIdService(alternateIds, liveId, now),
    labels: new LabelService(labels, guard, liveId, now),
  };
  return {
    ...extras,
    notes: new NoteService(notes, guard, now),
    devices: new DeviceService(devices, guard, now),
    upsert: new ProfileUpsertService(profiles.ingest, profiles.queries, extras),
  };
}
