import type { CanonicalEvent, ProfileState } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import type { AnnotationServices } from '../../modules/annotations/annotations-module.js';
import type { BulkService } from '../../modules/bulk/bulk-service.js';
import { prepareEvents } from '../../modules/events/event-intake.js';
import type {
  ProfileClaims,
  ProfileIngestService,
} from '../../modules/profiles/profile-ingest-service.js';
import type { ProfileMergeService } from '../../modules/profiles/profile-merge-service.js';
import type { ProfileQueryService } from '../../modules/profiles/profile-query-service.js';
import type { ProfileRef } from '../../modules/profiles/profile-ref.js';

/** The trait source and event source of everything written through this dialect. */
export const SOURCE = 'profile-management';
/** The OpenAPI tag of every route of the dialect. */
export const TAGS = ['Profile management (001)'];

/** The services the 001 dialect translates onto. */
export interface ProfileManagementServices {
  ingest: ProfileIngestService;
  queries: ProfileQueryService;
  merges: ProfileMergeService;
  bulk: BulkService;
  /** Notes, tags and linked devices (the annotations module). */
  annotations: Pick<AnnotationServices, 'notes' | 'tags' | 'devices'>;
}

/** Validates raw canonical events (tracking rules), all or nothing, as every dialect does. */
export function prepare(raws: unknown[]): CanonicalEvent[] {
  return prepareEvents(raws, {
    receivedAt: Date.now(),
    requireProfileKey: false,
    rules: 'tracking',
  });
}

/**
 * Thrown when the core dropped a write because it is about a person who opted out: every 001
 * route answers it as `202` with `clientId: null` (the events' acknowledgement), since there is
 * no profile to show and the caller must not retry.
 */
export class SuppressedWrite extends Error {
  constructor(readonly suppressed: number) {
    super('The person opted out: nothing was stored.');
  }
}

/**
 * Applies events to the profile `ref` names (created when an identifier nobody holds names it)
 * and answers the profile after them. Events of an opted-out person are dropped by the core:
 * {@link SuppressedWrite}; only duplicates for a profile that does not exist are a 404.
 */
export async function applyToProfile(
  services: ProfileManagementServices,
  environmentId: string,
  ref: ProfileRef,
  events: CanonicalEvent[],
  claims: ProfileClaims = {},
): Promise<{ profile: ProfileState; applied: number; duplicates: number; suppressed: number }> {
  const result = await services.ingest.ingestForProfile(
    { environmentId, source: SOURCE },
    ref,
    events,
    claims,
  );
  if (!result.profile && result.suppressed > 0) throw new SuppressedWrite(result.suppressed);
  if (!result.profile) throw new AppError('profile_not_found');
  return { ...result, profile: result.profile };
}
