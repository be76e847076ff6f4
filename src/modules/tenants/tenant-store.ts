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
}
