import type { Storage } from '../../storage/storage.js';
import { profileWriteGuard } from '../consents/consent-guard.js';
import type { ProfileRepository } from '../profiles/profile-repository.js';
import { AnnotationPersonalData } from './annotation-personal-data.js';
import { DeviceService } from './device-service.js';
import { DeviceStore } from './device-store.js';
import { NoteService } from './note-service.js';
import { NoteStore } from './note-store.js';
import { TagService } from './tag-service.js';
import { TagStore } from './tag-store.js';

/** Notes, tags and linked devices of profiles (`Services.annotations`). */
export interface AnnotationServices {
  notes: NoteService;
  tags: TagService;
  devices: DeviceService;
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
  now: () => number = Date.now,
): AnnotationServices {
  const notes = new NoteStore(storage.db);
  const tags = new TagStore(storage.db);
  const devices = new DeviceStore(storage.db);
  const guard = profileWriteGuard(repo);
  repo.addPersonalDataStore(new AnnotationPersonalData(notes, tags, devices));
  return {
    notes: new NoteService(storage, notes, guard, now),
    tags: new TagService(
      storage,
      tags,
      guard,
      (environmentId, id) => repo.profiles.findLiveId(environmentId, id),
      now,
    ),
    devices: new DeviceService(storage, devices, guard, now),
  };
}
