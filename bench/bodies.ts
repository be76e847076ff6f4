import { nextMessageId } from './load.js';

/**
 * Request bodies of the scenarios. Every event carries a fresh messageId, so none is ever
 * de-duplicated (a duplicate is cheaper than a real event and would flatter the figures).
 */

/** The Experience API v2 path of one profile of the `default` organization's `main` environment. */
export const personalizePath = (profileId: string) =>
  `/v2/organizations/default/environments/main/profiles/${profileId}`;

/** Scenario 1: one `page` event, as the Ninetailed SDKs send it. */
export function personalizeBody(): string {
  return JSON.stringify({
    events: [
      {
        type: 'page',
        messageId: nextMessageId(),
        channel: 'web',
        timestamp: new Date().toISOString(),
        properties: { url: 'https://example.com/bench', path: '/bench', title: 'Bench' },
        context: {
          library: { name: 'bench', version: '1.0.0' },
          locale: 'en-US',
          page: { url: 'https://example.com/bench', path: '/bench', referrer: '', search: '' },
          userAgent: 'bench',
        },
      },
    ],
  });
}

export const INGEST_EVENTS = 200;
export const INGEST_PROFILES = 50;
let batch = 0;

/**
 * Scenario 3: 200 events over 50 profiles (4 each, page and track alternating), each naming
 * its profile by userId. Consecutive batches rotate over 50 sets of 50 profiles, so that 50
 * connections do not all queue on the same 50 profiles' write slots.
 */
export function ingestBody(): string {
  const set = batch++ % 50;
  const events = [];
  for (let i = 0; i < INGEST_EVENTS; i++) {
    const userId = `ingest-${set}-${i % INGEST_PROFILES}`;
    events.push(
      i % 2
        ? {
            type: 'track',
            event: 'Product Viewed',
            userId,
            messageId: nextMessageId(),
            properties: { sku: `sku-${i}`, price: 10 + i, currency: 'EUR' },
          }
        : {
            type: 'page',
            userId,
            messageId: nextMessageId(),
            properties: { url: `https://example.com/p/${i}`, path: `/p/${i}`, title: 'Product' },
          },
    );
  }
  return JSON.stringify({ events });
}
