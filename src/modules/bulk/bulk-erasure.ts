import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../storage/schema.js';
import type { Storage } from '../../storage/storage.js';
import type { PersonalDataStore } from '../profiles/profile-repository.js';

/** Profile ids searched per query (each is one `LIKE` term). */
const IDS_PER_QUERY = 100;
/** Profile ids are UUIDs: safe inside a LIKE pattern, and never split across output chunks. */
const UUID = /^[0-9a-f-]{36}$/;

/**
 * Erasure of stored export results. An export's NDJSON holds copies of profiles (`"id"`) and
 * events (`"profileId"`), so erasing a person must reach it: the whole export that mentions any
 * of the erased profile ids is deleted (job row and every chunk), not rewritten. Rewriting would
 * mean re-chunking text in the erasure transaction, and a partial export is worth less than a
 * re-run. Output chunks end at line ends, so an id is always inside one chunk; the search scans
 * output chunks, which is acceptable for a rare, durable erasure job.
 */
export class BulkErasure implements PersonalDataStore {
  constructor(private readonly storage: Storage) {}

  async erase(trx: Transaction<Database>, profileIds: string[]): Promise<void> {
    const jobs = await this.exportsMentioning(trx, profileIds);
    if (jobs.length === 0) return;
    await trx.deleteFrom('bulk_chunks').where('job_id', 'in', jobs).execute();
    await trx.deleteFrom('bulk_jobs').where('id', 'in', jobs).execute();
  }

  /** Exports that still hold copies of these profiles (erasure checklists). */
  async countPersonalData(profileIds: string[]): Promise<Record<string, number>> {
    return { bulk_exports: (await this.exportsMentioning(this.storage.db, profileIds)).length };
  }

  /** Exports are copies of what the access export already returns: nothing to add. */
  async exportPersonalData(): Promise<Record<string, unknown>> {
    return {};
  }

  /** Ids of export jobs whose output mentions any of these profile ids. */
  private async exportsMentioning(db: Kysely<Database>, profileIds: string[]): Promise<string[]> {
    const ids = profileIds.filter((id) => UUID.test(id));
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
      const batch = ids.slice(i, i + IDS_PER_QUERY);
      const rows = await db
        .selectFrom('bulk_chunks')
        .innerJoin('bulk_jobs', 'bulk_jobs.id', 'bulk_chunks.job_id')
        .select('bulk_chunks.job_id')
        .distinct()
        .where('bulk_jobs.kind', '=', 'export')
        .where('bulk_chunks.part', '=', 'output')
        .where((eb) => eb.or(batch.map((id) => eb('bulk_chunks.data', 'like', `%${id}%`))))
        .execute();
      for (const row of rows) found.add(row.job_id);
    }
    return [...found];
  }
}
