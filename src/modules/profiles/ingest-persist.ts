import type { CanonicalEvent } from '../../engine/types.js';
import { allStatements } from '../../storage/write-queue.js';
import type { IngestContext, Work } from './ingest-work.js';
import type { ProfileRepository } from './profile-repository.js';

/**
 * Writes what one attempt computed, in one group-committed write job: the messageIds, merges,
 * the profile (inserted, or updated against the version read), identifiers, events and the
 * extensions' writes. A profile changed or a messageId applied meanwhile fails the job with a
 * WriteConflict. Once committed, the document is kept for the profile's next request.
 */
export async function persistWork(
  repo: ProfileRepository,
  ctx: IngestContext,
  work: Work,
  events: CanonicalEvent[],
): Promise<void> {
  const { profiles, identities, merges, events: eventStore, dedupe } = repo;
  const now = Date.now();
  const bytes = await repo.storage.write(
    async (trx) => {
      for (const { record, mergedVersion } of work.merges) {
        await profiles.markMerged(trx, record.mergedId, record.survivorId, mergedVersion);
        await identities.remove(trx, ctx.environmentId, record.mergedId, record.movedIdentifiers);
        await identities.insert(
          trx,
          ctx.environmentId,
          record.survivorId,
          record.movedIdentifiers,
          now,
        );
        await merges.insert(trx, record);
      }
      // Independent of each other: issued together, one round trip on a pipelined connection.
      // A messageId applied meanwhile (or assumed new, see NONE_SEEN) or a profile changed
      // meanwhile fails the job, and with it everything it wrote.
      const [, stored] = await allStatements([
        dedupe.insert(
          trx,
          ctx.environmentId,
          events.map((e) => e.messageId),
          now,
        ),
        work.version === null
          ? profiles.insert(trx, work.state)
          : profiles.update(trx, work.state, work.version),
        identities.insert(trx, ctx.environmentId, work.state.id, work.newIdentifiers, now),
        eventStore.insert(trx, work.eventRows),
        ...work.extraWrites.map((write) => write(trx)),
      ]);
      return stored;
    },
    { key: work.state.id, retriesConflicts: true },
  );
  // Committed: the next request for this profile finds its document without parsing it.
  profiles.remember(work.state, work.version === null ? 1 : work.version + 1, bytes);
}
