import type { Transaction } from 'kysely';
import { identifiersOf } from '../../engine/index.js';
import type {
  CanonicalEvent,
  Identifier,
  ProfileState,
  ProfileSummary,
} from '../../engine/types.js';
import type { RowWrite } from '../../storage/row-writes.js';
import type { Database, EventsTable } from '../../storage/schema.js';
import type { MergeRecord } from './merge-store.js';
import type { ProfileRepository } from './profile-repository.js';

export interface IngestContext {
  environmentId: string;
  /** The surface the events came through (`native`, `segment`, …): kept as trait source. */
  source: string;
  /** Compute everything, persist nothing. */
  preflight?: boolean;
  /**
   * A public (browser) caller with a publishable key, in locked mode: it reaches only profiles
   * that key created, and never merges into an already-identified profile.
   */
  publicKeyId?: string;
}

/** What a caller asserts about the addressed profile besides its events. */
export interface ProfileClaims {
  /**
   * The profile's customId (a CRM's own key, set by an update). Attached when nobody holds it and
   * the profile has none; another profile's customId, or a second one, is `identity_conflict`:
   * like a userId, a customId never moves or changes silently.
   */
  customId?: string;
  /**
   * Writes of another module that stand or fall with the events (the alternate ids, tags and
   * groups of an upsert): run in the events' transaction, after the profile's own rows, with the
   * profile as the events left it. Throwing rolls the whole write back, events included. Not run
   * when no event is applied (all replays, or the person opted out).
   */
  alongside?: (trx: Transaction<Database>, profile: ProfileState) => Promise<void>;
}

/** Mutable state of one attempt at applying a group of events to one profile. */
export interface Work {
  state: ProfileState;
  /** null: the profile is new in this attempt. */
  version: number | null;
  newIdentifiers: Identifier[];
  merges: Array<{ record: MergeRecord; mergedVersion: number }>;
  eventRows: EventsTable[];
  /** Profiles loaded during this attempt, by id. */
  loaded: Map<string, { state: ProfileState; version: number }>;
  /** Rows of fold extensions (audience entries and exits), in the same transaction. */
  extraRows: RowWrite[];
  /** Other writes in the same transaction (webhook changes). */
  extraWrites: Array<(trx: Transaction<Database>) => Promise<void>>;
}

/** A public caller (publishable key) reaches only the profiles its key created. */
export function reachableBy(ctx: { publicKeyId?: string }, state: ProfileState): boolean {
  return ctx.publicKeyId === undefined || state.publicKeyId === ctx.publicKeyId;
}

export function startWork(state: ProfileState, version: number | null): Work {
  const work: Work = {
    state,
    version,
    newIdentifiers: [],
    merges: [],
    eventRows: [],
    loaded: new Map(),
    extraRows: [],
    extraWrites: [],
  };
  if (version !== null) work.loaded.set(state.id, { state, version });
  return work;
}

export function summaryOf(state: ProfileState): ProfileSummary {
  const summary: ProfileSummary = { id: state.id, createdAt: state.metadata.createdAt };
  for (const { type, value } of state.identifiers) {
    if (type === 'userId') summary.userId = value;
    else if (type === 'customId') summary.customId ??= value;
  }
  return summary;
}

export function hasIdentifier(state: ProfileState, identifier: Identifier): boolean {
  return state.identifiers.some((i) => i.type === identifier.type && i.value === identifier.value);
}

/** The identifiers an event claims, plus (for alias) the previous id under either type. */
export function claimsOf(event: CanonicalEvent): Identifier[] {
  const claims = identifiersOf(event);
  if (event.type === 'alias' && event.previousId) {
    claims.push({ type: 'anonymousId', value: event.previousId });
    claims.push({ type: 'userId', value: event.previousId });
  }
  return claims;
}

/** Adds an identifier to the profile being written (stored with the attempt's write). */
export function attach(work: Work, identifier: Identifier): void {
  if (hasIdentifier(work.state, identifier)) return;
  work.state = { ...work.state, identifiers: [...work.state.identifiers, identifier] };
  work.newIdentifiers.push(identifier);
}

/** A live (not merged-away) profile, read once per attempt. */
export async function loadProfile(
  repo: ProfileRepository,
  work: Work | null,
  environmentId: string,
  id: string,
) {
  const cached = work?.loaded.get(id);
  if (cached) return cached;
  const stored = await repo.profiles.findById(environmentId, id);
  if (!stored || stored.mergedInto !== null) return undefined;
  const entry = { state: stored.state, version: stored.version };
  work?.loaded.set(id, entry);
  return entry;
}
