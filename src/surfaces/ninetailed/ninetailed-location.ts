import type { IncomingHttpHeaders } from 'node:http';
import { isPlainObject } from '../../engine/index.js';

/** Cloudflare's visitor-location request headers → the Experience API's GeoLocation fields. */
const CLOUDFLARE_HEADERS = {
  'cf-ipcity': 'city',
  'cf-postal-code': 'postalCode',
  'cf-region': 'region',
  'cf-region-code': 'regionCode',
  'cf-ipcontinent': 'continent',
  'cf-timezone': 'timezone',
} as const;

/** Cloudflare's country values that are no country: unknown, and Tor exit nodes. */
const NOT_A_COUNTRY = new Set(['XX', 'T1']);

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text && text.trim() !== '' ? text.trim() : undefined;
}

/**
 * The location Cloudflare resolved for this request, when Tessera runs behind Cloudflare with
 * visitor-location headers on. Tessera has no geo database, so an address alone (the client's
 * or `X-Force-IP`) resolves to nothing. Like `context.location`, these headers are whatever the
 * caller sent when no Cloudflare proxy stands in front: location is a hint, never a credential.
 */
export function locationFromHeaders(
  headers: IncomingHttpHeaders,
): Record<string, unknown> | undefined {
  const location: Record<string, unknown> = {};
  const country = header(headers, 'cf-ipcountry')?.toUpperCase();
  if (country && !NOT_A_COUNTRY.has(country)) location.countryCode = country;
  for (const [name, field] of Object.entries(CLOUDFLARE_HEADERS)) {
    const value = header(headers, name);
    if (value !== undefined) location[field] = value;
  }
  const latitude = Number(header(headers, 'cf-iplatitude'));
  const longitude = Number(header(headers, 'cf-iplongitude'));
  if (header(headers, 'cf-iplatitude') && Number.isFinite(latitude) && Number.isFinite(longitude)) {
    location.coordinates = { latitude, longitude };
  }
  return Object.keys(location).length > 0 ? location : undefined;
}

/**
 * The location a create or update request supplies for its events: `options.location` (the
 * client's own, which the document says overrides server-side resolution), else, when the
 * `location` feature is asked for, what the request headers say.
 */
export function requestLocation(
  options: { location?: unknown; features?: string[] } | undefined,
  headers: IncomingHttpHeaders,
): Record<string, unknown> | undefined {
  if (isPlainObject(options?.location) && Object.keys(options.location).length > 0) {
    return options.location as Record<string, unknown>;
  }
  if (options?.features?.includes('location')) return locationFromHeaders(headers);
  return undefined;
}

/**
 * Gives the request's location to each event that has no `context.location` key at all. An
 * event that has one, even empty, keeps it: the document's way to ask for no resolution.
 */
export function withLocation(raws: unknown[], location: Record<string, unknown> | undefined) {
  if (!location) return raws;
  return raws.map((raw) => {
    if (!isPlainObject(raw)) return raw;
    const own = Object.hasOwn(raw, 'context') ? raw.context : undefined;
    // A context that is not an object is left for event validation to report.
    if (own !== undefined && own !== null && !isPlainObject(own)) return raw;
    const context = own ?? {};
    if (Object.hasOwn(context, 'location')) return raw;
    return { ...raw, context: { ...context, location } };
  });
}
