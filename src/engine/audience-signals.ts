/**
 * Signals: per-day counters of the events and page views that audience rules ask about, kept in
 * the profile document and updated as each event arrives. "Ordered 3 times in the last 30 days"
 * is then a sum over at most 366 small buckets instead of a scan of the event history, and the
 * window is applied when the rule is read, so a profile leaves a 7-day audience on day 8 without
 * a new event.
 *
 * A signal's id is a hash of its canonical definition (action + property filters, or page
 * filters), not of its count or window: "ordered at least once" and "ordered 3 times in 7 days"
 * share one counter. Counting starts when a rule first defines a signal; history is not
 * back-filled on the hot path (a background job can replay events through {@link updateSignals}).
 */
import { normalizeAction } from './action-name.js';
import { compare, readPath, splitPath } from './audience-ops.js';
import {
  type AudienceRule,
  type Comparison,
  type EventCondition,
  MAX_SIGNAL_DAYS,
  type PageViewCondition,
  type PageViewFilters,
  type PropertyFilter,
  type Signal,
  type SignalCounters,
  type SignalDefinition,
} from './audience-types.js';
import { getOwn, isPlainObject, setOwn } from './json-value.js';
import { hash64Hex } from './murmur3.js';
import { eventPageFields } from './page-context.js';
import type { CanonicalEvent, Json, JsonObject } from './types.js';

export const DAY_MS = 86_400_000;

/**
 * Bucket key of the all-time count of a signal. Day buckets are pruned after a year, but
 * "has ever ordered" (no `withinDays`) must not turn false after a quiet year.
 */
export const ALL_TIME_KEY = 'all';

/** UTC day number of an epoch-ms time. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** JSON with object keys sorted, so equal definitions serialize (and hash) identically. */
export function canonicalJson(value: Json | undefined): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
}

/** A comparison without defaults (`ignoreCase: false` and absent hash the same). */
function canonicalComparison<T extends Comparison>(comparison: T): T {
  const out = { ...comparison };
  if (out.ignoreCase !== true) delete out.ignoreCase;
  return out;
}

function definitionOf(condition: EventCondition | PageViewCondition): SignalDefinition {
  if ('event' in condition) {
    const where = (condition.where ?? []).map(canonicalComparison);
    // Filter order does not change what is counted, so it must not change the id.
    // (Code-unit order, not localeCompare: the id must not depend on the server's locale.)
    const keyOf = (filter: PropertyFilter): string => canonicalJson(filter as unknown as Json);
    where.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
    return { kind: 'event', action: normalizeAction(condition.event), where };
  }
  const filters: PageViewFilters = {};
  for (const [field, comparison] of Object.entries(condition.pageView)) {
    if (comparison)
      (filters as Record<string, Comparison>)[field] = canonicalComparison(comparison);
  }
  return { kind: 'pageView', filters };
}

const signalCache = new WeakMap<object, Signal>();

/** The signal an event or page-view condition reads (memoized per condition object). */
export function signalOfCondition(condition: EventCondition | PageViewCondition): Signal {
  const cached = signalCache.get(condition);
  if (cached) return cached;
  const definition = definitionOf(condition);
  const prefix = definition.kind === 'event' ? 'ev_' : 'pv_';
  const signal = {
    id: prefix + hash64Hex(canonicalJson(definition as unknown as Json)),
    definition,
  };
  signalCache.set(condition, signal);
  return signal;
}

/** Every signal a rule reads, each once, in rule order. */
export function signalsOf(rule: AudienceRule): Signal[] {
  const found = new Map<string, Signal>();
  const visit = (node: AudienceRule): void => {
    if ('all' in node) node.all.forEach(visit);
    else if ('any' in node) node.any.forEach(visit);
    else if ('not' in node) visit(node.not);
    else if ('event' in node || 'pageView' in node) {
      const signal = signalOfCondition(node);
      if (!found.has(signal.id)) found.set(signal.id, signal);
    }
  };
  visit(rule);
  return [...found.values()];
}

/** A page field as rules see it: empty strings (no referrer, ...) count as absent. */
function present(text: string | undefined): string | undefined {
  return text === undefined || text === '' ? undefined : text;
}

/** `context.campaign.name`, else the `utm_campaign` query parameter. */
function utmCampaignOf(event: CanonicalEvent, query: Record<string, string>): string | undefined {
  const campaign = event.context ? getOwn(event.context, 'campaign') : undefined;
  const name = isPlainObject(campaign) ? getOwn(campaign as JsonObject, 'name') : undefined;
  if (typeof name === 'string' && name !== '') return name;
  return present(getOwn(query, 'utm_campaign'));
}

