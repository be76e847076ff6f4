import type { Kysely, Selectable } from 'kysely';
import type { CredentialSecretsTable, CredentialsTable, Database } from '../../storage/schema.js';

export type CredentialRow = Selectable<CredentialsTable>;
export type SecretRow = Selectable<CredentialSecretsTable>;

/** SQL for credentials and their secrets; only the credentials module calls it. */
export class CredentialStore {
  constructor(private readonly db: Kysely<Database>) {}

  findById(id: string): Promise<CredentialRow | undefined> {
    return this.db.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** A credential by its public id (OAuth client_id; HMAC user within an environment). */
  findByPublicId(
    kind: string,
    publicId: string,
    environmentId?: string,
  ): Promise<CredentialRow | undefined> {
    let query = this.db
      .selectFrom('credentials')
      .selectAll()
      .where('kind', '=', kind)
      .where('public_id', '=', publicId);
    if (environmentId) query = query.where('environment_id', '=', environmentId);
    return query.executeTakeFirst();
  }

  findByEnvironment(environmentId: string): Promise<CredentialRow[]> {
    return this.db
      .selectFrom('credentials')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .orderBy('id')
      .execute();
  }

  findSecret(id: string): Promise<SecretRow | undefined> {
    return this.db
      .selectFrom('credential_secrets')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
  }

  findSecrets(credentialIds: string[]): Promise<SecretRow[]> {
    if (credentialIds.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('credential_secrets')
      .selectAll()
      .where('credential_id', 'in', credentialIds)
      .orderBy('id')
      .execute();
  }

  /** Ids of credentials revoked since `since` (the revocation cache polls this). */
  async findRevokedSince(since: number): Promise<Array<{ id: string; revoked_at: number }>> {
    const rows = await this.db
      .selectFrom('credentials')
      .select(['id', 'revoked_at'])
      .where('revoked_at', 'is not', null)
      .where('revoked_at', '>=', since)
      .execute();
    return rows.map((r) => ({ id: r.id, revoked_at: Number(r.revoked_at) }));
  }

  async insert(credential: CredentialRow, secret: SecretRow): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('credentials').values(credential).execute();
      await trx.insertInto('credential_secrets').values(secret).execute();
    });
  }

  /** Adds a new secret and limits the old ones to `oldExpireAt` (rotation). */
  async rotate(secret: SecretRow, oldExpireAt: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('credential_secrets')
        .set({ expires_at: oldExpireAt })
        .where('credential_id', '=', secret.credential_id)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', oldExpireAt)]))
        .execute();
      await trx.insertInto('credential_secrets').values(secret).execute();
    });
  }

  async revoke(environmentId: string, id: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('credentials')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('environment_id', '=', environmentId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
