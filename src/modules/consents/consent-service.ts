import type { Transaction } from 'kysely';
import { consentView, marketingChannels, preferenceView } from '../../engine/consent-state.js';
import type {
  ConsentRecord,
  ConsentView,
  MarketingChannel,
  PreferenceRecord,
  PreferenceView,
} from '../../engine/consent-types.js';
import {
  type ConsentChange,
  consentRecordOf,
  type PreferenceChange,
  preferenceRecordOf,
} from '../../engine/consent-validate.js';
import type { Database } from '../../storage/schema.js';
import type { Storage } from '../../storage/storage.js';
import type { ChangeRecorder } from '../webhooks/change-types.js';
import type { ProfileWriteGuard } from './consent-guard.js';
import { ConsentLedger, treeOf } from './consent-ledger.js';
import { ConsentPolicies, type PolicyVersion } from './consent-policies.js';
import { ConsentStore, type DataPointKind, type HistoryRow } from './consent-store.js';

/** The profile a consent belongs to: its id and the ids merged into it (a `ProfileState` fits). */
export interface ConsentSubject {
  id: string;
  mergedIds?: readonly string[];
}

export interface HistoryFilter {
  /** Purpose (consents) or topic (preferences). */
  subject?: string;
  /** Attachment key (consents) or channel (preferences). */
  target?: string;
  after?: string;
  limit: number;
}

export interface HistoryPage {
  entries: HistoryRow[];
  /** The cursor of the next page (null: this was the last). */
  next: string | null;
}

/** History entries an access export returns per kind. */
const EXPORT_LIMIT = 100_000;

const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Consents and preferences with their full history. Every change appends a history entry and
 * replaces the data point's current row in the same transaction. Expiry is derived from the
 * clock on every read; the lapse itself is recorded (once, dated at the expiry) by the next read
 * or write of this service that sees it — reads of current state or history, writes to the same
 * data point, `marketingChannels` — never by the personalization hot path.
 */
export class ConsentService {
  private readonly store: ConsentStore;
  /** The clock changes are recorded with (validation checks expiries against it too). */
  readonly now: () => number;
  private readonly ledger: ConsentLedger;
  private readonly policies: ConsentPolicies;
  private readonly afterConsentChange?: (environmentId: string, profileId: string) => Promise<void>;

  constructor(
    storage: Storage,
    options: {
      now?: () => number;
      guard?: ProfileWriteGuard;
      /** Records `consent.changed` / `preference.changed` in the same transaction (webhooks). */
      changes?: ChangeRecorder;
      /**
       * Called after a consent change is committed (outside the profile's write slot), so that
       * audience memberships that test consent follow it (see MembershipRefresh).
       */
      afterConsentChange?: (environmentId: string, profileId: string) => Promise<void>;
    } = {},
  ) {
    this.store = new ConsentStore(storage.db);
    this.policies = new ConsentPolicies(storage, this.store);
    this.now = options.now ?? Date.now;
    this.ledger = new ConsentLedger(
      storage,
      this.store,
      this.now,
      options.guard ?? ((_env, _id, write) => storage.write(write)),
      options.changes ?? null,
    );
    this.afterConsentChange = options.afterConsentChange;
  }

  /** Records a consent change (validated by the engine's `validateConsentChange`). */
  async setConsent(
    environmentId: string,
    profile: ConsentSubject,
    change: ConsentChange & { purpose: string },
  ): Promise<ConsentView> {
    const record = (await this.ledger.write(environmentId, profile, (at) =>
      consentRecordOf(change, at),
    )) as ConsentRecord;
    await this.afterConsentChange?.(environmentId, profile.id);
    const policies = await this.policies.currentVersions(environmentId, [record.purpose]);
    return consentView(record, policies.get(record.purpose) ?? null, record.at);
  }

  /** Records a preference change (validated by the engine's `validatePreferenceChange`). */
  async setPreference(
    environmentId: string,
    profile: ConsentSubject,
    change: PreferenceChange & { topic: string; channel: string },
  ): Promise<PreferenceView> {
    const record = await this.ledger.write(environmentId, profile, (at) =>
      preferenceRecordOf(change, at),
    );
    return preferenceView(record as PreferenceRecord, record.at);
  }

