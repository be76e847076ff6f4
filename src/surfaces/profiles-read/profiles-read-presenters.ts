import type {
  CanonicalEvent,
  IdentifierType,
  JsonObject,
  ProfileState,
} from '../../engine/types.js';
import type { StoredEvent } from '../../modules/events/event-store.js';

/** The path triple, echoed on every event as the document's sample does. */
export interface Triple {
  clientId: string;
  accountId: string;
  brandId: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

const identifierOf = (state: ProfileState, type: IdentifierType) =>
  state.identifiers.find((identifier) => identifier.type === type)?.value;

/**
 * The fields the document shows beside the traits. `externalId` is the userId ("a userId is
 * passed in through the API and is stored as an External Id"); email and phone come from the
 * traits when set there, else from the profile's identifiers, so a profile known only by its
 * email still shows it.
 */
function contactOf(state: ProfileState) {
  const email = state.traits.email ?? identifierOf(state, 'email');
  const phone = state.traits.phone ?? identifierOf(state, 'phone');
  const externalId = identifierOf(state, 'userId');
  return {
    ...(email === undefined ? {} : { email }),
    ...(phone === undefined ? {} : { phone }),
    ...(externalId === undefined ? {} : { externalId }),
  };
}

/** A channel subscription, as the consents module reports it. */
export interface MarketingChannelView {
  channel: string;
  subscribed: boolean;
}

/**
 * A customer's traits as one flat object (document: "Get a Profile's Traits", 200 OK single
 * response): every trait, plus `id`, `externalId`, `email`, `phone` and `marketingPreferences`.
 * Channels are the profile's channel subscriptions (preferences), an empty list when it has none,
 * unless the profile carries a `marketingPreferences` trait of its own (e.g. imported).
 */
export function presentTraits(
  state: ProfileState,
  channels: MarketingChannelView[] = [],
): JsonObject {
  const { externalId, ...contact } = contactOf(state);
  return {
    marketingPreferences: {
      channels: channels.map((c) => ({ subscribed: c.subscribed, channel: c.channel })),
    },
    ...contact,
    ...state.traits,
    // System fields win over traits of the same name.
    ...(externalId === undefined ? {} : { externalId }),
    id: state.id,
  };
}

const eventTimes = (times: Record<string, number>) =>
  Object.fromEntries(Object.entries(times).map(([action, ms]) => [action, { eventTime: iso(ms) }]));

/**
 * A customer's metadata (document: "Get a Customer's Metadata", 200 OK): the traits object plus
 * `created_at` / `updated_at` (named so in the document's quickstart), `createdBy` as
 * `{type, createdTime}` (our creating source; we keep no import file name), `firstEvent` /
 * `lastEvent` keyed by action, `lastActivityTime`, `eventCount` and `audiencesStatic`.
 * The document shows the whole first/last event under each action; the profile document keeps
 * only their event times, so each entry is `{eventTime}` (fetching every event would cost two
 * timeline reads per action). Static audiences do not exist in Tessera: always `[]`.
 */
export function presentMeta(
  state: ProfileState,
  channels: MarketingChannelView[] = [],
): JsonObject {
  const { metadata } = state;
  return {
    ...presentTraits(state, channels),
    created_at: iso(metadata.createdAt),
    updated_at: iso(metadata.updatedAt),
    createdBy: { type: metadata.createdBy, createdTime: iso(metadata.createdAt) },
    firstEvent: eventTimes(metadata.firstEvent),
    lastEvent: eventTimes(metadata.lastEvent),
    lastActivityTime: metadata.lastActivityTime === null ? null : iso(metadata.lastActivityTime),
    eventCount: metadata.eventCount,
    audiencesStatic: [],
  };
}

/**
 * The event as the client sent it (the sample's `rawData`): Segment's `type` is the document's
 * `action` and the name is `event`; our normalized action is the top-level `eventAction`.
 */
function rawDataOf(event: CanonicalEvent): JsonObject {
  const {
    type,
    name,
    action: _action,
    receivedAt: _receivedAt,
    warnings: _warnings,
    timestamp,
    ...rest
  } = event;
  return {
    ...(rest as JsonObject),
    action: type,
    ...(name === undefined ? {} : { event: name }),
    timestamp: iso(timestamp),
  };
}

/**
 * One entry of a profile's events (document: "Get a Customer's Events", 200 OK `data[]`).
 * `id` and `customerId` are the owning profile (a merged profile's events show the survivor);
 * `userId` is the event's own, else the profile's. We keep no per-event source, so the
 * sample's `source` is left out.
 */
export function presentEvent(stored: StoredEvent, owner: ProfileState, triple: Triple) {
  const { event } = stored;
  const { email, externalId } = contactOf(owner);
  const userId = event.userId ?? externalId;
  return {
    id: owner.id,
    ...(externalId === undefined ? {} : { externalId }),
    ...(email === undefined ? {} : { email }),
    eventId: stored.id,
    eventTime: iso(event.timestamp),
    receivedTime: iso(event.receivedAt),
    eventAction: event.action,
    clientId: triple.clientId,
    accountId: triple.accountId,
    brandId: triple.brandId,
    customerId: owner.id,
    ...(userId === undefined ? {} : { userId }),
    rawData: rawDataOf(event),
  };
}
