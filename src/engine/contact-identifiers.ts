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
  const email = getOwn(event.traits, 'email');
  if (typeof email === 'string') {
    const value = email.trim().toLowerCase();
    if (value.length <= 254 && EMAIL.test(value)) found.push({ type: 'email', value });
  }
  const phone = getOwn(event.traits, 'phone');
  if (typeof phone === 'string' && PHONE.test(phone.trim())) {
    const digits = phone.replace(/[^0-9]/g, '');
    if (digits.length >= 5 && digits.length <= 20) {
      found.push({ type: 'phone', value: `${phone.trim().startsWith('+') ? '+' : ''}${digits}` });
    }
  }
  return found;
}
