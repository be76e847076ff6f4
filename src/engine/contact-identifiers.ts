import { getOwn } from './json-value.js';
import type { CanonicalEvent, Identifier } from './types.js';

/** A plausible email: something@something.tld, no spaces, at most 254 characters. */
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$/;
/** A plausible phone number: digits with the usual punctuation, 5 to 20 digits. */
const PHONE = /^\+?[0-9\s().-]{5,30}$/;

/**
 * The contact identifiers an identify event's traits carry (`traits.email`, `traits.phone`), so a
 * profile can be found by them. They may be shared by several profiles (a family's email), so
 * they are only attached, never a reason to merge. Emails are compared case-insensitively;
 * phones keep a leading `+` and their digits only.
 */
export function contactIdentifiersOf(event: Pick<CanonicalEvent, 'type' | 'traits'>): Identifier[] {
  if (event.type !== 'identify' || !event.traits) return [];
  const found: Identifier[] = [];
  for (const type of ['email', 'phone'] as const) {
    const given = getOwn(event.traits, type);
    const value = typeof given === 'string' ? normalizedContact(type, given) : undefined;
    if (value !== undefined) found.push({ type, value });
  }
  return found;
}

/**
 * An email or phone number as profiles hold it (lower-case email; `+` and digits), or undefined
 * when it is not one: what a reference to a profile by email or phone is compared as.
 */
export function normalizedContact(type: 'email' | 'phone', given: string): string | undefined {
  if (type === 'email') {
    const value = given.trim().toLowerCase();
    return value.length <= 254 && EMAIL.test(value) ? value : undefined;
  }
  if (!PHONE.test(given.trim())) return undefined;
  const digits = given.replace(/[^0-9]/g, '');
  if (digits.length < 5 || digits.length > 20) return undefined;
  return `${given.trim().startsWith('+') ? '+' : ''}${digits}`;
}
