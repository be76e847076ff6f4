import { AppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import type { Storage } from '../../storage/storage.js';
import type { ConsentStore } from './consent-store.js';

export interface PolicyVersion {
  purpose: string;
  version: string;
  publishedAt: number;
}

const byPurpose = (a: PolicyVersion, b: PolicyVersion) =>
  a.purpose < b.purpose ? -1 : a.purpose > b.purpose ? 1 : 0;

/**
 * Consent policy versions per environment and purpose. Versions are opaque strings; the newest
 * published one is current, and a consent given under any other reads as needing renewal.
 */
export class ConsentPolicies {
  constructor(
    private readonly storage: Storage,
    private readonly store: ConsentStore,
  ) {}

  /** Publishes `version` as current (see ConsentService.publishPolicy). */
  publish(
    environmentId: string,
    purpose: string,
    version: string,
    at: number,
  ): Promise<{ policy: PolicyVersion; created: boolean }> {
    return this.storage.write(async (trx) => {
      const versions = await this.store.findPolicyVersion(trx, environmentId, purpose);
      const current = versions.at(-1);
      if (current?.version === version) return { policy: policyOf(current), created: false };
      if (versions.some((v) => v.version === version)) {
        throw new AppError(
          'conflict',
          `Version "${version}" of "${purpose}" was published before; publish a new version.`,
        );
      }
      const row = {
        id: newId(),
        environment_id: environmentId,
        purpose,
        version,
        published_at: at,
      };
      await this.store.insertPolicy(trx, row);
      return { policy: policyOf(row), created: true };
    });
  }

  /** The current version of every purpose that has one, sorted by purpose. */
  async list(environmentId: string): Promise<PolicyVersion[]> {
    const latest = new Map<string, PolicyVersion>();
    for (const row of await this.store.findPolicies(environmentId)) {
      latest.set(row.purpose, policyOf(row));
    }
    return [...latest.values()].sort(byPurpose);
  }

  /** Purpose → current version, for these purposes. */
  async currentVersions(environmentId: string, purposes: string[]): Promise<Map<string, string>> {
    const latest = new Map<string, string>();
    for (const row of await this.store.findPolicies(environmentId, purposes)) {
      latest.set(row.purpose, row.version);
    }
    return latest;
  }
}

function policyOf(row: { purpose: string; version: string; published_at: number }): PolicyVersion {
  return { purpose: row.purpose, version: row.version, publishedAt: Number(row.published_at) };
}
