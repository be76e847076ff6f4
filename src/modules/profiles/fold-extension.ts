import type { Transaction } from 'kysely';
import type { CanonicalEvent, ProfileState } from '../../engine/types.js';
import type { RowWrite } from '../../storage/row-writes.js';
import type { Database } from '../../storage/schema.js';

/**
 * Work another module adds to the fold of events into a profile (audiences: counters per event,
 * memberships after the events), without the profiles module knowing about it.
 */
export interface FoldExtension {
  /** null when the environment needs nothing extra (the common case costs nothing). */
  forEnvironment(environmentId: string): Promise<EnvironmentFold | null>;
  /** Erases what the extension keeps about these profiles (deletion, opt-out). */
  erase(trx: Transaction<Database>, profileIds: string[]): Promise<void>;
  /** Rows kept about these profiles, per store (erasure checklists). */
  countPersonalData(profileIds: string[]): Promise<Record<string, number>>;
  /** Everything kept about these profiles (access requests). */
  exportPersonalData(environmentId: string, profileIds: string[]): Promise<Record<string, unknown>>;
}

export interface EnvironmentFold {
  /** After each event is folded: a new state (pure). */
  afterEvent(state: ProfileState, event: CanonicalEvent): ProfileState;
  /**
   * After all events of an attempt (or after a change outside the fold, such as a consent, with
   * no events): the final state, and rows to write in the same transaction. Asynchronous because
   * it may read what other modules keep about the profile (consents).
   */
  afterEvents(state: ProfileState): Promise<{ state: ProfileState; rows?: RowWrite }>;
}
