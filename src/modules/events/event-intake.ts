import { validateEvent } from '../../engine/index.js';
import type { CanonicalEvent } from '../../engine/types.js';
import { AppError, type ErrorIssue } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';

export interface IntakeOptions {
  receivedAt: number;
  /** Each event must name its own profile (batch endpoints), by profileId, userId or anonymousId. */
  requireProfileKey: boolean;
  /** Which page/screen rules apply: the Experience API's (default) or the Segment spec's. */
  rules?: 'experience' | 'tracking';
}

/**
 * The first step of ingestion for every surface: validates and normalizes raw events (types,
 * fields, clock skew, action names). All or nothing: one bad event rejects the request with
 * every problem listed by event index and field, and nothing is stored.
 */
export function prepareEvents(raws: unknown[], options: IntakeOptions): CanonicalEvent[] {
  const events: CanonicalEvent[] = [];
  const problems: ErrorIssue[] = [];
  raws.forEach((raw, index) => {
    const result = validateEvent(raw, index, {
      receivedAt: options.receivedAt,
      newId,
      rules: options.rules,
    });
    if (!result.ok) {
      problems.push(...result.issues);
      return;
    }
    const event = result.event;
    if (options.requireProfileKey && !event.profileId && !event.userId && !event.anonymousId) {
      problems.push({
        index,
        field: 'anonymousId',
        message: 'The event names no profile: set anonymousId, userId or profileId.',
      });
    }
    events.push(event);
  });
  if (problems.length > 0) {
    throw new AppError(
      'validation_failed',
      `${problems.length} problem(s) in the events.`,
      problems,
    );
  }
  return events;
}
