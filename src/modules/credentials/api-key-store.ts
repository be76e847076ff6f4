import type { Kysely } from 'kysely';
import type { ApiKeysTable, Database } from '../../storage/schema.js';

export type ApiKeyRow = ApiKeysTable;

/** SQL for API keys; only the credentials module calls it. */
export class ApiKeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  findById(id: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findByEnvironment(environmentId: string): Promise<ApiKeyRow[]> {
    return this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .orderBy('id')
      .execute();
  }

  async insert(row: ApiKeyRow): Promise<void> {
    await this.db.insertInto('api_keys').values(row).execute();
  }

  async revoke(environmentId: string, id: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('environment_id', '=', environmentId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
