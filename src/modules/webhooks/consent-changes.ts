import type { DataPointRecord } from '../../engine/consent-types.js';
import type { ChangeInput } from './change-types.js';

/**
 * The change event of one consent or preference history entry: purpose and state, or topic,
 * channel and subscription; never the attachment (it may hold an email address or a phone).
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
        state: record.state,
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
      subscribed: record.subscribed,
      change,
    },
  };
}
