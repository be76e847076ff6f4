/**
 * Event-time correction. Device clocks are wrong by minutes to years; Segment's approach is to
 * trust the *difference* between two readings of the same device clock (when the event happened,
 * when the batch was sent) and anchor it on our own clock (when we received it):
 * `timestamp = receivedAt − (sentAt − clientTime)`. Everything here is pure: receivedAt comes in.
 */

import { parseIsoTime } from './iso-time.js';
import { MAX_FUTURE_SKEW_MS } from './types.js';

/** Times before this are treated as garbage (typically epoch seconds sent as milliseconds). */
export const MIN_VALID_TIME_MS = Date.UTC(2000, 0, 1);
/** Upper bound of what we parse at all (year 10000); the future clamp handles the rest. */
const MAX_VALID_TIME_MS = Date.UTC(10000, 0, 1);

/** Input of {@link correctTimestamp}: the client's clock readings as sent. */
export interface ClockReadings {
  timestamp?: unknown;
  originalTimestamp?: unknown;
  sentAt?: unknown;
}

/** Output of {@link correctTimestamp}. */
export interface CorrectedTime {
  timestamp: number;
  warnings: string[];
}

/**
 * Parses a client time: an ISO-8601 string or epoch milliseconds. Returns NaN for anything else,
 * including dates before 2000 (epoch seconds, zeroed clocks), so callers treat them as garbage.
 */
export function parseClientTime(value: unknown): number {
  let ms = Number.NaN;
  if (typeof value === 'string') ms = parseIsoTime(value);
  else if (typeof value === 'number' && Number.isFinite(value)) ms = Math.round(value);
  if (Number.isNaN(ms) || ms < MIN_VALID_TIME_MS || ms >= MAX_VALID_TIME_MS) return Number.NaN;
  return ms;
}

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/**
 * Computes an event's time from the client's clock readings and our receive time.
 *
 * - client time = `timestamp`, else `originalTimestamp` (a garbage `timestamp` falls back to a
 *   valid `originalTimestamp`, with a warning);
 * - with a valid `sentAt`: `receivedAt − (sentAt − clientTime)`; an invalid `sentAt` is ignored;
 * - missing/unparseable client time → `receivedAt`;
 * - more than {@link MAX_FUTURE_SKEW_MS} after `receivedAt` → clamped to `receivedAt`.
 *
 * Every correction is reported in `warnings` (they are kept on the event for the client).
 */
export function correctTimestamp(input: ClockReadings, receivedAt: number): CorrectedTime {
  const warnings: string[] = [];
  let clientTime = Number.NaN;
  if (isPresent(input.timestamp)) {
    clientTime = parseClientTime(input.timestamp);
    if (Number.isNaN(clientTime)) {
      const fallback = isPresent(input.originalTimestamp)
        ? parseClientTime(input.originalTimestamp)
        : Number.NaN;
      if (Number.isNaN(fallback)) {
        return { timestamp: receivedAt, warnings: ['timestamp unparseable; receivedAt used'] };
      }
      warnings.push('timestamp unparseable; originalTimestamp used');
      clientTime = fallback;
    }
  } else if (isPresent(input.originalTimestamp)) {
    clientTime = parseClientTime(input.originalTimestamp);
    if (Number.isNaN(clientTime)) {
      return {
        timestamp: receivedAt,
        warnings: ['originalTimestamp unparseable; receivedAt used'],
      };
    }
  } else {
    return { timestamp: receivedAt, warnings: ['timestamp missing; receivedAt used'] };
  }

  let timestamp = clientTime;
  if (isPresent(input.sentAt)) {
    const sentAt = parseClientTime(input.sentAt);
    if (Number.isNaN(sentAt)) {
      warnings.push('sentAt unparseable; ignored');
    } else {
      const corrected = receivedAt - (sentAt - clientTime);
      // A huge sentAt − timestamp gap can only come from a broken clock; don't invent a date
      // from before the epoch we accept, keep the client's own reading instead.
      if (corrected < MIN_VALID_TIME_MS) {
        warnings.push('skew-corrected timestamp out of range; uncorrected timestamp used');
      } else {
        timestamp = corrected;
      }
    }
  }

  if (timestamp - receivedAt > MAX_FUTURE_SKEW_MS) {
    warnings.push('timestamp more than 24h in the future; receivedAt used');
    timestamp = receivedAt;
  }
  return { timestamp, warnings };
}
