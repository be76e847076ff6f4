import type { Kysely } from 'kysely';
import { newId } from '../../lib/ids.js';
import type { Database } from '../../storage/schema.js';
import { type EnvironmentRow, type OrganizationRow, TenantStore } from './tenant-store.js';

export const DEFAULT_ORGANIZATION_SLUG = 'default';
export const DEFAULT_ENVIRONMENT_SLUG = 'main';

export interface Tenant {
  organization: OrganizationRow;
  environment: EnvironmentRow;
}

/** Organizations and their environments: every piece of data belongs to one environment. */
export class TenantService {
  private readonly store: TenantStore;

  constructor(db: Kysely<Database>) {
    this.store = new TenantStore(db);
  }

  /**
   * Finds `org/env` by slugs, creating whichever is missing. `created` tells whether the
   * environment is new (the CLI prints a first admin key only then).
   */
  async ensureTenant(
    organizationSlug = DEFAULT_ORGANIZATION_SLUG,
    environmentSlug = DEFAULT_ENVIRONMENT_SLUG,
  ): Promise<Tenant & { created: boolean }> {
    const now = Date.now();
    let organization = await this.store.findOrganizationBySlug(organizationSlug);
    if (!organization) {
      organization = {
        id: newId(),
        slug: organizationSlug,
        name: organizationSlug,
        created_at: now,
      };
      await this.store.insertOrganization(organization);
    }
    let environment = await this.store.findEnvironmentBySlug(organization.id, environmentSlug);
    if (environment) return { organization, environment, created: false };
    environment = {
      id: newId(),
      organization_id: organization.id,
      slug: environmentSlug,
      name: environmentSlug,
      settings: '{}',
      created_at: now,
    };
    await this.store.insertEnvironment(environment);
    return { organization, environment, created: true };
  }

  /** Looks up an environment by organization and environment slug. */
  async findTenant(organizationSlug: string, environmentSlug: string): Promise<Tenant | undefined> {
    const organization = await this.store.findOrganizationBySlug(organizationSlug);
    if (!organization) return undefined;
    const environment = await this.store.findEnvironmentBySlug(organization.id, environmentSlug);
    return environment ? { organization, environment } : undefined;
  }

  findEnvironmentById(id: string): Promise<EnvironmentRow | undefined> {
    return this.store.findEnvironmentById(id);
  }
}
