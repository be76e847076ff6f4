import type { DataPointRecord } from '../../engine/consent-types.js';
import type { ChangeInput } from './change-types.js';

/**
 * The change event of one consent or preference history entry: purpose and state, or topic,
 * channel and subscription; never the attachment (it may hold an email address or a phone). A
 * lapse states what holds from then on, as reads do (`expired`, not subscribed), not what the
 * lapsed record had recorded: it is the event that tells a receiver to stop.
 */
export function dataPointChange(
  profileId: string,
  change: 'set' | 'lapsed',
  record: DataPointRecord,
): ChangeInput {
  if (record.kind === 'consent') {
    return {
      type: 'consent.changed',
      profileId,
      payload: {
        purpose: record.purpose,
        state: change === 'lapsed' ? 'expired' : record.state,
        policyVersion: record.policyVersion,
        change,
      },
    };
  }
  return {
    type: 'preference.changed',
    profileId,
    payload: {
      topic: record.topic,
      channel: record.channel,
      subscribed: change === 'lapsed' ? false : record.subscribed,
      change,
    },
  };
}