  /** Current consents, sorted by purpose and data point. */
  async listConsents(
    environmentId: string,
    profile: ConsentSubject,
    filter: { purpose?: string; dataPoint?: string } = {},
  ): Promise<ConsentView[]> {
    const now = this.now();
    const records = (await this.ledger.current(environmentId, profile, 'consent', now, {
      subject: filter.purpose,
      target: filter.dataPoint,
    })) as ConsentRecord[];
    const policies = await this.policies.currentVersions(environmentId, [
      ...new Set(records.map((r) => r.purpose)),
    ]);
    return records
      .map((r) => consentView(r, policies.get(r.purpose) ?? null, now))
      .sort((a, b) => byKey(a.purpose, b.purpose) || byKey(a.dataPoint, b.dataPoint));
  }

  /** Current preferences, sorted by topic and channel. */
  async listPreferences(
    environmentId: string,
    profile: ConsentSubject,
    filter: { topic?: string; channel?: string } = {},
  ): Promise<PreferenceView[]> {
    const now = this.now();
    const records = (await this.ledger.current(environmentId, profile, 'preference', now, {
      subject: filter.topic,
      target: filter.channel,
    })) as PreferenceRecord[];
    return records
      .map((r) => preferenceView(r, now))
      .sort((a, b) => byKey(a.topic, b.topic) || byKey(a.channel, b.channel));
  }

  /**
   * The 002 document's `marketingPreferences.channels` for a profile: one entry per channel with
   * any preference, subscribed when any of its topics is (expired subscriptions are not).
   */
  async marketingChannels(
    environmentId: string,
    profile: ConsentSubject,
  ): Promise<MarketingChannel[]> {
    const now = this.now();
    const records = await this.ledger.current(environmentId, profile, 'preference', now, {});
    return marketingChannels(records as PreferenceRecord[], now);
  }

  /** History entries of one kind, in the order they were recorded, a page at a time. */
  async history(
    environmentId: string,
    profile: ConsentSubject,
    kind: DataPointKind,
    filter: HistoryFilter,
  ): Promise<HistoryPage> {
    // Lapses that are due are recorded first, so the history shows them.
    await this.ledger.current(environmentId, profile, kind, this.now(), filter);
    const entries = await this.store.findHistory({
      environmentId,
      profileIds: treeOf(profile),
      kind,
      subject: filter.subject,
      target: filter.target,
      afterId: filter.after,
      limit: filter.limit + 1,
    });
    const page = entries.slice(0, filter.limit);
    return { entries: page, next: entries.length > filter.limit ? page.at(-1)!.id : null };
  }

  /**
   * Publishes a purpose's new policy version. Consents given under another version read as
   * `needsRenewal` from now on. Publishing the current version again changes nothing
   * (`created: false`); a version published before is refused: versions never go back.
   */
  publishPolicy(
    environmentId: string,
    purpose: string,
    version: string,
  ): Promise<{ policy: PolicyVersion; created: boolean }> {
    return this.policies.publish(environmentId, purpose, version, this.now());
  }

  /** The current policy version of every purpose that has one, sorted by purpose. */
  listPolicies(environmentId: string): Promise<PolicyVersion[]> {
    return this.policies.list(environmentId);
  }

  /** Erases every consent and preference row of these profiles (deletion, opt-out). */
  erase(trx: Transaction<Database>, profileIds: string[]): Promise<void> {
    return this.store.deleteByProfiles(trx, profileIds);
  }

  /** Rows kept about these profiles, per table (erasure checklists). */
  countPersonalData(profileIds: string[]): Promise<Record<string, number>> {
    return this.store.countByProfiles(profileIds);
  }

  /** Every consent and preference entry of these profiles, oldest first (access requests). */
  async exportPersonalData(
    environmentId: string,
    profileIds: string[],
  ): Promise<Record<string, unknown>> {
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    const entries = async (kind: DataPointKind) =>
      (await this.store.findHistory({ environmentId, profileIds, kind, limit: EXPORT_LIMIT })).map(
        (e) => ({
          id: e.id,
          change: e.change,
          at: iso(e.at),
          recordedAt: iso(e.recordedAt),
          record: {
            ...e.record,
            at: iso(e.record.at),
            expiresAt: iso(e.record.expiresAt),
            lapsedAt: iso(e.record.lapsedAt),
          },
        }),
      );
    return {
      consentHistory: await entries('consent'),
      preferenceHistory: await entries('preference'),
    };
  }
}
