/**
 * Page fields (`path`, `url`, `referrer`, `search`, `query`). The Experience API wants them in a
 * page event's `properties`; Segment's analytics.js puts them there too, while the Ninetailed
 * SDKs and others also (or only) send them in `context.page`. Both validation and the session
 * landing page read them through here, so the two never disagree.
 */
import { FORBIDDEN_KEYS, getOwn, hasOwn, isPlainObject } from './json-value.js';
import type { CanonicalEvent, Json, JsonObject, LandingPage } from './types.js';

/** Page fields found on an event; `path`/`url` are undefined when no source had them. */
export interface PageFields {
  path?: string;
  url?: string;
  referrer: string;
  search: string;
  query: Record<string, string>;
}

function stringField(sources: (JsonObject | undefined)[], key: string): string | undefined {
  for (const source of sources) {
    const value = source ? getOwn(source, key) : undefined;
    if (typeof value === 'string') return value;
  }
  return undefined;
}

/** Keeps only scalar query values, as strings: the wire type is `Record<string, string>`. */
function toQuery(value: Json | undefined): Record<string, string> | undefined {
  if (!isPlainObject(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (FORBIDDEN_KEYS.has(key)) continue;
    if (typeof item === 'string') out[key] = item;
    else if (typeof item === 'number' || typeof item === 'boolean') out[key] = String(item);
  }
  return out;
}

/** `"?a=1&b=x%20y"` → `{ a: '1', b: 'x y' }`; the first value of a repeated key wins. */
export function queryFromSearch(search: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (search === '') return out;
  const params = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  for (const [key, value] of params) {
    if (!FORBIDDEN_KEYS.has(key) && !hasOwn(out, key)) out[key] = value;
  }
  return out;
}

/** Path (and search) of an absolute URL, or undefined when it doesn't parse. */
function splitUrl(url: string): { path: string; search: string } | undefined {
  try {
    const parsed = new URL(url);
    return { path: parsed.pathname, search: parsed.search };
  } catch {
    return undefined;
  }
}

/**
 * Reads the page fields from `properties` first, then `context.page`. A missing `path` is derived
 * from an absolute `url` (and `search`/`query` likewise), since server-side SDKs often send only
 * the URL; missing `referrer`/`search` default to `""` and `query` to the parsed `search`.
 */
export function readPageFields(
  properties: JsonObject | undefined,
  contextPage: JsonObject | undefined,
): PageFields {
  const sources = [properties, contextPage];
  const url = stringField(sources, 'url');
  // Parsed only when a field has to come from it (validated page events carry them all).
  let parsed: { path: string; search: string } | undefined | null = null;
  const fromUrl = () => {
    if (parsed === null) parsed = url === undefined ? undefined : splitUrl(url);
    return parsed;
  };
  const path = stringField(sources, 'path') ?? fromUrl()?.path;
  const search = stringField(sources, 'search') ?? fromUrl()?.search ?? '';
  const query =
    toQuery(properties ? getOwn(properties, 'query') : undefined) ??
    toQuery(contextPage ? getOwn(contextPage, 'query') : undefined) ??
    queryFromSearch(search);
  const fields: PageFields = { referrer: stringField(sources, 'referrer') ?? '', search, query };
  if (path !== undefined) fields.path = path;
  if (url !== undefined) fields.url = url;
  return fields;
}

const eventPages = new WeakMap<object, PageFields>();

/**
 * The page fields of a canonical event: a page event's `properties` (validation filled them
 * in), then `context.page`, which is all other events have. Read once per event object: the
 * session roll-up and every page-view signal ask for them.
 */
export function eventPageFields(
  event: Pick<CanonicalEvent, 'type' | 'properties' | 'context'>,
): PageFields {
  let fields = eventPages.get(event);
  if (!fields) {
    const properties = event.type === 'page' ? event.properties : undefined;
    fields = readPageFields(properties, contextPageOf(event.context));
    eventPages.set(event, fields);
  }
  return fields;
}

/** `context.page` of an event when it is an object. */
export function contextPageOf(context: JsonObject | undefined): JsonObject | undefined {
  const page = context ? getOwn(context, 'page') : undefined;
  return isPlainObject(page) ? (page as JsonObject) : undefined;
}

/**
 * The landing page a session started on. Page events carry it in `properties` (validation filled
 * them in); other events only have what `context.page` says; unknown fields are empty.
 */
export function landingPageOf(
  event: Pick<CanonicalEvent, 'type' | 'properties' | 'context'>,
): LandingPage {
  const fields = eventPageFields(event);
  return {
    path: fields.path ?? '',
    url: fields.url ?? '',
    query: fields.query,
    referrer: fields.referrer,
    search: fields.search,
  };
}
