import type { ProfileState } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import type { StoredEvent } from '../events/event-store.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { MergeRecord } from '../profiles/merge-store.js';
import { onlyProfile, type ProfileQueryService } from '../profiles/profile-query-service.js';
import type { ProfileRef } from '../profiles/profile-ref.js';
import type { ProfileRepository } from '../profiles/profile-repository.js';

export const ERASURE_JOB = 'erasure';

export interface ErasureStatus {
  id: string;
  status: string;
  createdAt: number;
  finishedAt: number | null;
  /** Rows left per store; all zero once the erasure is done. */
  remaining: Record<string, number>;
}

export interface PersonalDataExport {
  profile: ProfileState;
  events: StoredEvent[];
  merges: MergeRecord[];
  other: Record<string, unknown>;
}

/** Largest event history an access export returns in one answer. */
const EXPORT_EVENT_LIMIT = 100_000;

/**
 * Erasure and access requests (privacy scope). An erasure is a durable job over the profile ids a
 * reference resolves to when it is requested (only those pseudonymous ids are stored with the
 * job, never the email or user id asked for); its status carries each store's remaining count,
 * read live, which reaches zero when the job is done.
 */
export class ErasureService {
  constructor(
    private readonly repo: ProfileRepository,
    private readonly queries: ProfileQueryService,
    private readonly jobs: JobQueue,
  ) {
    jobs.register(ERASURE_JOB, async (job) => {
      const { profileIds } = job.payload as { profileIds: string[] };
      const sink = await this.repo.changes?.forEnvironment(job.environmentId);
      await this.repo.storage.write(async (trx) => {
        await this.repo.erase(trx, profileIds);
        await sink?.write(trx, [
          { type: 'profile.deleted', profileId: null, payload: { profileIds, reason: 'erasure' } },
        ]);
      });
    });
  }

  /**
   * Queues the erasure of the person `ref` names (nobody: a job that erases nothing). A shared
   * identifier (an email two people hold) is `identity_conflict`, as for deletion: an erasure
   * must never take someone else's data with it.
   */
  async requestErasure(environmentId: string, ref: ProfileRef): Promise<ErasureStatus> {
    const profiles = await this.queries.findProfiles(environmentId, ref);
    const person = profiles.length === 0 ? undefined : onlyProfile(profiles);
    const profileIds = person ? [person.id, ...person.mergedIds] : [];
    const { id } = await this.jobs.enqueue(environmentId, ERASURE_JOB, { profileIds });
    return (await this.status(environmentId, id))!;
  }

  async status(environmentId: string, id: string): Promise<ErasureStatus | undefined> {
    const job = await this.jobs.status(environmentId, id);
    if (!job || job.kind !== ERASURE_JOB) return undefined;
    const payload = (await this.jobs.payload(environmentId, id)) as { profileIds: string[] };
    return {
      id,
      status: job.status,
      createdAt: job.createdAt,
      finishedAt: job.finishedAt,
      remaining: await this.repo.countPersonalData(payload.profileIds),
    };
  }

  /** Everything kept about one person (their profile and everything merged into it). */
  async exportPerson(environmentId: string, ref: ProfileRef): Promise<PersonalDataExport> {
    const profile = await this.queries.getProfile(environmentId, ref);
    const ids = [profile.id, ...profile.mergedIds];
    const events = await this.repo.events.find({
      environmentId,
      profileIds: ids,
      order: 'asc',
      limit: EXPORT_EVENT_LIMIT,
    });
    if (events.length === EXPORT_EVENT_LIMIT) {
      throw new AppError(
        'validation_failed',
        'The history is too long for one answer; use an export job.',
      );
    }
    return {
      profile,
      events,
      merges: await this.repo.merges.findByProfiles(environmentId, ids),
      other: await this.repo.exportPersonalData(environmentId, ids),
    };
  }
}
