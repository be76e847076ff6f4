import { contactIdentifiersOf, normalizedContact } from '../../engine/contact-identifiers.js';
import {
  type Identifier,
  type IdentifierType,
  isIdentifierType,
  type JsonObject,
} from '../../engine/types.js';
import { AppError, type ErrorIssue } from '../../errors/app-error.js';
import type { AlternateId } from './alternate-id-service.js';

/**
 * How an upsert's identifiers reach the profile. Tessera's identifiers are attached by the ingest
 * path, as events attach them: userId and anonymousId as the identify's claims, emails and
 * phones as `traits.email` / `traits.phone` (the core's contact identifiers), the customId as a
 * claim of the request. Other systems' ids are alternate ids (AlternateIdService).
 */

/** Identifier types a profile holds at most one value of. */
const ONE_PER_PROFILE: ReadonlySet<IdentifierType> = new Set(['userId', 'customId']);

/**
 * The identifiers with emails and phones in the form ingestion stores them (emails lower-case,
 * phones `+digits`), so that they are found again by that form. An email or phone that is not
 * one, or two userIds or customIds (a profile has one of each), is `validation_failed`.
 */
export function normalizeIdentifiers(identifiers: AlternateId[]): AlternateId[] {
  const issues: ErrorIssue[] = [];
  const firstOf = new Map<string, { value: string; index: number }>();
  const normalized = identifiers.map((id, index) => {
    if (!isIdentifierType(id.type)) return id;
    let value = id.value;
    if (id.type === 'email' || id.type === 'phone') {
      const contact = normalizedContact(id.type, id.value);
      if (contact === undefined) {
        issues.push({
          field: `alternateIds[${index}].value`,
          message: `is not a valid ${id.type}`,
        });
        return id;
      }
      value = contact;
    }
    if (ONE_PER_PROFILE.has(id.type)) {
      const first = firstOf.get(id.type);
      if (!first) firstOf.set(id.type, { value, index });
      else if (first.value !== value) {
        issues.push({
          field: `alternateIds[${index}].value`,
          message: `is a second ${id.type} (a profile has one; alternateIds[${first.index}] names another)`,
        });
      }
    }
    return { type: id.type, value };
  });
  if (issues.length > 0) {
    throw new AppError(
      'validation_failed',
      issues.length === 1
        ? `${issues[0]!.field.replace(/\.value$/, '')} ${issues[0]!.message}.`
        : `${issues.length} alternate ids are not valid.`,
      issues,
    );
  }
  return normalized;
}

/** The distinct Tessera identifiers among the upsert's, in order. */
export function tesseraIdentifiers(identifiers: AlternateId[]): Identifier[] {
  const seen = new Set<string>();
  const found: Identifier[] = [];
  for (const { type, value } of identifiers) {
    if (!isIdentifierType(type) || seen.has(`${type}:${value}`)) continue;
    seen.add(`${type}:${value}`);
    found.push({ type, value });
  }
  return found;
}

/**
 * The identify events that attach `identifiers` (normalized, distinct) with `traits`. The last
 * carries the traits, the userId and the first anonymousId, email and phone (an email or phone
 * `traits` names itself stays the trait); an identify claims one anonymousId, email and phone,
 * so any others come in events before it. The `email` / `phone` trait ends up the one `traits`
 * names, else the first given (equal event times: the later write wins).
 */
export function identifyEvents(
  identifiers: Identifier[],
  traits: Record<string, unknown>,
): Record<string, unknown>[] {
  const valuesOf = (type: IdentifierType) =>
    identifiers.filter((i) => i.type === type).map((i) => i.value);
  const anonymous = valuesOf('anonymousId');
  const contacts = { email: valuesOf('email'), phone: valuesOf('phone') };
  const main: Record<string, unknown> = { type: 'identify', traits: { ...traits } };
  const userId = valuesOf('userId')[0];
  if (userId !== undefined) main.userId = userId;
  if (anonymous.length > 0) main.anonymousId = anonymous.shift();
  const mainTraits = main.traits as Record<string, unknown>;
  // What the traits attach themselves needs no event of its own.
  for (const own of contactIdentifiersOf({ type: 'identify', traits: mainTraits as JsonObject })) {
    const type = own.type as 'email' | 'phone';
    contacts[type] = contacts[type].filter((value) => value !== own.value);
  }
  for (const type of ['email', 'phone'] as const) {
    if (!Object.hasOwn(mainTraits, type) && contacts[type].length > 0) {
      mainTraits[type] = contacts[type].shift();
    }
  }
  const before: Record<string, unknown>[] = [];
  const count = Math.max(anonymous.length, contacts.email.length, contacts.phone.length);
  for (let i = 0; i < count; i++) {
    const extra: Record<string, unknown> = {};
    if (contacts.email[i] !== undefined) extra.email = contacts.email[i];
    if (contacts.phone[i] !== undefined) extra.phone = contacts.phone[i];
    const event: Record<string, unknown> = { type: 'identify', traits: extra };
    if (anonymous[i] !== undefined) event.anonymousId = anonymous[i];
    before.push(event);
  }
  return [...before, main];
}
