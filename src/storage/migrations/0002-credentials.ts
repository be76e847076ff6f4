import { type Kysely, sql } from 'kysely';

/**
 * Every kind of credential in one table (API keys, write keys, OAuth clients, HMAC users), with
 * their secrets in another so that a secret can be rotated while the old one stays valid for a
 * while. Existing API keys move over with their hashes.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run below the typed schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    // The OAuth client_id or HMAC user id; null for keys, which carry their own id.
    .addColumn('public_id', 'text')
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('credentials_env')
    .on('credentials')
    .columns(['environment_id', 'kind'])
    .execute();
  await db.schema
    .createIndex('credentials_public_id')
    .on('credentials')
    .columns(['kind', 'public_id'])
    .execute();
  await db.schema
    .createIndex('credentials_env_public_id')
    .on('credentials')
    .columns(['environment_id', 'kind', 'public_id'])
    .unique()
    .where(sql.ref('public_id'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('credentials_revoked')
    .on('credentials')
    .column('revoked_at')
    .execute();

  await db.schema
    .createTable('credential_secrets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('credential_id', 'text', (c) => c.notNull().references('credentials.id'))
    // SHA-256 (hex) of a random secret; null for HMAC keys, which must be recoverable.
    .addColumn('secret_hash', 'text')
    // AES-256-GCM under the master key, for HMAC private keys only.
    .addColumn('secret_encrypted', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // Set on the old secret when a new one is rotated in: valid until then.
    .addColumn('expires_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('credential_secrets_credential')
    .on('credential_secrets')
    .column('credential_id')
    .execute();

  await sql`
    insert into credentials (id, environment_id, kind, name, public_id, scopes, settings, created_at, revoked_at)
    select id, environment_id, 'api_key', name, null, scopes, '{}', created_at, revoked_at from api_keys
  `.execute(db);
  // An API key's secret row keeps the key's id, so keys already handed out stay valid.
  await sql`
    insert into credential_secrets (id, credential_id, secret_hash, secret_encrypted, created_at, expires_at)
    select id, id, secret_hash, null, created_at, null from api_keys
  `.execute(db);
  await db.schema.dropTable('api_keys').execute();
}
