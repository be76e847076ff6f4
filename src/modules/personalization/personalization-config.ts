/**
 * What one environment's published definitions compile to for the hot path
 * (PersonalizationService caches one per environment): the audiences' rules, the experiences, the
 * signals and consent purposes the rules read, and the environment's required consent, with the
 * rule it enforces.
 */
import type { AudienceRule, ConsentState, Signal } from '../../engine/audience-types.js';
import { consentPurposesOf } from '../../engine/consent-state.js';
import type { ExperienceDefinition } from '../../engine/experience-types.js';
import { signalsOf } from '../../engine/index.js';
import type { DefinitionRow } from './definition-store.js';

/** Published definitions of one environment, as the hot path needs them. */
export interface EnvironmentConfig {
  audiences: Array<{ id: string; rule: AudienceRule }>;
  /** Whether the environment has any audience at all, published or not. */
  hasAudiences: boolean;
  experiences: ExperienceDefinition[];
  signals: Signal[];
  /** Purposes the published audiences' consent conditions name (empty: consents never load). */
  consentPurposes: string[];
  /** The purpose experiences require granted (the environment's setting), re-read with `version`. */
  requiredConsent: string | null;
  /** Newest definition change seen, and when it was last checked. */
  version: number;
  checkedAt: number;
}

/** How often another process's definition changes are looked for. */
export const RECHECK_MS = 1000;

/**
 * The config of an environment from its audience rows (all of them, published or not) and its
 * published experience rows, as read at `version` and checked at `checkedAt`.
 */
export function environmentConfig(
  allAudiences: DefinitionRow[],
  experienceRows: DefinitionRow[],
  requiredConsent: string | null,
  version: number,
  checkedAt: number,
): EnvironmentConfig {
  const audienceRows = allAudiences.filter((row) => row.status === 'published');
  const audiences = audienceRows.map((row) => ({
    id: row.id,
    rule: JSON.parse(row.definition).rule,
  }));
  const signals = new Map<string, Signal>();
  const consentPurposes = new Set<string>();
  for (const audience of audiences) {
    for (const signal of signalsOf(audience.rule)) signals.set(signal.id, signal);
    for (const purpose of consentPurposesOf(audience.rule)) consentPurposes.add(purpose);
  }
  return {
    audiences,
    experiences: experienceRows.map((row) => ({
      ...JSON.parse(row.definition),
      id: row.id,
      status: row.status,
    })),
    signals: [...signals.values()],
    consentPurposes: [...consentPurposes],
    requiredConsent,
    hasAudiences: allAudiences.length > 0,
    version,
    checkedAt,
  };
}

/** True unless the environment requires a consent the profile has not granted. */
export function personalizationAllowed(
  config: EnvironmentConfig,
  consents: Record<string, ConsentState> | undefined,
): boolean {
  return config.requiredConsent === null || consents?.[config.requiredConsent] === 'granted';
}
