/**
 * Reads `context.location` (the Experience API's GeoLocation shape) into a {@link LocationState}.
 * Clients fill it from browser APIs and IP lookups of varying quality, so every field is checked
 * on its own and a bad field is dropped rather than failing the event.
 */
import { getOwn, isPlainObject } from './json-value.js';
import type { Json, LocationState } from './types.js';

const TEXT_FIELDS = [
  'city',
  'postalCode',
  'region',
  'regionCode',
  'country',
  'continent',
  'timezone',
] as const;

const COUNTRY_CODE = /^[A-Za-z]{2}$/;

function coordinate(value: Json | undefined, limit: number): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= limit
    ? value
    : undefined;
}

/**
 * Parses a location object. Coordinates are kept only when latitude and longitude are both
 * in-range numbers; `countryCode` only when it is two ASCII letters (uppercased, ISO 3166-1
 * alpha-2); empty strings are dropped. Returns undefined when nothing usable is left, so an
 * empty or junk location never replaces a good one.
 */
export function parseLocation(value: Json | undefined): LocationState | undefined {
  if (!isPlainObject(value)) return undefined;
  const source = value as { [key: string]: Json };
  const location: LocationState = {};
  const coords = getOwn(source, 'coordinates');
  if (isPlainObject(coords)) {
    const point = coords as { [key: string]: Json };
    const latitude = coordinate(getOwn(point, 'latitude'), 90);
    const longitude = coordinate(getOwn(point, 'longitude'), 180);
    if (latitude !== undefined && longitude !== undefined) {
      location.coordinates = { latitude, longitude };
    }
  }
  for (const field of TEXT_FIELDS) {
    const text = getOwn(source, field);
    if (typeof text === 'string' && text.trim() !== '') location[field] = text;
  }
  const countryCode = getOwn(source, 'countryCode');
  if (typeof countryCode === 'string' && COUNTRY_CODE.test(countryCode)) {
    location.countryCode = countryCode.toUpperCase();
  }
  return Object.keys(location).length > 0 ? location : undefined;
}
