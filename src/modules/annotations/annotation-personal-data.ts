import type { Transaction } from 'kysely';
import type { Database } from '../../storage/schema.js';
import type { PersonalDataStore } from '../profiles/profile-repository.js';
import type { AlternateIdStore } from './alternate-id-store.js';
import { iso } from './annotation-types.js';
import type { DeviceStore } from './device-store.js';
import type { LabelStore } from './label-store.js';
import { NOTES_LIST_MAX } from './note-service.js';
import type { NoteStore } from './note-store.js';
import type { TagStore } from './tag-store.js';

/**
 * Notes, tag assignments, linked devices, alternate ids and groups as personal data: erased with their profiles
 * (deletion, opt-out, erasure requests), counted in the erasure checklist, and exported on
 * access requests. Tag definitions are the environment's, not the person's, so they stay.
 */
export class AnnotationPersonalData implements PersonalDataStore {
  constructor(
    private readonly notes: NoteStore,
    private readonly tags: TagStore,
    private readonly devices: DeviceStore,
    private readonly alternateIds: AlternateIdStore,
    private readonly labels: LabelStore,
  ) {}

  async erase(trx: Transaction<Database>, profileIds: string[]): Promise<void> {
    await this.notes.deleteByProfiles(trx, profileIds);
    await this.tags.deleteByProfiles(trx, profileIds);
    await this.devices.deleteByProfiles(trx, profileIds);
    await this.alternateIds.deleteByProfiles(trx, profileIds);
    await this.labels.deleteByProfiles(trx, profileIds);
  }

  async countPersonalData(profileIds: string[]): Promise<Record<string, number>> {
    return {
      profile_notes: await this.notes.countByProfiles(profileIds),
      profile_tags: await this.tags.countByProfiles(profileIds),
      linked_devices: await this.devices.countByProfiles(profileIds),
      profile_alternate_ids: await this.alternateIds.countByProfiles(profileIds),
      profile_labels: await this.labels.countByProfiles(profileIds),
    };
  }

  async exportPersonalData(
    environmentId: string,
    profileIds: string[],
  ): Promise<Record<string, unknown>> {
    const notes = await this.notes.findByProfiles(environmentId, profileIds, NOTES_LIST_MAX);
    const tags = await this.tags.findOfProfiles(environmentId, profileIds);
    const devices = await this.devices.findByProfiles(environmentId, profileIds);
    const alternateIds = await this.alternateIds.findByProfiles(environmentId, profileIds);
    // Custom field values are traits (exported with the profile); their index adds nothing.
    const groups = await this.labels.findByProfiles(environmentId, profileIds, 'group');
    return {
      notes: notes.map((n) => ({
        ...n,
        createdAt: iso(n.createdAt),
        updatedAt: iso(n.updatedAt),
      })),
      tags: tags.map((t) => ({ name: t.name, assignedAt: iso(t.assignedAt) })),
      linkedDevices: devices.map((d) => ({
        ...d,
        linkedAt: iso(d.linkedAt),
        lastSeenAt: iso(d.lastSeenAt),
      })),
      alternateIds,
      groups: groups.map((g) => ({ name: g.name, profileId: g.profileId })),
    };
  }
}
