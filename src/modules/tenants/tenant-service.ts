import type { Kysely } from 'kysely';
import { AppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import { isUniqueViolation } from '../../storage/errors.js';
import type { Database } from '../../storage/schema.js';
import { type EnvironmentRow, type OrganizationRow, TenantStore } from './tenant-store.js';

/** Dialects whose URLs name an environment by a key of their own. */
export const SURFACE_NAMES = ['mypreferences', 'profiles-read', 'profile-command'] as const;
export type SurfaceName = (typeof SURFACE_NAMES)[number];

/**
 * Per-environment settings. `publicAccess` governs the Experience API's browser callers, which
 * send no credential: `open` (the default, as the vendor's service) lets whoever holds a profile
 * id read and update it; `locked` requires a publishable key in place of the organization id,
 * lets a key reach only the profiles it created, and never lets a public caller merge into an
 * already-identified profile.
 */
export interface EnvironmentSettings {
  publicAccess: 'open' | 'locked';
  /**
   * A consent purpose: profiles without it granted (person-level, unexpired) get no experiences
   * and keep no sticky variants. null or absent (the default): personalization does not depend
   * on consent.
   */
  personalizationRequiresConsent?: string | null;
  /**
   * A consent purpose: change events about a profile without it granted (person-level,
   * unexpired) are neither recorded nor delivered. Changes tied to no profile (opt-out, erasure
   * notices) and changes of that consent itself still go. null or absent (the default): webhooks
   * do not depend on consent.
   */
  webhooksRequireConsent?: string | null;
}

export const DEFAULT_ENVIRONMENT_SETTINGS: EnvironmentSettings = { publicAccess: 'open' };

export function settingsOf(row: EnvironmentRow): EnvironmentSettings {
  return {
    ...DEFAULT_ENVIRONMENT_SETTINGS,
    ...(JSON.parse(row.settings) as Partial<EnvironmentSettings>),
  };
}

export const DEFAULT_ORGANIZATION_SLUG = 'default';
export const DEFAULT_ENVIRONMENT_SLUG = 'main';

export interface Tenant {
  organization: OrganizationRow;
  environment: EnvironmentRow;
}

/** Organizations and their environments: every piece of data belongs to one environment. */
/**
 * How long a tenant found by slugs is reused. Paths that name a tenant by slugs (the Experience
 * API) look it up on every request; a change made in this process clears the cache at once,
 * one made in another process is seen within this time.
 */
const TENANT_TTL_MS = 1000;

export class TenantService {
  private readonly store: TenantStore;
  private readonly tenants = new Map<string, { tenant: Tenant; at: number }>();

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
    // Only tenants found are kept: one created meanwhile is found on the next request.
    const key = `${organizationSlug}/${environmentSlug}`;
    const cached = this.tenants.get(key);
    const now = Date.now();
    if (cached && now - cached.at < TENANT_TTL_MS) return cached.tenant;
    const tenant = await this.findTenantUncached(organizationSlug, environmentSlug);
    if (tenant) this.tenants.set(key, { tenant, at: now });
    else this.tenants.delete(key);
    return tenant;
  }

  private async findTenantUncached(
    organizationSlug: string,
    environmentSlug: string,
  ): Promise<Tenant | undefined> {
    const organization = await this.store.findOrganizationBySlug(organizationSlug);
    if (!organization) return undefined;
    const environment = await this.store.findEnvironmentBySlug(organization.id, environmentSlug);
    return environment ? { organization, environment } : undefined;
  }

  findEnvironmentById(id: string): Promise<EnvironmentRow | undefined> {
    return this.store.findEnvironmentById(id);
  }

  /** The environment a dialect's path key names, or undefined when it names none. */
  async resolveSurfaceKey(surface: SurfaceName, key: string): Promise<string | undefined> {
    return (await this.store.findSurfaceKey(surface, key))?.environment_id;
  }

  /**
   * Binds a dialect's path key to an environment. A key already bound to another environment
   * is refused: one key never names two tenants.
   */
  async bindSurfaceKey(environmentId: string, surface: SurfaceName, key: string): Promise<void> {
    checkSurfaceKey(surface, key);
    const existing = await this.store.findSurfaceKey(surface, key);
    if (existing?.environment_id === environmentId) return;
    if (existing)
      throw new AppError('conflict', 'That key is already bound to another environment.');
    try {
      await this.store.insertSurfaceKey(surface, key, environmentId, Date.now());
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Bound meanwhile: by a request like this one (done, as a repeat is), or to another.
      const bound = await this.store.findSurfaceKey(surface, key);
      if (bound?.environment_id === environmentId) return;
      throw new AppError('conflict', 'That key is already bound to another environment.');
    }
  }

  async unbindSurfaceKey(environmentId: string, surface: SurfaceName, key: string): Promise<void> {
    if (!(await this.store.deleteSurfaceKey(surface, key, environmentId))) {
      throw new AppError('not_found', 'No such key in this environment.');
    }
  }

  async listSurfaceKeys(environmentId: string) {
    return (await this.store.findSurfaceKeys(environmentId)).map((k) => ({
      surface: k.surface,
      key: k.key,
      createdAt: Number(k.created_at),
    }));
  }

  /** The environment with its organization and settings. */
  async describeEnvironment(environmentId: string) {
    const environment = await this.store.findEnvironmentById(environmentId);
    if (!environment) throw new AppError('not_found');
    return { id: environment.id, slug: environment.slug, settings: settingsOf(environment) };
  }

  async updateSettings(
    environmentId: string,
    patch: Partial<EnvironmentSettings>,
  ): Promise<EnvironmentSettings> {
    const environment = await this.store.findEnvironmentById(environmentId);
    if (!environment) throw new AppError('not_found');
    const settings = { ...settingsOf(environment), ...patch };
    await this.store.updateEnvironmentSettings(environmentId, JSON.stringify(settings));
    this.tenants.clear();
    return settings;
  }
}

/**
 * A key as its dialect's paths carry it: the profiles read API's `clientId/accountId/brandId`
 * (three segments), otherwise one path segment. Another shape could be bound but never reached.
 */
function checkSurfaceKey(surface: SurfaceName, key: string): void {
  const segments = key.split('/');
  const expected = surface === 'profiles-read' ? 3 : 1;
  if (segments.length === expected && segments.every((s) => s.trim() !== '')) return;
  throw new AppError('validation_failed', "That key cannot appear in the dialect's paths.", [
    {
      field: 'params.key',
      message:
        expected === 3
          ? 'must be clientId/accountId/brandId: three non-blank parts'
          : 'must be one non-blank path segment (no /)',
    },
  ]);
}
