import type { FastifyBaseLogger } from 'fastify';
import { newProfileState } from '../../engine/index.js';
import type { CanonicalEvent, ProfileState } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import type { JobQueueApi } from '../../modules/jobs/job-api.js';
import type { PersonalizationApi } from '../../modules/personalization/personalization-api.js';
import type { ProfileIngestService } from '../../modules/profiles/profile-ingest-service.js';
import type { ProfileQueryService } from '../../modules/profiles/profile-query-service.js';
import type { ProfileRef } from '../../modules/profiles/profile-ref.js';
import type { TenantService } from '../../modules/tenants/tenant-service.js';
import type { BatchGroup } from './ninetailed-events.js';
import {
  type NinetailedProfile,
  type ProfileWithSelectedVariants,
  presentProfile,
} from './ninetailed-presenter.js';

export const SOURCE = 'ninetailed';

/** The services the Experience API translates to. */
export interface NinetailedServices {
  tenants: TenantService;
  ingest: ProfileIngestService;
  queries: ProfileQueryService;
  personalization: PersonalizationApi;
  jobs: JobQueueApi & {
    register(
      kind: string,
      handler: (job: { environmentId: string; payload: unknown }) => Promise<void>,
      options?: { personalPayload?: boolean },
    ): void;
  };
}

/** A profile with the audiences, variants and variable changes it gets now. */
export async function withSelections(
  services: NinetailedServices,
  environmentId: string,
  state: ProfileState,
): Promise<ProfileWithSelectedVariants> {
  const { audiences, experiences, changes } = await services.personalization.personalize(
    environmentId,
    state,
  );
  return { profile: presentProfile(state, audiences), experiences, changes };
}

/**
 * What answers for a person who opted out, whose events were dropped: the SDKs need a profile
 * to carry on with (the Node SDK's helpers throw without one). A blank one, never stored (its
 * id names nothing), which gets every baseline.
 */
export function blankProfile(environmentId: string): ProfileState {
  return newProfileState(newId(), environmentId, Date.now(), SOURCE);
}

/**
 * What a batch's anonymousId names. The document's batch keys profiles by id or alias, and the
 * Node SDK sends `anonymousId = userId` unless told otherwise (its track events carry no userId):
 * Tessera's profile id (as the browser SDK learnt it) names that profile (or its survivor); else
 * a userId names its owner, so that server-side events reach the user's profile; anything else
 * is an anonymousId, created when nobody holds it.
 */
async function refOf(
  services: NinetailedServices,
  environmentId: string,
  anonymousId: string,
  publicKeyId: string | undefined,
): Promise<ProfileRef> {
  for (const ref of [
    { kind: 'id', id: anonymousId },
    { kind: 'identifier', type: 'userId', value: anonymousId },
  ] as const) {
    const [live] = await services.queries.findProfiles(environmentId, ref, publicKeyId);
    if (live) return { kind: 'id', id: live.id };
  }
  return { kind: 'identifier', type: 'anonymousId', value: anonymousId };
}

/**
 * Applies a batch, one profile per anonymousId, in order. A group the core refuses (two known
 * users, say) is logged (its code and size, no identifiers) and listed in `refused`, and the
 * other groups still apply; `429` fails the whole call so that the caller retries, and the
 * retry's repeated messageIds are applied once.
 */
export async function upsertBatch(
  services: NinetailedServices,
  environmentId: string,
  groups: BatchGroup[],
  log: FastifyBaseLogger,
  preflight = false,
  publicKeyId?: string,
): Promise<{ profiles: NinetailedProfile[]; refused: AppError[] }> {
  const profiles: NinetailedProfile[] = [];
  const refused: AppError[] = [];
  for (const group of groups) {
    try {
      const ref = await refOf(services, environmentId, group.anonymousId, publicKeyId);
      const result = await services.ingest.ingestForProfile(
        { environmentId, source: SOURCE, preflight, publicKeyId },
        ref,
        group.events,
      );
      const profile =
        result.profile ?? (result.suppressed > 0 ? blankProfile(environmentId) : null);
      if (!profile) continue;
      const { audiences } = await services.personalization.personalize(environmentId, profile);
      profiles.push(presentProfile(profile, audiences));
    } catch (error) {
      if (!(error instanceof AppError) || error.status === 429 || error.status >= 500) throw error;
      log.warn({ code: error.code, events: group.events.length }, 'batch profile not applied');
      refused.push(error);
    }
  }
  return { profiles, refused };
}

/** The job kind of `POST …/import/events`. */
export const IMPORT_JOB = 'ninetailed-import';

/** What an import job stores: the batch, already validated and grouped when it was accepted. */
export interface ImportPayload {
  groups: BatchGroup[];
  /** The publishable key of a locked-mode import: its reach applies when the job runs. */
  publicKeyId?: string;
}

function isImportPayload(payload: unknown): payload is ImportPayload {
  const groups = (payload as { groups?: unknown } | null)?.groups;
  return (
    Array.isArray(groups) &&
    groups.every(
      (g: { anonymousId?: unknown; events?: unknown }) =>
        typeof g?.anonymousId === 'string' && Array.isArray(g.events),
    )
  );
}

/**
 * Runs an accepted import. Its events were validated (and given their messageIds) when it was
 * accepted, so a retry after a crash applies nothing twice. A refused group is logged and
 * dropped, as the document says errors are handled in the background; an overloaded profile
 * throws, and the queue retries the job later.
 */
export function importRunner(services: NinetailedServices, log: FastifyBaseLogger) {
  return async (job: { environmentId: string; payload: unknown }): Promise<void> => {
    if (!isImportPayload(job.payload)) {
      log.error({ kind: IMPORT_JOB }, 'import job with an unreadable payload dropped');
      return;
    }
    const groups = job.payload.groups.map((g) => ({
      anonymousId: g.anonymousId,
      events: g.events as CanonicalEvent[],
    }));
    await upsertBatch(services, job.environmentId, groups, log, false, job.payload.publicKeyId);
  };
}
