import type { Kysely } from 'kysely';
import { audienceConsents, latestPerKey } from '../../engine/consent-state.js';
import type { ConsentRecord, ConsentState } from '../../engine/consent-types.js';
import type { Database } from '../../storage/schema.js';
import { ConsentStore } from './consent-store.js';

/**
 * What other modules read of consents on their hot paths. Personalization passes the result to
 * audience rules as `AudienceContext.consents`.
 */
export interface ConsentStatesReader {
  /**
   * Per purpose among `purposes`, the state of the person-level consent of a profile (give the
   * profile's id and its `mergedIds`) as it holds at `now`: expired consents are left out (not
   * given), as are consents attached to a contact, device, application or preference. One indexed
   * query; it never writes (the lapse of an expired consent is recorded by the consent API).
   */
  consentStatesFor(
    environmentId: string,
    profileIds: string[],
    purposes: string[],
    now: number,
  ): Promise<Record<string, ConsentState>>;
}

/** {@link ConsentStatesReader} over the consent tables. */
export class ConsentReader implements ConsentStatesReader {
  private readonly store: ConsentStore;

  constructor(db: Kysely<Database>) {
    this.store = new ConsentStore(db);
  }

  async consentStatesFor(
    environmentId: string,
    profileIds: string[],
    purposes: string[],
    now: number,
  ): Promise<Record<string, ConsentState>> {
    if (purposes.length === 0) return {};
    const rows = await this.store.findCurrent(environmentId, profileIds, 'consent', {
      subjects: purposes,
      target: 'person',
    });
    return audienceConsents(latestPerKey(rows.map((r) => r.record as ConsentRecord)), now);
  }
}
