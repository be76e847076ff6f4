/**
 * Action names: the normalized form of an event's name that queries, audience rules and the
 * per-action first/last-event metadata key on. Clients spell the same action many ways
 * ("Email Opened", "email_opened", "emailOpened"); normalizing once at ingestion means a rule
 * written against `email_opened` matches all of them.
 */
import type { EventType } from './types.js';

/** The action used when a name normalizes to nothing (e.g. `"!!!"`). */
export const UNNAMED_ACTION = 'unnamed';

/**
 * Normalizes an event name to snake_case: splits camelCase, collapses every run of characters
 * that are not unicode letters/digits into one underscore, lowercases, and strips
 * leading/trailing underscores. Returns {@link UNNAMED_ACTION} when nothing is left.
 *
 * @example normalizeAction('Email Opened') // 'email_opened'
 * @example normalizeAction('addedToCart') // 'added_to_cart'
 */
export function normalizeAction(name: string): string {
  const normalized = name
    // NFC first so a decomposed "é" (e + combining accent) is one letter, not a letter + mark.
    .normalize('NFC')
    .trim()
    // camelCase boundaries: "addedToCart" → "added_To_Cart", "HTMLParser" → "HTML_Parser".
    .replace(/([\p{Ll}\p{Nd}])(\p{Lu})/gu, '$1_$2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1_$2')
    // Marks stay: some scripts (Devanagari, Thai) have letters that are not NFC-composable.
    .replace(/[^\p{L}\p{N}\p{M}]+/gu, '_')
    .toLowerCase()
    .replace(/^_+|_+$/g, '');
  return normalized === '' ? UNNAMED_ACTION : normalized;
}

/**
 * The action of an event: track events are named by their `event`; every other type is its own
 * action (`page`, `screen`, `identify`, ...), so "has viewed a page" is the `page` action.
 */
export function actionOf(type: EventType, eventName?: string): string {
  return type === 'track' ? normalizeAction(eventName ?? '') : type;
}
