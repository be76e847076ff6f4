import type { Transaction } from 'kysely';
import { AppError } from '../../errors/app-error.js';
import type { BulkJobsTable, Database } from '../../storage/schema.js';
import type { Storage } from '../../storage/storage.js';

export type ChunkPart = 'input' | 'output';

/**
 * SQL for bulk jobs: one row per job (options and progress as JSON) and its input and output
 * as ordered text chunks. Writes go through the group-commit writer like every other write.
 */
export class BulkStore {
  constructor(private readonly storage: Storage) {}

  async insert(row: BulkJobsTable, input: string[]): Promise<void> {
    await this.storage.write(async (trx) => {
      await trx.insertInto('bulk_jobs').values(row).execute();
      for (let seq = 0; seq < input.length; seq++)
        await this.insertChunk(trx, row.id, 'input', seq, input[seq]!);
    });
  }

  async setJobId(id: string, jobId: string): Promise<void> {
    await this.storage.write((trx) =>
      trx.updateTable('bulk_jobs').set({ job_id: jobId }).where('id', '=', id).execute(),
    );
  }

  findById(environmentId: string, id: string): Promise<BulkJobsTable | undefined> {
    return this.storage.db
      .selectFrom('bulk_jobs')
      .selectAll()
      .where('id', '=', id)
      .where('environment_id', '=', environmentId)
      .executeTakeFirst();
  }

  /** Saves progress, and in the same transaction appends an output chunk or drops the input. */
  async saveProgress(
    id: string,
    progress: unknown,
    extra: {
      /** `mentions`: the profiles whose copies the chunk holds. */
      output?: { seq: number; data: string; mentions?: string[] };
      dropInput?: boolean;
    } = {},
  ): Promise<void> {
    const erased = await this.storage.write(async (trx) => {
      const updated = await trx
        .updateTable('bulk_jobs')
        .set({ progress: JSON.stringify(progress), updated_at: Date.now() })
        .where('id', '=', id)
        .executeTakeFirst();
      // Deleted meanwhile (DELETE, or an erasure of someone in it): write no orphan chunk.
      if (Number(updated.numUpdatedRows) === 0)
        throw new AppError('not_found', 'The job was deleted.');
      if (!(await this.allPresent(trx, extra.output?.mentions ?? []))) {
        // Someone in the chunk was erased after being read: an erasure deletes every export that
        // mentions the person, so this one goes too (it may have found nothing stored yet).
        await trx.deleteFrom('bulk_chunks').where('job_id', '=', id).execute();
        await trx.deleteFrom('bulk_jobs').where('id', '=', id).execute();
        return true;
      }
      if (extra.output)
        await this.insertChunk(trx, id, 'output', extra.output.seq, extra.output.data);
      if (extra.dropInput)
        await trx
          .deleteFrom('bulk_chunks')
          .where('job_id', '=', id)
          .where('part', '=', 'input')
          .execute();
      return false;
    });
    // Thrown once the deletion has committed (thrown inside, it would roll it back).
    if (erased)
      throw new AppError(
        'not_found',
        'A profile in the export was erased: the export was deleted.',
      );
  }

  /**
   * True when every one of these profiles' rows is still stored. On PostgreSQL they are held (FOR
   * SHARE) until `trx` ends: an erasure waits for the chunk to commit, and then finds and deletes
   * the export (it deletes profile rows before searching exports).
   */
  private async allPresent(trx: Transaction<Database>, profileIds: string[]): Promise<boolean> {
    if (profileIds.length === 0) return true;
    const query = trx.selectFrom('profiles').select('id').where('id', 'in', profileIds);
    const rows = await (this.storage.engine === 'postgres' ? query.forShare() : query).execute();
    return rows.length === profileIds.length;
  }

  /** The chunks of one part in order, read one at a time. */
  async *readChunks(id: string, part: ChunkPart): AsyncGenerator<string> {
    for (let seq = 0; ; seq++) {
      const row = await this.storage.db
        .selectFrom('bulk_chunks')
        .select('data')
        .where('job_id', '=', id)
        .where('part', '=', part)
        .where('seq', '=', seq)
        .executeTakeFirst();
      if (!row) return;
      yield row.data;
    }
  }

  /** Deletes a job's row and chunks (erasure finds them by environment: see `findIds`). */
  async delete(environmentId: string, id: string): Promise<boolean> {
    return this.storage.write(async (trx) => {
      const result = await trx
        .deleteFrom('bulk_jobs')
        .where('id', '=', id)
        .where('environment_id', '=', environmentId)
        .executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      await trx.deleteFrom('bulk_chunks').where('job_id', '=', id).execute();
      return true;
    });
  }

  /** Ids of an environment's bulk jobs, oldest first. */
  async findIds(environmentId: string): Promise<string[]> {
    const rows = await this.storage.db
      .selectFrom('bulk_jobs')
      .select('id')
      .where('environment_id', '=', environmentId)
      .orderBy('created_at')
      .execute();
    return rows.map((r) => r.id);
  }

  private async insertChunk(
    trx: Transaction<Database>,
    id: string,
    part: ChunkPart,
    seq: number,
    data: string,
  ): Promise<void> {
    await trx.insertInto('bulk_chunks').values({ job_id: id, part, seq, data }).execute();
  }
}
