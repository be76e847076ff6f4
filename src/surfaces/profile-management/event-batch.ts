import type { CanonicalEvent } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import { type ProfileRef, refKey } from '../../modules/profiles/profile-ref.js';
import { type ProfileManagementServices, SOURCE } from './profile-management-context.js';

export interface BatchOutcome {
  accepted: number;
  duplicates: number;
  suppressed: number;
  rejected: Array<{ index: number; status: number; message: string }>;
}

/**
 * Applies validated events that each name their profile. The wire names profiles by clientId,
 * customId, uuid or email, which the core's batch call does not group by, so events are grouped
 * here by reference (in order of first appearance, each group in its own order) and each group
 * goes through `ingestForProfile`. A group the core refuses (unknown clientId, shared email) is
 * reported by index; the others are applied.
 */
export async function applyBatch(
  services: ProfileManagementServices,
  environmentId: string,
  items: Array<{ ref: ProfileRef; event: CanonicalEvent }>,
): Promise<BatchOutcome> {
  const groups = new Map<
    string,
    { ref: ProfileRef; indexes: number[]; events: CanonicalEvent[] }
  >();
  items.forEach(({ ref, event }, index) => {
    const key = refKey(ref);
    const group = groups.get(key) ?? { ref, indexes: [], events: [] };
    group.indexes.push(index);
    group.events.push(event);
    groups.set(key, group);
  });
  const outcome: BatchOutcome = { accepted: 0, duplicates: 0, suppressed: 0, rejected: [] };
  for (const group of groups.values()) {
    try {
      const result = await services.ingest.ingestForProfile(
        { environmentId, source: SOURCE },
        group.ref,
        group.events,
      );
      outcome.accepted += result.applied;
      outcome.duplicates += result.duplicates;
      outcome.suppressed += result.suppressed;
    } catch (error) {
      // A refused group is the caller's problem; 429 and server errors fail the whole request.
      if (!(error instanceof AppError) || error.status >= 500 || error.status === 429) throw error;
      for (const index of group.indexes)
        outcome.rejected.push({ index, status: error.status, message: error.message });
    }
  }
  outcome.rejected.sort((a, b) => a.index - b.index);
  return outcome;
}
