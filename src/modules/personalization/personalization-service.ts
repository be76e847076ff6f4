import type { Kysely, Transaction } from 'kysely';
import type { AudienceResult } from '../../engine/audience-evaluate.js';
import type { ConsentState } from '../../engine/audience-types.js';
import type { ExperienceStep } from '../../engine/experience-types.js';
import {
  evaluateAudiences,
  matchAudiences,
  selectExperiences,
  updateSignals,
} from '../../engine/index.js';
import type { CanonicalEvent, ProfileState } from '../../engine/types.js';
import { newId } from '../../lib/ids.js';
import { SingleFlight } from '../../lib/single-flight.js';
import type { AudienceEventsTable, Database } from '../../storage/schema.js';
import type { ConsentStatesReader } from '../consents/consent-reader.js';
import type { EnvironmentFold, FoldExtension } from '../profiles/fold-extension.js';
import { DefinitionStore } from './definition-store.js';
import type { Personalization, PersonalizationApi } from './personalization-api.js';
import {
  type EnvironmentConfig,
  environmentConfig,
  personalizationAllowed,
  RECHECK_MS,
} from './personalization-config.js';

export interface Explanation {
  audiences: Record<string, AudienceResult>;
  experiences: ExperienceStep[];
  selection: Personalization;
}

/**
 * Audiences and experiences on the hot path. Published definitions are cached per environment
 * (re-checked every second, dropped at once on a local change). As events are folded, the
 * counters audience rules read are kept up to date in the profile document; after a write the
 * audiences are evaluated and entries/exits logged in the same transaction. Reads evaluate again
 * at read time, so time windows hold without a new event.
 */
export class PersonalizationService implements PersonalizationApi, FoldExtension {
  private readonly store: DefinitionStore;
  private readonly cache = new Map<string, EnvironmentConfig>();
  private readonly loads = new SingleFlight<EnvironmentConfig>();
  /**
   * The audience results computed after a write, by the state object they were computed for
   * (and when): a write answered with personalization (the Experience API) would otherwise
   * evaluate every audience twice, a few milliseconds apart. The profile cache keeps that object
   * for later requests, which evaluate again once the results are older than the definitions may
   * be (time windows move on without a new event). Weak: nothing outlives its document.
   */
  private readonly evaluated = new WeakMap<
    ProfileState,
    { config: EnvironmentConfig; memberships: Record<string, boolean>; at: number }
  >();

  constructor(
    db: Kysely<Database>,
    private readonly now: () => number = Date.now,
    /** The consent states audience rules test (read through the consents module). */
    private readonly consents: ConsentStatesReader | null = null,
    /** The environment's `personalizationRequiresConsent` setting (tenants module). */
    private readonly requiredConsentOf: (
      environmentId: string,
    ) => Promise<string | null> = async () => null,
  ) {
    this.store = new DefinitionStore(db);
  }

  /** Called by the definition service after each change in this process. */
  invalidate(environmentId: string): void {
    this.cache.delete(environmentId);
    this.loads.forget(environmentId);
  }

  async personalize(
    environmentId: string,
    profile: ProfileState,
    now = this.now(),
  ): Promise<Personalization> {
    const config = await this.config(environmentId);
    const consents = await this.consentsOf(environmentId, config, profile, now);
    // Consents are read only here, so results of the write are reused only without them.
    const known = consents === undefined ? this.evaluated.get(profile) : undefined;
    const fresh = known?.config === config && now >= known.at && now - known.at < RECHECK_MS;
    const memberships = fresh ? known.memberships : this.match(config, profile, now, consents);
    return this.select(config, profile, memberships, consents).selection;
  }

  /** Every audience's result with its trace, and every experience step, for one profile. */
  async explain(
    environmentId: string,
    profile: ProfileState,
    now = this.now(),
  ): Promise<Explanation> {
    const config = await this.config(environmentId);
    const consents = await this.consentsOf(environmentId, config, profile, now);
    const results = evaluateAudiences(config.audiences, this.context(profile, now, consents));
    const memberships = Object.fromEntries(
      Object.entries(results).map(([id, r]) => [id, r.result]),
    );
    const { explain, selection } = this.select(config, profile, memberships, consents);
    return { audiences: results, experiences: explain, selection };
  }

  private select(
    config: EnvironmentConfig,
    profile: ProfileState,
    memberships: Record<string, boolean>,
    consents: Record<string, ConsentState> | undefined,
  ): { explain: ExperienceStep[]; selection: Personalization } {
    // Without the consent the environment requires, every experience shows its baseline.
    const selected = personalizationAllowed(config, consents)
      ? selectExperiences(config.experiences, {
          stableId: profile.id,
          audiences: memberships,
          sticky: profile.stickyVariants,
        })
      : { experiences: [], changes: [], explain: [] };
    return {
      explain: selected.explain,
      selection: {
        audiences: Object.keys(memberships).filter((id) => memberships[id]),
        experiences: selected.experiences,
        changes: selected.changes,
      },
    };
  }

