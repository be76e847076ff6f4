import type { CanonicalEvent } from '../../engine/types.js';
import { runRows } from '../../storage/row-writes.js';
import type { IngestContext, Work } from './ingest-work.js';
import type { ProfileRepository } from './profile-repository.js';

/**
 * Writes what one attempt computed, in one group-committed write job: the messageIds, merges,
 * the profile (inserted, or updated against the version read), identifiers, events and the
 * extensions' writes. A profile changed or a messageId applied meanwhile (or assumed new, see
 * NONE_SEEN) fails the job with a WriteConflict, and with it everything it wrote. Once
 * committed, the document is kept for the profile's next request.
 */
export async function persistWork(
  repo: ProfileRepository,
  ctx: IngestContext,
  work: Work,
  events: CanonicalEvent[],
): Promise<void> {
  const { profiles, identities, merges, events: eventStore, dedupe } = repo;
  const now = Date.now();
  const document = profiles.rows(work.state, work.version);
  const rows = [
    dedupe.rows(
      ctx.environmentId,
      events.map((e) => e.messageId),
      now,
    ),
    document.write,
    identities.rows(ctx.environmentId, work.state.id, work.newIdentifiers, now),
    eventStore.rows(work.eventRows),
    ...work.extraRows,
  ];
  const options = { key: work.state.id, retriesConflicts: true };
  if (work.merges.length === 0 && work.extraWrites.length === 0) {
    // The usual write is only rows: it shares its statements with the other profiles' writes
    // of its group transaction.
    await repo.storage.writeRows(rows, options);
  } else {
    // Identifiers taken in this request are not stored yet: written with the new ones.
    const pending = new Set(work.newIdentifiers.map((i) => `${i.type}:${i.value}`));
    await repo.storage.write(async (trx) => {
      for (const { record, mergedVersion } of work.merges) {
        const stored = record.movedIdentifiers.filter((i) => !pending.has(`${i.type}:${i.value}`));
        await profiles.markMerged(trx, record.mergedId, record.survivorId, mergedVersion);
        await identities.remove(trx, ctx.environmentId, record.mergedId, stored);
        await identities.insert(trx, ctx.environmentId, record.survivorId, stored, now);
        await merges.insert(trx, record);
      }
      await runRows(trx, rows);
      for (const write of work.extraWrites) await write(trx);
    }, options);
  }
  // Committed: the next request for this profile finds its document without parsing it.
  profiles.remember(work.state, work.version === null ? 1 : work.version + 1, document.bytes);
}
