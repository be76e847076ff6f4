import { normalizeAction } from '../../engine/action-name.js';
import { parseIsoTime } from '../../engine/iso-time.js';
import type { ProfileState } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import { unstorable } from '../../lib/json-input.js';
import type { StoredEvent } from '../../modules/events/event-store.js';
import type { ProfileQueryService } from '../../modules/profiles/profile-query-service.js';
import { type ProfileRef, parseProfileRef } from '../../modules/profiles/profile-ref.js';

/** "You can use the `from` parameter to page through up to 10,000 results." */
export const MAX_EVENT_WINDOW = 10_000;
/** Most actions in one include/exclude list (each one is a bound SQL parameter). */
const MAX_ACTIONS = 50;

const invalid = (message: string) => new AppError('validation_failed', message);

/**
 * The document's `{idType}:{id}`. A bare id (which the native API accepts) is refused here:
 * the document's own example error is for an id without its type.
 */
export function parseProfileId(profileId: string): ProfileRef {
  if (!profileId.includes(':')) throw new AppError('invalid_reference');
  return parseProfileRef(profileId);
}

/**
 * A comma list of actions. Each entry is normalized as ingestion normalizes names, so that
 * `Email Opened` and `email_opened` both select the stored action `email_opened`.
 */
function actions(name: string, value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const list = [
    ...new Set(
      value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map(normalizeAction),
    ),
  ];
  if (list.length > MAX_ACTIONS) throw invalid(`${name} lists more than ${MAX_ACTIONS} actions.`);
  return list.length ? list : undefined;
}

/**
 * A date or date-time as the engine reads one (a missing zone means UTC; no 30 February). A
 * query string turns an unencoded `+01:00` into ` 01:00`: read back as the offset it was.
 */
function isoTime(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseIsoTime(value.trim().replace(/ (\d{2}:?\d{2})$/, '+$1'));
  if (Number.isNaN(ms)) throw invalid(`${name} must be an ISO 8601 date or date-time.`);
  return ms;
}

export interface EventsQueryString {
  include?: string;
  exclude?: string;
  start?: string;
  end?: string;
  sort?: string;
  from: number;
  size: number;
}

/** The events filter and page the query string asks for. */
export interface EventsWindow {
  include?: string[];
  exclude?: string[];
  start?: number;
  end?: number;
  order: 'asc' | 'desc';
  from: number;
  size: number;
}

/** Checks what the route schema cannot: actions, ISO times, sort values and the 10,000 window. */
export function parseEventsWindow(q: EventsQueryString): EventsWindow {
  const sort = (q.sort ?? 'desc').toLowerCase();
  if (sort !== 'asc' && sort !== 'desc') throw invalid('sort must be asc or desc.');
  if (q.from + q.size > MAX_EVENT_WINDOW) {
    throw invalid(`from + size must not exceed ${MAX_EVENT_WINDOW}.`);
  }
  const start = isoTime('start', q.start);
  const end = isoTime('end', q.end);
  if (start !== undefined && end !== undefined && start > end) {
    throw invalid('start must not be after end.');
  }
  return {
    include: actions('include', q.include),
    exclude: actions('exclude', q.exclude),
    start,
    end,
    order: sort,
    from: q.from,
    size: q.size,
  };
}

export interface OwnedEvent {
  stored: StoredEvent;
  owner: ProfileState;
}

/** Same order as the event store: event time, then row id, both in the chosen direction. */
function compare(order: 'asc' | 'desc') {
  const sign = order === 'asc' ? 1 : -1;
  return (a: OwnedEvent, b: OwnedEvent) => {
    const byTime = a.stored.event.timestamp - b.stored.event.timestamp;
    if (byTime !== 0) return sign * byTime;
    return sign * (a.stored.id < b.stored.id ? -1 : a.stored.id > b.stored.id ? 1 : 0);
  };
}

/**
 * The events of `profiles` in one list: for a shared email, "events for all customers with the
 * email specified will be included". One profile pages in SQL with the offset; several are read
 * up to `from + size` each (at most 10,000) and merged here, because the query service reads
 * one profile's timeline at a time.
 */
export async function readEvents(
  queries: ProfileQueryService,
  environmentId: string,
  profiles: ProfileState[],
  w: EventsWindow,
): Promise<OwnedEvent[]> {
  const filter = { include: w.include, exclude: w.exclude, start: w.start, end: w.end };
  const read = (owner: ProfileState, limit: number, offset: number) =>
    queries
      .listEvents(
        environmentId,
        { kind: 'id', id: owner.id },
        { ...filter, order: w.order, limit, offset },
      )
      .then((events) => events.map((stored) => ({ stored, owner })));
  if (profiles.length === 1) return read(profiles[0]!, w.size, w.from);
  const all: OwnedEvent[] = [];
  for (const owner of profiles) all.push(...(await read(owner, w.from + w.size, 0)));
  return all.sort(compare(w.order)).slice(w.from, w.from + w.size);
}

interface ScrollPosition {
  env: string;
  after: string;
}

/**
 * The listing's scroll id: base64url JSON `{env, after}`. It grants nothing (the listing is
 * always filtered by the caller's environment, so a forged `after` only picks a starting point
 * among the caller's own profiles); `env` is there so that a scroll id used with another
 * environment's key is refused instead of silently starting somewhere else.
 */
export function encodeScrollId(environmentId: string, afterId: string): string {
  const position: ScrollPosition = { env: environmentId, after: afterId };
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** The profile id to continue after, or `invalid_request_error` for anything else. */
export function decodeScrollId(scrollId: string, environmentId: string): string {
  let value: Partial<ScrollPosition> | null = null;
  try {
    value = JSON.parse(Buffer.from(scrollId, 'base64url').toString('utf8'));
  } catch {
    // not ours: refused below
  }
  const after = value?.after;
  if (
    value?.env !== environmentId ||
    typeof after !== 'string' ||
    after.length === 0 ||
    after.length > 64 ||
    unstorable(after) !== undefined
  ) {
    throw invalid('The scrollId is not valid for this account.');
  }
  return after;
}