  async forEnvironment(environmentId: string): Promise<EnvironmentFold | null> {
    const config = await this.config(environmentId);
    // Environments without audiences skip the work; one whose audiences were unpublished still
    // evaluates, so that profiles' stored memberships exit.
    if (!config.hasAudiences && config.requiredConsent === null) return null;
    return {
      afterEvent: (state: ProfileState, event: CanonicalEvent) =>
        config.signals.length === 0
          ? state
          : {
              ...state,
              signals: updateSignals(state.signals ?? {}, event, config.signals, this.now()),
            },
      afterEvents: async (state: ProfileState) => {
        const at = this.now();
        // As at read time: the lookup only where a published audience tests consent.
        const consents = await this.consentsOf(environmentId, config, state, at);
        const memberships = this.match(config, state, at, consents);
        const now = Object.keys(memberships)
          .filter((id) => memberships[id])
          .sort();
        const before = new Set(state.audiences ?? []);
        const rows: AudienceEventsTable[] = [];
        for (const id of now) if (!before.delete(id)) rows.push(this.row(state, id, 'entered', at));
        for (const id of before) rows.push(this.row(state, id, 'exited', at));
        // No consent, no stored assignment: sticky variants are dropped (see the setting).
        const sticky =
          personalizationAllowed(config, consents) || Object.keys(state.stickyVariants).length === 0
            ? state.stickyVariants
            : {};
        const after = { ...state, audiences: now, stickyVariants: sticky };
        this.evaluated.set(after, { config, memberships, at });
        return {
          state: after,
          rows: rows.length === 0 ? undefined : this.store.audienceEventRows(rows),
        };
      },
    };
  }

  /** Entries and exits of a profile (and of the profiles merged into it), oldest first. */
  async membershipLog(environmentId: string, profileIds: string[]) {
    const rows = await this.store.findAudienceEvents(environmentId, profileIds);
    return rows.map((r) => ({
      audienceId: r.audience_id,
      kind: r.kind,
      at: Number(r.at),
      profileId: r.profile_id,
    }));
  }

  async countPersonalData(profileIds: string[]): Promise<Record<string, number>> {
    return { audience_events: await this.store.countAudienceEvents(profileIds) };
  }

  async exportPersonalData(
    environmentId: string,
    profileIds: string[],
  ): Promise<Record<string, unknown>> {
    const log = await this.membershipLog(environmentId, profileIds);
    return { audienceLog: log.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) };
  }

  /** Removes a profile's membership log (profile deletion and opt-out). */
  erase(trx: Transaction<Database>, profileIds: string[]): Promise<void> {
    return this.store.deleteAudienceEvents(trx, profileIds);
  }

  /** Only environments whose published audiences test consent pay for the lookup. */
  private async consentsOf(
    environmentId: string,
    config: EnvironmentConfig,
    profile: ProfileState,
    now: number,
  ): Promise<Record<string, ConsentState> | undefined> {
    const purposes =
      config.requiredConsent === null || config.consentPurposes.includes(config.requiredConsent)
        ? config.consentPurposes
        : [...config.consentPurposes, config.requiredConsent];
    if (purposes.length === 0 || !this.consents) return undefined;
    return this.consents.consentStatesFor(
      environmentId,
      [profile.id, ...profile.mergedIds],
      purposes,
      now,
    );
  }

  private match(
    config: EnvironmentConfig,
    profile: ProfileState,
    now: number,
    consents?: Record<string, ConsentState>,
  ): Record<string, boolean> {
    return matchAudiences(config.audiences, this.context(profile, now, consents));
  }

  private context(profile: ProfileState, now: number, consents?: Record<string, ConsentState>) {
    return { state: profile, signals: profile.signals ?? {}, now, consents };
  }

  private row(
    state: ProfileState,
    audienceId: string,
    kind: 'entered' | 'exited',
    at: number,
  ): AudienceEventsTable {
    return {
      id: newId(),
      environment_id: state.environmentId,
      profile_id: state.id,
      audience_id: audienceId,
      kind,
      at,
    };
  }

  private config(environmentId: string): Promise<EnvironmentConfig> {
    const cached = this.cache.get(environmentId);
    if (cached && this.now() - cached.checkedAt < RECHECK_MS) return Promise.resolve(cached);
    return this.loads.run(environmentId, () => this.load(environmentId, cached));
  }

  /** Checks the environment's definitions and setting again; reads them when they changed. */
  private async load(
    environmentId: string,
    cached: EnvironmentConfig | undefined,
  ): Promise<EnvironmentConfig> {
    const now = this.now();
    // The setting is re-read as often as the definitions (another process may change it).
    const requiredConsent = await this.requiredConsentOf(environmentId);
    const version = await this.store.lastChange(environmentId);
    if (cached && cached.version === version) {
      cached.checkedAt = now;
      cached.requiredConsent = requiredConsent;
      return cached;
    }
    const allAudiences = await this.store.findAll('audiences', environmentId);
    const experienceRows = await this.store.findAll('experiences', environmentId, 'published');
    const config = environmentConfig(allAudiences, experienceRows, requiredConsent, version, now);
    this.cache.set(environmentId, config);
    return config;
  }
}
