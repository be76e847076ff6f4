import type { Kysely } from 'kysely';
import type { Database, EnvironmentsTable, OrganizationsTable } from '../../storage/schema.js';

export type OrganizationRow = OrganizationsTable;
export type EnvironmentRow = EnvironmentsTable;

/** SQL for organizations and environments; only the tenants module calls it. */
export class TenantStore {
  constructor(private readonly db: Kysely<Database>) {}

  findOrganizationBySlug(slug: string): Promise<OrganizationRow | undefined> {
    return this.db
      .selectFrom('organizations')
      .selectAll()
      .where('slug', '=', slug)
      .executeTakeFirst();
  }

  findEnvironmentById(id: string): Promise<EnvironmentRow | undefined> {
    return this.db.selectFrom('environments').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findEnvironmentBySlug(organizationId: string, slug: string): Promise<EnvironmentRow | undefined> {
    return this.db
      .selectFrom('environments')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('slug', '=', slug)
      .executeTakeFirst();
  }

  async insertOrganization(row: OrganizationRow): Promise<void> {
    await this.db.insertInto('organizations').values(row).execute();
  }

  async insertEnvironment(row: EnvironmentRow): Promise<void> {
    await this.db.insertInto('environments').values(row).execute();
  }

  async findSurfaceKey(
    surface: string,
    key: string,
  ): Promise<{ environment_id: string } | undefined> {
    return this.db
      .selectFrom('surface_keys')
      .select('environment_id')
      .where('surface', '=', surface)
      .where('key', '=', key)
      .executeTakeFirst();
  }

  findSurfaceKeys(
    environmentId: string,
  ): Promise<Array<{ surface: string; key: string; created_at: number }>> {
    return this.db
      .selectFrom('surface_keys')
      .select(['surface', 'key', 'created_at'])
      .where('environment_id', '=', environmentId)
      .orderBy('surface')
      .orderBy('key')
      .execute();
  }

  async insertSurfaceKey(
    surface: string,
    key: string,
    environmentId: string,
    at: number,
  ): Promise<void> {
    await this.db
      .insertInto('surface_keys')
      .values({ surface, key, environment_id: environmentId, created_at: at })
      .execute();
  }

  async deleteSurfaceKey(surface: string, key: string, environmentId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('surface_keys')
      .where('surface', '=', surface)
      .where('key', '=', key)
      .where('environment_id', '=', environmentId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async updateEnvironmentSettings(id: string, settings: string): Promise<void> {
    await this.db.updateTable('environments').set({ settings }).where('id', '=', id).execute();
  }
}