function matchesPageView(filters: PageViewFilters, event: CanonicalEvent): boolean {
  if (event.type !== 'page') return false;
  const page = eventPageFields(event);
  if (filters.path && !compare(filters.path, present(page.path))) return false;
  if (filters.url && !compare(filters.url, present(page.url))) return false;
  if (filters.referrer && !compare(filters.referrer, present(page.referrer))) return false;
  if (filters.query && !compare(filters.query, getOwn(page.query, filters.query.param))) {
    return false;
  }
  if (filters.utmCampaign && !compare(filters.utmCampaign, utmCampaignOf(event, page.query))) {
    return false;
  }
  return true;
}

function matchesFilter(filter: PropertyFilter, properties: JsonObject | undefined): boolean {
  return compare(filter, readPath(properties, splitPath(filter.property)));
}

/** Whether an event counts towards a signal. */
export function signalMatches(definition: SignalDefinition, event: CanonicalEvent): boolean {
  if (definition.kind === 'pageView') return matchesPageView(definition.filters, event);
  return (
    event.action === definition.action &&
    definition.where.every((filter) => matchesFilter(filter, event.properties))
  );
}

/** Keeps the day buckets newer than `refDay − MAX_SIGNAL_DAYS` (and the all-time count). */
function prune(buckets: Record<string, number>, refDay: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, count] of Object.entries(buckets)) {
    if (key === ALL_TIME_KEY || Number(key) > refDay - MAX_SIGNAL_DAYS) setOwn(out, key, count);
  }
  return out;
}

function latestDay(buckets: Record<string, number>): number {
  let latest = Number.NEGATIVE_INFINITY;
  for (const key of Object.keys(buckets)) {
    if (key !== ALL_TIME_KEY) latest = Math.max(latest, Number(key));
  }
  return latest;
}

/**
 * Counts `event` in the bucket of its (event-time) UTC day for every definition it matches, and
 * prunes those signals to the last {@link MAX_SIGNAL_DAYS} days, measured from `now` or from the
 * newest bucket when that is later. An event older than that still counts all-time. Pure:
 * returns a new object and never mutates `signals`.
 */
export function updateSignals(
  signals: SignalCounters,
  event: CanonicalEvent,
  definitions: readonly Signal[],
  now?: number,
): SignalCounters {
  const next: SignalCounters = { ...signals };
  const day = dayOf(event.timestamp);
  const seen = new Set<string>();
  for (const signal of definitions) {
    if (seen.has(signal.id) || !signalMatches(signal.definition, event)) continue;
    seen.add(signal.id);
    const buckets = { ...(getOwn(signals, signal.id) ?? {}) };
    const refDay = Math.max(latestDay(buckets), now === undefined ? day : dayOf(now), day);
    const key = String(day);
    if (day > refDay - MAX_SIGNAL_DAYS) buckets[key] = (getOwn(buckets, key) ?? 0) + 1;
    buckets[ALL_TIME_KEY] = (getOwn(buckets, ALL_TIME_KEY) ?? 0) + 1;
    next[signal.id] = prune(buckets, refDay);
  }
  return next;
}

/**
 * The count of a signal within the last `withinDays` UTC days ending with `now`'s day (today
 * included: with 7, an event of day 1 counts through day 7 and not on day 8); all-time when
 * `withinDays` is absent.
 */
export function countInWindow(
  buckets: Record<string, number> | undefined,
  now: number,
  withinDays?: number,
): number {
  if (!buckets) return 0;
  if (withinDays === undefined) return getOwn(buckets, ALL_TIME_KEY) ?? 0;
  const firstDay = dayOf(now) - withinDays + 1;
  let total = 0;
  for (const [key, count] of Object.entries(buckets)) {
    if (key !== ALL_TIME_KEY && Number(key) >= firstDay) total += count;
  }
  return total;
}

/**
 * Sums two profiles' counters (a profile merge: their events are distinct, so counts add up),
 * pruned relative to `now`.
 */
export function mergeSignals(a: SignalCounters, b: SignalCounters, now: number): SignalCounters {
  const out: SignalCounters = { ...a };
  // Keys come from stored documents: setOwn, so that no key can reach a prototype.
  for (const [id, buckets] of Object.entries(b)) {
    const sum = { ...(getOwn(a, id) ?? {}) };
    for (const [key, count] of Object.entries(buckets)) {
      setOwn(sum, key, (getOwn(sum, key) ?? 0) + count);
    }
    setOwn(out, id, prune(sum, Math.max(dayOf(now), latestDay(sum))));
  }
  return out;
}
