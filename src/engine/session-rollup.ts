/**
 * Session roll-up by event time. A profile keeps only its current session plus running totals
 * (the hot path may not scan history), so every event either extends the current session, opens
 * a new one after {@link SESSION_TIMEOUT_MS} of inactivity, or — when it is older than the
 * current session reaches back — is left out of session accounting.
 */
import { landingPageOf } from './page-context.js';
import {
  type CanonicalEvent,
  type EventType,
  SESSION_TIMEOUT_MS,
  type SessionState,
} from './types.js';

/**
 * Events that count as visitor activity. identify/alias/group are bookkeeping a server may send
 * at any time; they must not open a session or keep one alive.
 */
export const SESSION_ACTIVITY_TYPES: ReadonlySet<EventType> = new Set([
  'page',
  'track',
  'screen',
  'component',
]);

type SessionEvent = Pick<CanonicalEvent, 'type' | 'timestamp' | 'properties' | 'context'>;

function withLength(
  session: SessionState,
  startedAt: number,
  lastEventAt: number,
): Omit<SessionState, 'id' | 'count' | 'isReturningVisitor' | 'landingPage'> {
  const activeSessionLength = lastEventAt - startedAt;
  const totalSessionLength =
    session.totalSessionLength + (activeSessionLength - session.activeSessionLength);
  return {
    startedAt,
    lastEventAt,
    activeSessionLength,
    totalSessionLength,
    averageSessionLength: Math.round(totalSessionLength / session.count),
  };
}

/**
 * Rolls one event into the session state and returns the new state (inputs are not mutated; an
 * event that changes nothing returns `session` itself).
 *
 * - no session yet: the first activity opens session 1 (not a returning visitor);
 * - activity more than 30 min after `lastEventAt`: a new session (count + 1, returning visitor,
 *   new id and landing page); the previous session's length stays in the total;
 * - activity within 30 min after `lastEventAt`: extends the session;
 * - a late event before `lastEventAt` but no more than 30 min before `startedAt` belongs to the
 *   current session and may move `startedAt` earlier (a page event then becomes the landing
 *   page);
 * - an older event belonged to some past session. Limitation: past sessions are not kept, so it
 *   changes nothing (its time still counts in first/last event metadata).
 */
export function rollSession(
  session: SessionState | null,
  event: SessionEvent,
  newId: () => string,
): SessionState | null {
  if (!SESSION_ACTIVITY_TYPES.has(event.type)) return session;
  const t = event.timestamp;
  if (session === null) {
    return {
      id: newId(),
      count: 1,
      isReturningVisitor: false,
      landingPage: landingPageOf(event),
      startedAt: t,
      lastEventAt: t,
      activeSessionLength: 0,
      totalSessionLength: 0,
      averageSessionLength: 0,
    };
  }
  if (t - session.lastEventAt > SESSION_TIMEOUT_MS) {
    const count = session.count + 1;
    return {
      id: newId(),
      count,
      isReturningVisitor: true,
      landingPage: landingPageOf(event),
      startedAt: t,
      lastEventAt: t,
      activeSessionLength: 0,
      totalSessionLength: session.totalSessionLength,
      averageSessionLength: Math.round(session.totalSessionLength / count),
    };
  }
  if (t >= session.lastEventAt) {
    return { ...session, ...withLength(session, session.startedAt, t) };
  }
  if (t >= session.startedAt) return session;
  if (t >= session.startedAt - SESSION_TIMEOUT_MS) {
    const landingPage = event.type === 'page' ? landingPageOf(event) : session.landingPage;
    return { ...session, landingPage, ...withLength(session, t, session.lastEventAt) };
  }
  return session;
}
